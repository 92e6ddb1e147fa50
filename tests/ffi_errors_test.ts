import assert from "node:assert/strict";
import {
  BpfError,
  Errno,
  errnoName,
  errnoText,
  NotSupportedError,
  VerifierError,
} from "../ffi/errors.ts";
import { RuntimeFailure } from "../lib/errors.ts";

Deno.test("errnoName() names common errnos and accepts libbpf's negative values", () => {
  assert.equal(errnoName(1), "EPERM");
  assert.equal(errnoName(2), "ENOENT");
  assert.equal(errnoName(3), "ESRCH");
  assert.equal(errnoName(-13), "EACCES");
  assert.equal(errnoName(7), "E2BIG");
  assert.equal(errnoName(28), "ENOSPC");
  assert.equal(errnoName(95), "EOPNOTSUPP");
  assert.equal(errnoName(524), "ENOTSUPP");
  assert.equal(errnoName(4007), "LIBBPF_ERRNO__VERIFY");
});

Deno.test("errnoName() gives a readable fallback for unknown numbers", () => {
  assert.equal(errnoName(9999), "errno 9999");
  assert.equal(errnoName(0), "errno 0");
});

Deno.test("errnoText() knows the kernel-internal ENOTSUPP that strerror does not", () => {
  assert.equal(errnoText(Errno.ENOTSUPP), "Operation not supported by the kernel");
  assert.equal(errnoText(-Errno.EPERM), "Operation not permitted");
  assert.equal(errnoText(9999), undefined);
});

Deno.test("BpfError message names the operation, the errno and its text", () => {
  const err = new BpfError("bpf_prog_load(trace_0)", -1, "Operation not permitted");
  assert.equal(err.message, "bpf_prog_load(trace_0): EPERM (Operation not permitted)");
  assert.equal(err.op, "bpf_prog_load(trace_0)");
  assert.equal(err.errno, 1);
  assert.equal(err.errnoName, "EPERM");
  assert.equal(err.name, "BpfError");
  assert.ok(err instanceof Error);
  assert.ok(err instanceof RuntimeFailure, "kernel refusals exit with code 1");
});

Deno.test("BpfError falls back to the built-in description", () => {
  const err = new BpfError("pidfd_open(42)", Errno.ESRCH);
  assert.equal(err.message, "pidfd_open(42): ESRCH (No such process)");
  const unknown = new BpfError("op", 9999);
  assert.equal(unknown.message, "op: errno 9999 (unknown error)");
});

Deno.test("VerifierError keeps the full log and tail() returns its last lines", () => {
  const log = [
    "0: R1=ctx() R10=fp0",
    "0: (79) r0 = *(u64 *)(r1 +4000)",
    "",
    "invalid bpf_context access off=4000 size=8",
    "processed 1 insns (limit 1000000) max_states_per_insn 0",
    "",
  ].join("\n");
  const err = new VerifierError("bpf_prog_load(bad)", 13, log, "Permission denied");
  assert.equal(err.message, "bpf_prog_load(bad): EACCES (Permission denied)");
  assert.equal(err.log, log);
  assert.equal(err.name, "VerifierError");
  assert.ok(err instanceof BpfError);
  assert.equal(
    err.tail(2),
    "invalid bpf_context access off=4000 size=8\n" +
      "processed 1 insns (limit 1000000) max_states_per_insn 0",
  );
  assert.equal(err.tail(100).split("\n").length, 4, "blank lines are skipped");
  assert.equal(err.tail(0), "");
});

Deno.test("NotSupportedError carries the missing feature", () => {
  const err = new NotSupportedError(
    "libbpf.so.1",
    "libbpf.so.1 not found: install the libbpf1 package",
  );
  assert.equal(err.feature, "libbpf.so.1");
  assert.equal(err.name, "NotSupportedError");
  assert.ok(err instanceof RuntimeFailure);
  assert.ok(!err.message.includes("\n"));
});
