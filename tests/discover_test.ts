/** Unit tests of lib/discover: patterns, where a variable lives and why not, the command lines. */
import assert from "node:assert/strict";
import { isPattern, matchNames } from "../lib/debuginfo/mod.ts";
import { placement, Storage } from "../lib/discover/readability.ts";
import { parseCli } from "../lib/cli/args.ts";
import { UsageError } from "../lib/errors.ts";

Deno.test("patterns: * and ? match, the rest is literal", () => {
  assert.ok(isPattern("handle_*"));
  assert.ok(!isPattern("handle"));
  const names = ["w_one", "w_two", "w_three", "main", "xw_one", "w.x", "wax"];
  assert.deepEqual(matchNames("w_*", names), ["w_one", "w_three", "w_two"]);
  assert.deepEqual(matchNames("w?x", names), ["w.x", "wax"]);
  assert.deepEqual(matchNames("w.x", names), ["w.x"]);
  assert.deepEqual(matchNames("main", names), ["main"]);
});

Deno.test("placement: registers, stack, static, computed", () => {
  const reg = placement({
    kind: "regs",
    pieces: [{ size: 8, reg: 5, name: "rdi", ptRegsOffset: 112 }],
    text: "rdi",
  });
  assert.deepEqual(reg, { storage: Storage.Register, where: "rdi", readable: true });
  const stack = placement({
    kind: "memory",
    steps: [{ op: "reg", reg: 6, name: "rbp", ptRegsOffset: 32 }, { op: "add", value: -20 }],
    rebase: false,
    text: "[rbp-20]",
  });
  assert.equal(stack.storage, Storage.Stack);
  const stat = placement({
    kind: "memory",
    steps: [{ op: "addr", address: 0x4010 }],
    rebase: true,
    text: "[0x4010]",
  });
  assert.equal(stat.storage, Storage.Static);
  const value = placement({
    kind: "value",
    steps: [{ op: "reg", reg: 4, name: "rsi", ptRegsOffset: 104 }],
    rebase: false,
    text: "value rsi",
  });
  assert.equal(value.storage, Storage.Computed);
});

Deno.test("placement: says why a value cannot be read", () => {
  const gap = placement({
    kind: "optimized-out",
    text: "<optimized out> (no location list entry covers this pc)",
  });
  assert.equal(gap.storage, Storage.OptimizedOut);
  assert.match(gap.why!, /location-list gap/);
  const entry = placement({
    kind: "optimized-out",
    text: "<optimized out> (value at function entry (DW_OP_entry_value) is not available here)",
  });
  assert.match(entry.why!, /DW_OP_entry_value/);
  const none = placement({ kind: "optimized-out", text: "<optimized out>" });
  assert.match(none.why!, /no location/);
  const xmm = placement({
    kind: "unsupported",
    reason: "register xmm0 is not in pt_regs",
    text: "<unsupported: register xmm0 is not in pt_regs>",
  });
  assert.equal(xmm.readable, false);
  assert.match(xmm.why!, /only in register xmm0, which a uprobe cannot see/);
  const partly = placement({
    kind: "regs",
    pieces: [{ size: 4, reg: 0, name: "rax", ptRegsOffset: 80 }, { size: 4 }],
    text: "rax:4 <optimized out>:4",
  });
  assert.ok(partly.readable);
  assert.match(partly.why!, /partly optimized out/);
});

Deno.test("cli: vars, funcs and lines take one argument and -p or -t", () => {
  const r = parseCli(["vars", "main", "-t", "/bin/true", "--json"]);
  assert.equal(r.kind, "discover");
  if (r.kind !== "discover") return;
  assert.deepEqual(r.discover, {
    command: "vars",
    arg: "main",
    pidText: undefined,
    targetPath: "/bin/true",
    json: true,
  });
  const f = parseCli(["funcs", "w_*", "-p", "42"]);
  assert.equal(f.kind === "discover" && f.discover.pidText, "42");
  assert.throws(() => parseCli(["lines", "-t", "/bin/true"]), UsageError);
  assert.throws(() => parseCli(["vars", "main"]), /give -p PID or -t PATH/);
  assert.throws(() => parseCli(["vars", "main", "-p", "1", "-t", "/bin/true"]), /not both/);
  assert.throws(() => parseCli(["funcs", "x", "-t", "/bin/true", "-s", "trace x {}"]), /no script/);
});
