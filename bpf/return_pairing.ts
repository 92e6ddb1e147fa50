/**
 * Kernel side of `trace f:return`: pairing each return with the entry of the same call.
 *
 * Two programs per return block. The ENTRY program (a uprobe where `trace f` would go, after
 * the prologue, so parameters read as `trace f` reads them) records the call; the RETURN
 * program (a uretprobe at the function's entry) takes the record back:
 *
 * ```
 * ret_calls  HASH  {u64 pid_tgid, u32 trace_id, u32 0, u64 frame}  -> {u64 entry_ktime, u64 capture[N]}
 * ```
 *
 * `frame` is the call's canonical frame address (CFA): at the entry site the compiler computes
 * it from the call frame information (`rsp + 8` at the function's first instruction, `rbp + 16`
 * after a frame-pointer prologue...); when the uretprobe fires, the `ret` has popped the return
 * address, so `regs->sp` is that same address. Every call in flight on a thread has its own
 * frame, so recursion pairs each return with its own entry, and nothing depends on every entry
 * being followed by its return: a call whose return is never seen (longjmp, a thread that
 * exits, the kernel's limit of 64 nested uretprobes) leaves one record, replaced by the next
 * call made at the same frame or dropped with the maps when the session ends.
 *
 * Entry: store `{ktime, captures}` at the key. Return: look it up (none: the call began before
 * the probes were attached), copy `entry_ktime` and the captures to stack slots, delete it, then
 * `$duration = now - entry_ktime` and `entry(x)` = capture slots, bound as variables of the body.
 * @module
 */
import { Assembler, JmpOp, Reg, Size } from "./asm.ts";
import { BpfHelper } from "./helpers.ts";
import type { IrExpr } from "./ir.ts";
import { MapType } from "../ffi/bpf_types.ts";
import { type MapSpec, OBJECT_PREFIX } from "./maps.ts";
import type { StackFrame } from "./stack_frame.ts";

/** Program-side name of the map of calls in flight. */
export const RET_CALLS_MAP = "ret_calls";
/** Most values (captures and the load bias) one entry record holds. */
export const MAX_ENTRY_CAPTURES = 8;
/** Calls in flight (all threads, all return blocks) the map holds. */
export const RET_MAX_ENTRIES = 16384;
/** Key size: u64 pid_tgid, u32 trace_id, u32 0, u64 frame address. */
export const RET_KEY_SIZE = 24;
/** Offset of `sp` in x86_64 `struct pt_regs`. */
export const PT_REGS_SP = 152;

/** Byte size of one entry record with `captures` slots. */
export function entryRecordSize(captures: number): number {
  return 8 + 8 * captures;
}

/** `ret_calls`: HASH, 24-byte key, `{u64 ktime, u64 capture[captures]}`. */
export function retCallsMapSpec(captures: number): MapSpec {
  if (!Number.isInteger(captures) || captures < 0 || captures > MAX_ENTRY_CAPTURES) {
    throw new RangeError(`entry captures ${captures} out of range 0..${MAX_ENTRY_CAPTURES}`);
  }
  return {
    ref: RET_CALLS_MAP,
    name: OBJECT_PREFIX + RET_CALLS_MAP,
    type: MapType.Hash,
    keySize: RET_KEY_SIZE,
    valueSize: entryRecordSize(captures),
    maxEntries: RET_MAX_ENTRIES,
  };
}

/** What a trace program does for return pairing. */
export type ReturnPairing =
  /**
   * The entry half: record `{ktime, captures}` under the call's frame address `frame` (an
   * expression over the entry site's registers); `slots` is the map's capture count.
   */
  | { role: "entry"; frame: IrExpr; captures: readonly IrExpr[]; slots: number }
  /**
   * The return half: take the record of the frame `regs->sp` names and bind `$duration` to
   * variable `durationVar` and capture `i` to `entryVars[i]` (ids of the IR's `var`
   * expressions) before the body runs.
   */
  | { role: "return"; durationVar: number; entryVars: readonly number[] };

/** A variable slot the return half binds (see `trace_program.ts`'s `let` slots). */
export interface BoundVar {
  id: number;
  slot: number;
}

/** Allocates `n` contiguous 8-byte slots; returns the lowest offset. */
function allocBlock(frame: StackFrame, n: number): number {
  let low = 0;
  for (let i = 0; i < n; i++) low = frame.alloc();
  return low;
}

/** Writes the key's first 16 bytes at `key`: current pid_tgid, `traceId`, 0. */
function emitKeyHead(a: Assembler, key: number, traceId: number): void {
  a.call(BpfHelper.GetCurrentPidTgid)
    .stx(Size.DW, Reg.R10, key, Reg.R0)
    .st(Size.W, Reg.R10, key + 8, traceId)
    .st(Size.W, Reg.R10, key + 12, 0);
}

/** `r0 = map_op(map, r10 + key [, r10 + value, flags = BPF_ANY])`. */
function emitMapCall(
  a: Assembler,
  helper: BpfHelper,
  map: string,
  key: number,
  value?: number,
): void {
  a.ldMap(Reg.R1, map).mov64(Reg.R2, Reg.R10).add64(Reg.R2, key);
  if (value !== undefined) a.mov64(Reg.R3, Reg.R10).add64(Reg.R3, value).mov64(Reg.R4, 0);
  a.call(helper);
}

/**
 * The entry half, emitted after the task filter. `evalToR0` emits the code of one expression
 * leaving its value in R0 (R6 = ctx is preserved across helper calls).
 */
export function emitEntryPush(
  a: Assembler,
  frame: StackFrame,
  traceId: number,
  pairing: ReturnPairing & { role: "entry" },
  evalToR0: (e: IrExpr) => void,
): void {
  if (pairing.captures.length > pairing.slots || pairing.slots > MAX_ENTRY_CAPTURES) {
    throw new RangeError(`${pairing.captures.length} entry captures for ${pairing.slots} slots`);
  }
  const key = allocBlock(frame, 3);
  const record = allocBlock(frame, 1 + pairing.slots);
  evalToR0(pairing.frame);
  a.stx(Size.DW, Reg.R10, key + 16, Reg.R0);
  emitKeyHead(a, key, traceId);
  // Unused slots are zeroed: the verifier wants the whole value initialized.
  for (let i = pairing.captures.length; i < pairing.slots; i++) {
    a.st(Size.DW, Reg.R10, record + 8 + 8 * i, 0);
  }
  pairing.captures.forEach((e, i) => {
    evalToR0(e);
    a.stx(Size.DW, Reg.R10, record + 8 + 8 * i, Reg.R0);
  });
  // The timestamp last, closest to the call's start.
  a.call(BpfHelper.KtimeGetNs).stx(Size.DW, Reg.R10, record, Reg.R0);
  emitMapCall(a, BpfHelper.MapUpdateElem, RET_CALLS_MAP, key, record);
}

/**
 * The return half, emitted after the task filter: takes this call's record or jumps to `exit`
 * when there is none. Returns the variables it bound (`$duration`, then the captures).
 */
export function emitReturnPop(
  a: Assembler,
  frame: StackFrame,
  traceId: number,
  pairing: ReturnPairing & { role: "return" },
  exit: string,
): BoundVar[] {
  const key = allocBlock(frame, 3);
  const duration = frame.alloc();
  const entries = pairing.entryVars.map(() => frame.alloc());
  a.ldx(Size.DW, Reg.R1, Reg.R6, PT_REGS_SP).stx(Size.DW, Reg.R10, key + 16, Reg.R1);
  emitKeyHead(a, key, traceId);
  emitMapCall(a, BpfHelper.MapLookupElem, RET_CALLS_MAP, key);
  a.jmp(JmpOp.Jeq, Reg.R0, 0, exit);
  a.ldx(Size.DW, Reg.R1, Reg.R0, 0).stx(Size.DW, Reg.R10, duration, Reg.R1);
  entries.forEach((slot, i) => {
    a.ldx(Size.DW, Reg.R1, Reg.R0, 8 + 8 * i).stx(Size.DW, Reg.R10, slot, Reg.R1);
  });
  emitMapCall(a, BpfHelper.MapDeleteElem, RET_CALLS_MAP, key);
  a.call(BpfHelper.KtimeGetNs)
    .ldx(Size.DW, Reg.R1, Reg.R10, duration)
    .sub64(Reg.R0, Reg.R1)
    .stx(Size.DW, Reg.R10, duration, Reg.R0);
  return [
    { id: pairing.durationVar, slot: duration },
    ...pairing.entryVars.map((id, i) => ({ id, slot: entries[i] })),
  ];
}
