/**
 * Loading BPF programs. The verifier log is captured into a 1 MiB buffer when a load fails, and
 * handed back inside a {@link VerifierError}.
 */
import { VerifierError } from "./errors.ts";
import { describeLibbpfError, libbpf, libbpfError } from "./libbpf.ts";
import { objectName, type ProgramSpec } from "./bpf_types.ts";
import { allocBytes, cString, CStruct, fromCString } from "./pointers.ts";

const INSN_SIZE = 8;
/** Verifier log buffer: big enough for any program ghostscope generates. */
const VERIFIER_LOG_SIZE = 1 << 20;
// struct bpf_prog_load_opts, libbpf 1.1 x86_64 (kernel-recipes.md).
const PROG_LOAD_OPTS = {
  size: 104,
  expectedAttachType: 12,
  logLevel: 88,
  logSize: 92,
  logBuf: 96,
} as const;

let verifierLog: Uint8Array<ArrayBuffer> | undefined;

/**
 * Loads a program and returns its fd. With `log_level=0` and a log buffer, libbpf loads once
 * without a log and, only if that fails, again with level 1, so success costs no logging.
 * @throws {VerifierError} when the kernel rejected the program and wrote a log
 * @throws {BpfError} when it failed without a log (e.g. EPERM without privileges)
 * @throws {RangeError} when `insns` is not a whole number of 8-byte instructions
 */
export function loadProgram(spec: ProgramSpec): number {
  const name = objectName(spec.name);
  const op = `bpf_prog_load(${name})`;
  if (spec.insns.length === 0 || spec.insns.length % INSN_SIZE !== 0) {
    throw new RangeError(`${op}: ${spec.insns.length} bytes is not a whole number of instructions`);
  }
  // Loads are synchronous and never nested, so one buffer serves them all.
  verifierLog ??= allocBytes(VERIFIER_LOG_SIZE);
  const log = verifierLog;
  log[0] = 0;
  const opts = new CStruct(PROG_LOAD_OPTS.size)
    .u64(0, PROG_LOAD_OPTS.size)
    .u32(PROG_LOAD_OPTS.expectedAttachType, spec.expectedAttachType ?? 0)
    .u32(PROG_LOAD_OPTS.logLevel, 0)
    .u32(PROG_LOAD_OPTS.logSize, VERIFIER_LOG_SIZE)
    .pointer(PROG_LOAD_OPTS.logBuf, log);
  const insns = allocBytes(spec.insns.length);
  insns.set(spec.insns);
  const fd = libbpf().bpf_prog_load(
    spec.type,
    cString(name),
    cString(spec.license),
    insns,
    BigInt(spec.insns.length / INSN_SIZE),
    opts.bytes,
  );
  opts.keepAlive();
  if (fd >= 0) return fd;
  const text = fromCString(log);
  if (text.trim() === "") throw libbpfError(op, fd);
  throw new VerifierError(op, fd, text, describeLibbpfError(fd));
}
