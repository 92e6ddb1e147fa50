/**
 * The kernel half of `bt`: copies the registers an unwinder starts from and a bounded copy of the
 * user stack (from sp upwards) into a ring record; userspace unwinds it by DWARF CFI
 * (`lib/unwind`). Nothing is unwound in the kernel: the program stays small and the same for any
 * binary, at the price of a bigger event (see ARCHITECTURE.md, "Backtraces").
 *
 * Payload (8-byte aligned, inside one value record of type `ValueType.Stack`):
 *
 * ```
 * u64 regs[8]   rip, rsp, rbp, rbx, r12, r13, r14, r15 (`CAPTURE_REGS`, from the probe's pt_regs)
 * u8  stack[N]  user memory [sp, sp + N)
 * ```
 *
 * The stack is read in {@link CHUNK}-byte pieces, each with `bpf_probe_read_user` into the record,
 * and the copy ends at the first piece that cannot be read (the top of the stack mapping): the
 * value's `used` field says how many payload bytes are valid (registers included).
 * @module
 */

import { type Assembler, JmpOp, Reg, Size } from "./asm.ts";
import { MapType } from "../ffi/bpf_types.ts";
import { BpfHelper } from "./helpers.ts";
import { type MapSpec, OBJECT_PREFIX } from "./maps.ts";

/** Registers captured, in payload order, with their offsets in x86_64 `struct pt_regs`. */
export const CAPTURE_REGS: ReadonlyArray<{ name: string; ptRegsOffset: number }> = [
  { name: "rip", ptRegsOffset: 128 },
  { name: "rsp", ptRegsOffset: 152 },
  { name: "rbp", ptRegsOffset: 32 },
  { name: "rbx", ptRegsOffset: 40 },
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
  /** Stack slot (fp offset) holding `bpf_get_current_pid_tgid()`: the key of the tops map. */
  pidTgidSlot: number;
  /** A free 8-byte stack slot (fp offset). */
  scratchSlot: number;
}

/** Program-side name of the LRU map: thread (pid_tgid) -> top of its readable stack. */
export const STACK_TOPS_MAP = "stack_tops";

/** Threads whose stack top is remembered. */
export const STACK_TOPS_ENTRIES = 4096;

/**
 * Emits the capture; clobbers R0-R5.
 *
 * A read that runs past the top of the stack fails, and a failing user read is expensive (a page
 * fault: 10-40 us each on this VM), so the top of each thread's readable stack is remembered in
 * {@link STACK_TOPS_MAP} once found: later hits read exactly `min(size, top - sp)` bytes, in one
 * read that does not fail. Without a remembered top (a thread's first hit, or a read that failed
 * anyway: a reused thread id), the copy is one read of the whole size when the stack is that deep,
 * else a greedy descent: halves, quarters, ... down to {@link CHUNK}, each read appended where the
 * last one ended (`1 + log2(stackBytes / CHUNK)` reads at most); a copy cut short records its end
 * as the thread's top.
 */
export function emitStackCapture(a: Assembler, o: StackCaptureOptions): void {
  const n = o.stackBytes / CHUNK;
  if (!Number.isInteger(n) || n < 1 || (n & (n - 1)) !== 0 || o.stackBytes > MAX_STACK_COPY) {
    throw new RangeError(`stack copy of ${o.stackBytes} bytes (${CHUNK} times a power of two)`);
  }
  CAPTURE_REGS.forEach((r, i) => {
    a.ldx(Size.DW, Reg.R1, o.ctx, r.ptRegsOffset).stx(Size.DW, o.record, o.payload + 8 * i, Reg.R1);
  });
  const stack = o.payload + CAPTURE_REGS_SIZE;
  const spField = o.payload + 8; // regs[1]
  const full = o.label("stack_full");
  const search = o.label("stack_search");
  // 1. a remembered top: one read of exactly what is there
  a.ldMap(Reg.R1, STACK_TOPS_MAP)
    .mov64(Reg.R2, Reg.R10)
    .add64(Reg.R2, o.pidTgidSlot)
    .call(BpfHelper.MapLookupElem)
    .jmp(JmpOp.Jeq, Reg.R0, 0, search)
    .ldx(Size.DW, Reg.R4, Reg.R0, 0)
    .ldx(Size.DW, Reg.R3, o.record, spField)
    .sub64(Reg.R4, Reg.R3)
    .jmp(JmpOp.Jsle, Reg.R4, 0, search);
  const capped = o.label("stack_capped");
  a.jmp(JmpOp.Jle, Reg.R4, o.stackBytes, capped)
    .mov64(Reg.R4, o.stackBytes)
    .label(capped)
    .stx(Size.DW, Reg.R10, o.scratchSlot, Reg.R4)
    .mov64(Reg.R1, o.record)
    .add64(Reg.R1, stack)
    .mov64(Reg.R2, Reg.R4)
    .call(BpfHelper.ProbeReadUser)
    .jmp(JmpOp.Jne, Reg.R0, 0, search)
    .ldx(Size.DW, Reg.R4, Reg.R10, o.scratchSlot)
    .add64(Reg.R4, CAPTURE_REGS_SIZE)
    .stx(Size.W, o.record, o.usedField, Reg.R4)
    .ja(full);
  // 2. search from sp upwards
  a.label(search).st(Size.W, o.record, o.usedField, CAPTURE_REGS_SIZE);
  const cut = o.label("stack_cut");
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
    // the whole copy in one read: nothing to remember
    if (size === o.stackBytes) a.ja(full);
    a.label(next);
  }
  // 3. cut short: remember sp + copied as the thread's top
  a.label(cut)
    .ldx(Size.W, Reg.R4, o.record, o.usedField)
    .jmp(JmpOp.Jge, Reg.R4, CAPTURE_REGS_SIZE + o.stackBytes, full)
    .sub64(Reg.R4, CAPTURE_REGS_SIZE)
    .ldx(Size.DW, Reg.R3, o.record, spField)
    .add64(Reg.R3, Reg.R4)
    .stx(Size.DW, Reg.R10, o.scratchSlot, Reg.R3)
    .ldMap(Reg.R1, STACK_TOPS_MAP)
    .mov64(Reg.R2, Reg.R10)
    .add64(Reg.R2, o.pidTgidSlot)
    .mov64(Reg.R3, Reg.R10)
    .add64(Reg.R3, o.scratchSlot)
    .mov64(Reg.R4, 0)
    .call(BpfHelper.MapUpdateElem)
    .label(full);
}

/** The thread -> stack top map: LRU hash, u64 pid_tgid -> u64 address. */
export function stackTopsMapSpec(): MapSpec {
  return {
    ref: STACK_TOPS_MAP,
    name: OBJECT_PREFIX + "stack_tops",
    type: MapType.LruHash,
    keySize: 8,
    valueSize: 8,
    maxEntries: STACK_TOPS_ENTRIES,
  };
}
