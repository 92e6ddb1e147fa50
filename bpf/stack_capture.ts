/**
 * The kernel half of `bt`: copies the registers an unwinder starts from and a bounded copy of the
 * user stack (from sp upwards) into a ring record; userspace unwinds it by DWARF CFI
 * (`lib/unwind`). Nothing is unwound in the kernel: the program stays small and the same for any
 * binary, at the price of a bigger event (see ARCHITECTURE.md, "Backtraces").
 *
 * Payload (8-byte aligned, inside one value record of type `ValueType.Stack`):
 *
 * ```
 * u64 regs[8]   ip, sp, bp, bx, r12, r13, r14, r15 (`CAPTURE_REGS`, from the probe's pt_regs)
 * u8  stack[N]  user memory [sp, sp + N)
 * ```
 *
 * The stack is read in {@link CHUNK}-byte pieces, each with `bpf_probe_read_user` into the record,
 * and the copy ends at the first piece that cannot be read (the top of the stack mapping): the
 * value's `used` field says how many payload bytes are valid (registers included).
 * @module
 */

import { type Assembler, JmpOp, Reg, Size } from "./asm.ts";
import { BpfHelper } from "./helpers.ts";

/** Registers captured, in payload order, with their offsets in x86_64 `struct pt_regs`. */
export const CAPTURE_REGS: ReadonlyArray<{ name: string; ptRegsOffset: number }> = [
  { name: "ip", ptRegsOffset: 128 },
  { name: "sp", ptRegsOffset: 152 },
  { name: "bp", ptRegsOffset: 32 },
  { name: "bx", ptRegsOffset: 40 },
  { name: "r12", ptRegsOffset: 24 },
  { name: "r13", ptRegsOffset: 16 },
  { name: "r14", ptRegsOffset: 8 },
  { name: "r15", ptRegsOffset: 0 },
];

/** Bytes of the register block. */
export const CAPTURE_REGS_SIZE = CAPTURE_REGS.length * 8;

/** Granularity of the stack copy: at most this much of the top of the stack can be missed. */
export const CHUNK = 256;

/** `--backtrace-depth` default (and maximum). */
export const DEFAULT_BACKTRACE_DEPTH = 128;

/** Largest stack copy. */
export const MAX_STACK_COPY = 32768;

/**
 * The stack copy for a backtrace depth: 128 bytes per frame (typical -O2 frames are 32-160
 * bytes), at least 1 KiB, at most {@link MAX_STACK_COPY}, rounded up to a power of two.
 */
export function stackCopyBytes(depth: number): number {
  const want = Math.min(MAX_STACK_COPY, Math.max(1024, depth * 128));
  let n = CHUNK;
  while (n < want) n *= 2;
  return n;
}

/** Options of {@link emitStackCapture}. */
export interface StackCaptureOptions {
  /** Register holding the ring record (kept). */
  record: Reg;
  /** Register holding the `struct pt_regs *` ctx (kept). */
  ctx: Reg;
  /** Offset of the payload in the record. */
  payload: number;
  /** Offset of the value's u32 `used` field in the record. */
  usedField: number;
  /** Bytes of stack to copy ({@link CHUNK} times a power of two). */
  stackBytes: number;
  /** A fresh label name. */
  label: (what: string) => string;
}

/**
 * Emits the capture; clobbers R0-R5. The copy is one read of the whole size when the stack is
 * that deep (the common case), else a greedy descent: halves, quarters, ... down to
 * {@link CHUNK}, each read appended where the last one ended, so at most
 * `1 + log2(stackBytes / CHUNK)` reads find the readable prefix to within a chunk.
 */
export function emitStackCapture(a: Assembler, o: StackCaptureOptions): void {
  const n = o.stackBytes / CHUNK;
  if (!Number.isInteger(n) || n < 1 || (n & (n - 1)) !== 0 || o.stackBytes > MAX_STACK_COPY) {
    throw new RangeError(`stack copy of ${o.stackBytes} bytes (${CHUNK} times a power of two)`);
  }
  CAPTURE_REGS.forEach((r, i) => {
    a.ldx(Size.DW, Reg.R1, o.ctx, r.ptRegsOffset).stx(Size.DW, o.record, o.payload + 8 * i, Reg.R1);
  });
  a.st(Size.W, o.record, o.usedField, CAPTURE_REGS_SIZE);
  const stack = o.payload + CAPTURE_REGS_SIZE;
  const spField = o.payload + 8; // regs[1]
  const full = o.label("stack_full");
  for (let size = o.stackBytes; size >= CHUNK; size /= 2) {
    const next = o.label("stack_next");
    // off = used - regs; bounded for the verifier (it is, at run time, by construction)
    a.ldx(Size.W, Reg.R4, o.record, o.usedField)
      .sub64(Reg.R4, CAPTURE_REGS_SIZE)
      .jmp(JmpOp.Jgt, Reg.R4, o.stackBytes - size, next)
      .mov64(Reg.R1, o.record)
      .add64(Reg.R1, stack)
      .add64(Reg.R1, Reg.R4)
      .mov64(Reg.R2, size)
      .ldx(Size.DW, Reg.R3, o.record, spField)
      .add64(Reg.R3, Reg.R4)
      .call(BpfHelper.ProbeReadUser)
      .jmp(JmpOp.Jne, Reg.R0, 0, next)
      .ldx(Size.W, Reg.R4, o.record, o.usedField)
      .add64(Reg.R4, size)
      .stx(Size.W, o.record, o.usedField, Reg.R4);
    // the whole copy in one read: done
    if (size === o.stackBytes) a.ja(full);
    a.label(next);
  }
  a.label(full);
}
