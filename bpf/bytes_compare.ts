/**
 * Code generation of `bytesEqual` (see `ir.ts`): byte strings compared in the probe. Each side
 * read from user memory is copied into a buffer first: an 8-byte-aligned stack buffer
 * ({@link StackFrame.allocBytes}) when it is small, else one half of the per-CPU `scratch` map
 * entry ({@link SCRATCH_MAP}); constant sides are compared as immediates. The comparison is
 * unrolled (one load and one jump per byte), so lengths stay small ({@link MAX_COMPARE_BYTES}).
 * @module
 */

import { type Assembler, JmpOp, Reg, Size } from "./asm.ts";
import { BpfHelper } from "./helpers.ts";
import type { IrBytes, IrExpr } from "./ir.ts";
import { SCRATCH_HALF, SCRATCH_MAP } from "./maps.ts";
import type { StackFrame } from "./stack_frame.ts";
import { ValueStatus } from "./wire.ts";

/** Largest comparison length (bytes) a program may unroll. */
export const MAX_COMPARE_BYTES = SCRATCH_HALF - 1;

/** Buffers up to this size live on the stack; larger ones in the scratch map. */
export const STACK_BUFFER_MAX = 64;

/** What the comparison needs from the trace code generator. */
export interface BytesCodegen {
  a: Assembler;
  frame: StackFrame;
  label(what: string): string;
  /** Evaluates an expression into R0 (R1-R5 clobbered; R9/R8 updated). */
  expr(e: IrExpr): void;
  /** Records a failure status (first one wins); `addrSlot` holds the failing address. */
  setStatus(status: ValueStatus, addrSlot?: number): void;
  /** A 4-byte stack slot free for a map key. */
  keySlot: number;
  /** The 8-byte slot where the address being read is kept (for error reports). */
  addrSlot: number;
}

/** Where a side's bytes are: a stack buffer, or the scratch entry (pointer spilled at `slot`). */
export type Buffer = { kind: "stack"; off: number } | {
  kind: "scratch";
  slot: number;
  half: number;
};

/** Emits `R0 = bytesEqual(...)`: 1 / 0, status in R9 when a read failed (R0 is 0 then). */
export function emitBytesEqual(
  e: IrExpr & { kind: "bytesEqual" },
  g: BytesCodegen,
): void {
  const a = g.a;
  const n = e.length;
  if (!Number.isInteger(n) || n < 0 || n > MAX_COMPARE_BYTES) {
    throw new RangeError(`a comparison of ${n} bytes (at most ${MAX_COMPARE_BYTES})`);
  }
  if (n === 0) {
    a.mov64(Reg.R0, 1);
    return;
  }
  const mark = g.frame.mark();
  const falseL = g.label("bytes_ne");
  const trueL = g.label("bytes_eq");
  const endL = g.label("bytes_end");
  const failL = g.label("bytes_fail");
  let lenSlot: number | undefined;
  if (e.dynLength) {
    // the length first, clamped to the buffers; a zero length reads nothing
    lenSlot = g.frame.alloc();
    const pos = g.label("cmp_len_pos");
    const inCap = g.label("cmp_len_cap");
    g.expr(e.dynLength);
    a.jmp(JmpOp.Jne, Reg.R9, 0, failL)
      .jmp(JmpOp.Jsgt, Reg.R0, 0, pos).mov64(Reg.R0, 0).label(pos)
      .jmp(JmpOp.Jle, Reg.R0, n, inCap).mov64(Reg.R0, n).label(inCap)
      .stx(Size.DW, Reg.R10, lenSlot, Reg.R0)
      .jmp(JmpOp.Jeq, Reg.R0, 0, trueL);
  }
  let scratchSlot: number | undefined;
  const buffers: (Buffer | undefined)[] = [];
  let half = 0;
  for (const side of [e.left, e.right]) {
    if (side.kind !== "userBytes") {
      buffers.push(undefined);
      continue;
    }
    const size = readSize(side);
    let buf: Buffer;
    if (size <= STACK_BUFFER_MAX && g.frame.free >= size + 64) {
      buf = { kind: "stack", off: g.frame.allocBytes(size) };
    } else {
      if (scratchSlot === undefined) {
        scratchSlot = g.frame.alloc();
        lookupScratch(g, scratchSlot, failL);
      }
      buf = { kind: "scratch", slot: scratchSlot, half: half++ };
    }
    buffers.push(buf);
    readSide(g, side, buf, failL, lenSlot);
  }
  // base registers of scratch buffers: R4 (left), R5 (right)
  const bases = [Reg.R4, Reg.R5];
  buffers.forEach((b, i) => {
    if (b?.kind === "scratch") {
      a.ldx(Size.DW, bases[i], Reg.R10, b.slot);
      if (b.half) a.add64(bases[i], b.half * SCRATCH_HALF);
    }
  });
  const load = (side: number, i: number, reg: Reg): number | undefined => {
    const s = side === 0 ? e.left : e.right;
    if (s.kind === "constBytes") return s.bytes[i] ?? 0;
    const b = buffers[side]!;
    if (b.kind === "stack") a.ldx(Size.B, reg, Reg.R10, b.off + i);
    else a.ldx(Size.B, reg, bases[side], i);
    return undefined;
  };
  for (let i = 0; i < n; i++) {
    if (lenSlot !== undefined) {
      a.ldx(Size.DW, Reg.R3, Reg.R10, lenSlot).jmp(JmpOp.Jle, Reg.R3, i, trueL);
    }
    const l = load(0, i, Reg.R1);
    const r = load(1, i, Reg.R2);
    if (l !== undefined && r !== undefined) {
      if (l !== r) a.ja(falseL);
      else if (e.stopAtNul && l === 0) a.ja(trueL);
      continue;
    }
    if (l !== undefined) {
      a.jmp(JmpOp.Jne, Reg.R2, l, falseL);
      if (e.stopAtNul && l === 0) {
        a.ja(trueL);
        break;
      }
    } else if (r !== undefined) {
      a.jmp(JmpOp.Jne, Reg.R1, r, falseL);
      if (e.stopAtNul && r === 0) {
        a.ja(trueL);
        break;
      }
    } else {
      a.jmp(JmpOp.Jne, Reg.R1, Reg.R2, falseL);
      if (e.stopAtNul) a.jmp(JmpOp.Jeq, Reg.R1, 0, trueL);
    }
  }
  a.label(trueL).mov64(Reg.R0, 1).ja(endL)
    .label(falseL).mov64(Reg.R0, 0).ja(endL)
    .label(failL).mov64(Reg.R0, 0)
    .label(endL);
  g.frame.release(mark);
}

/** Bytes read for a side: a C string needs one more for the helper's NUL. */
function readSize(side: IrBytes & { kind: "userBytes" }): number {
  return side.string ? side.size + 1 : side.size;
}

/** `*slot = bpf_map_lookup_elem(&scratch, &0)`; jumps to `failL` (ReadError) if none. */
export function lookupScratch(g: BytesCodegen, slot: number, failL: string): void {
  const a = g.a;
  const ok = g.label("scratch_ok");
  a.st(Size.W, Reg.R10, g.keySlot, 0)
    .ldMap(Reg.R1, SCRATCH_MAP)
    .mov64(Reg.R2, Reg.R10)
    .add64(Reg.R2, g.keySlot)
    .call(BpfHelper.MapLookupElem)
    .jmp(JmpOp.Jne, Reg.R0, 0, ok);
  g.setStatus(ValueStatus.ReadError);
  a.ja(failL).label(ok).stx(Size.DW, Reg.R10, slot, Reg.R0);
}

/** Copies one side into its buffer; a NULL address or a failed read jumps to `failL`. */
export function readSide(
  g: BytesCodegen,
  side: IrBytes & { kind: "userBytes" },
  buf: Buffer,
  failL: string,
  lenSlot: number | undefined,
): void {
  const a = g.a;
  const nonNull = g.label("bytes_addr");
  const ok = g.label("bytes_read");
  g.expr(side.addr);
  a.jmp(JmpOp.Jne, Reg.R9, 0, failL);
  a.jmp(JmpOp.Jne, Reg.R0, 0, nonNull);
  g.setStatus(ValueStatus.NullDeref);
  a.ja(failL).label(nonNull)
    .stx(Size.DW, Reg.R10, g.addrSlot, Reg.R0)
    .mov64(Reg.R3, Reg.R0);
  if (buf.kind === "stack") {
    a.mov64(Reg.R1, Reg.R10).add64(Reg.R1, buf.off);
  } else {
    a.ldx(Size.DW, Reg.R1, Reg.R10, buf.slot);
    if (buf.half) a.add64(Reg.R1, buf.half * SCRATCH_HALF);
  }
  const size = readSize(side);
  // a C string is read whole (it stops at its NUL); a run-time length bounds raw reads only
  if (lenSlot !== undefined && !side.string) {
    // the run-time length, re-clamped so the verifier sees 0 <= size <= buffer at the call
    const sized = g.label("cmp_read_len");
    a.ldx(Size.DW, Reg.R2, Reg.R10, lenSlot)
      .jmp(JmpOp.Jle, Reg.R2, size, sized)
      .mov64(Reg.R2, size)
      .label(sized);
  } else {
    a.mov64(Reg.R2, size);
  }
  a.call(side.string ? BpfHelper.ProbeReadUserStr : BpfHelper.ProbeReadUser)
    .jmp(JmpOp.Jsge, Reg.R0, 0, ok);
  g.setStatus(ValueStatus.ReadError, g.addrSlot);
  a.ja(failL).label(ok);
}
