/**
 * Kernel side of `trace f:return`: pairing each return with the entry of the same call, per
 * thread, recursion-safe.
 *
 * Two programs per return block. The ENTRY program (a uprobe where `trace f` would go, after
 * the prologue, so parameters read as `trace f` reads them) pushes one record on the thread's
 * stack for this block; the RETURN program (a uretprobe at the function's entry) pops it:
 *
 * ```
 * ret_depth  HASH  {u64 pid_tgid, u32 trace_id, u32 0}      -> u64 depth (calls in flight)
 * ret_stack  HASH  {u64 pid_tgid, u32 trace_id, u32 depth}  -> {u64 entry_ktime, u64 capture[N]}
 * ```
 *
 * Entry: `d = depth or 0`; store `{ktime, captures}` at `d`; `depth = d + 1` (bumped even when
 * the store fails, so a later return never pops an outer call's record). Return: no depth (the
 * call began before attach) → nothing; else `d = depth - 1`, take and delete the record at `d`,
 * `depth = d` (deleted at 0, so a thread with no call in flight leaves no entry), then
 * `$duration = now - entry_ktime` and `entry(x)` = capture slots, bound as variables of the
 * body. A call that never returns (longjmp, thread exit) leaves its record until the session
 * ends and destroys the maps.
 * @module
 */
import { Assembler, JmpOp, Reg, Size } from "./asm.ts";
import { BpfHelper } from "./helpers.ts";
import type { IrExpr } from "./ir.ts";
import { MapType } from "../ffi/bpf_types.ts";
import { type MapSpec, OBJECT_PREFIX } from "./maps.ts";
import type { StackFrame } from "./stack_frame.ts";

/** Program-side name of the per-thread call depth map. */
export const RET_DEPTH_MAP = "ret_depth";
/** Program-side name of the per-thread stack of entry records. */
export const RET_STACK_MAP = "ret_stack";
/** Most `entry(x)` values one return block may capture. */
export const MAX_ENTRY_CAPTURES = 8;
/** Calls in flight (all threads, all return blocks) the maps hold. */
export const RET_MAX_ENTRIES = 16384;
/** Key size of both maps: u64 pid_tgid, u32 trace_id, u32 depth (0 in `ret_depth`). */
export const RET_KEY_SIZE = 16;

/** Byte size of one entry record with `captures` slots. */
export function entryRecordSize(captures: number): number {
  return 8 + 8 * captures;
}

/** `ret_depth`: HASH, 16-byte key, u64 depth. */
export function retDepthMapSpec(): MapSpec {
  return {
    ref: RET_DEPTH_MAP,
    name: OBJECT_PREFIX + RET_DEPTH_MAP,
    type: MapType.Hash,
    keySize: RET_KEY_SIZE,
    valueSize: 8,
    maxEntries: RET_MAX_ENTRIES,
  };
}

/** `ret_stack`: HASH, 16-byte key, `{u64 ktime, u64 capture[captures]}`. */
export function retStackMapSpec(captures: number): MapSpec {
  if (!Number.isInteger(captures) || captures < 0 || captures > MAX_ENTRY_CAPTURES) {
    throw new RangeError(`entry captures ${captures} out of range 0..${MAX_ENTRY_CAPTURES}`);
  }
  return {
    ref: RET_STACK_MAP,
    name: OBJECT_PREFIX + RET_STACK_MAP,
    type: MapType.Hash,
    keySize: RET_KEY_SIZE,
    valueSize: entryRecordSize(captures),
    maxEntries: RET_MAX_ENTRIES,
  };
}

/** What a trace program does for return pairing. */
export type ReturnPairing =
  /** The entry half: push `{ktime, captures}`; `slots` is the map's capture count (>= captures). */
  | { role: "entry"; captures: readonly IrExpr[]; slots: number }
  /**
   * The return half: pop the record and bind `$duration` to variable `durationVar` and capture
   * `i` to `entryVars[i]` (ids of the IR's `var` expressions) before the body runs.
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

/** Writes the 16-byte key at `key`: current pid_tgid, `traceId`, depth 0. */
function emitKey(a: Assembler, key: number, traceId: number): void {
  a.call(BpfHelper.GetCurrentPidTgid)
    .stx(Size.DW, Reg.R10, key, Reg.R0)
    .st(Size.W, Reg.R10, key + 8, traceId)
    .st(Size.W, Reg.R10, key + 12, 0);
}

/** `r0 = map_op(map, r10 + key [, r10 + value, flags])`. */
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
 * The entry half, emitted after the task filter. `evalToR0` emits the code of one capture
 * expression leaving its value in R0 (R6 = ctx is preserved across helper calls).
 */
export function emitEntryPush(
  a: Assembler,
  frame: StackFrame,
  traceId: number,
  pairing: ReturnPairing & { role: "entry" },
  evalToR0: (e: IrExpr) => void,
  label: (what: string) => string,
): void {
  if (pairing.captures.length > pairing.slots || pairing.slots > MAX_ENTRY_CAPTURES) {
    throw new RangeError(`${pairing.captures.length} entry captures for ${pairing.slots} slots`);
  }
  const key = allocBlock(frame, 2);
  const depth = frame.alloc();
  const record = allocBlock(frame, 1 + pairing.slots);
  emitKey(a, key, traceId);
  const have = label("depth_found");
  const known = label("depth_known");
  emitMapCall(a, BpfHelper.MapLookupElem, RET_DEPTH_MAP, key);
  a.jmp(JmpOp.Jne, Reg.R0, 0, have)
    .st(Size.DW, Reg.R10, depth, 0)
    .ja(known)
    .label(have)
    .ldx(Size.DW, Reg.R1, Reg.R0, 0)
    .stx(Size.DW, Reg.R10, depth, Reg.R1)
    .label(known);
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
  a.ldx(Size.DW, Reg.R1, Reg.R10, depth).stx(Size.W, Reg.R10, key + 12, Reg.R1);
  emitMapCall(a, BpfHelper.MapUpdateElem, RET_STACK_MAP, key, record);
  a.st(Size.W, Reg.R10, key + 12, 0)
    .ldx(Size.DW, Reg.R1, Reg.R10, depth)
    .add64(Reg.R1, 1)
    .stx(Size.DW, Reg.R10, depth, Reg.R1);
  emitMapCall(a, BpfHelper.MapUpdateElem, RET_DEPTH_MAP, key, depth);
}

/**
 * The return half, emitted after the task filter: pops this call's record or jumps to `exit`
 * when there is none. Returns the variables it bound (`$duration`, then the captures).
 */
export function emitReturnPop(
  a: Assembler,
  frame: StackFrame,
  traceId: number,
  pairing: ReturnPairing & { role: "return" },
  exit: string,
  label: (what: string) => string,
): BoundVar[] {
  const key = allocBlock(frame, 2);
  const depth = frame.alloc();
  const duration = frame.alloc();
  const entries = pairing.entryVars.map(() => frame.alloc());
  emitKey(a, key, traceId);
  emitMapCall(a, BpfHelper.MapLookupElem, RET_DEPTH_MAP, key);
  a.jmp(JmpOp.Jeq, Reg.R0, 0, exit)
    .ldx(Size.DW, Reg.R1, Reg.R0, 0)
    .jmp(JmpOp.Jeq, Reg.R1, 0, exit)
    .sub64(Reg.R1, 1)
    .stx(Size.DW, Reg.R10, depth, Reg.R1);
  // depth = d, or no entry at all once the outermost call returns.
  const keep = label("depth_keep");
  const popped = label("depth_popped");
  a.jmp(JmpOp.Jne, Reg.R1, 0, keep);
  emitMapCall(a, BpfHelper.MapDeleteElem, RET_DEPTH_MAP, key);
  a.ja(popped).label(keep);
  emitMapCall(a, BpfHelper.MapUpdateElem, RET_DEPTH_MAP, key, depth);
  a.label(popped);
  a.ldx(Size.DW, Reg.R1, Reg.R10, depth).stx(Size.W, Reg.R10, key + 12, Reg.R1);
  emitMapCall(a, BpfHelper.MapLookupElem, RET_STACK_MAP, key);
  a.jmp(JmpOp.Jeq, Reg.R0, 0, exit);
  a.ldx(Size.DW, Reg.R1, Reg.R0, 0).stx(Size.DW, Reg.R10, duration, Reg.R1);
  entries.forEach((slot, i) => {
    a.ldx(Size.DW, Reg.R1, Reg.R0, 8 + 8 * i).stx(Size.DW, Reg.R10, slot, Reg.R1);
  });
  emitMapCall(a, BpfHelper.MapDeleteElem, RET_STACK_MAP, key);
  a.call(BpfHelper.KtimeGetNs)
    .ldx(Size.DW, Reg.R1, Reg.R10, duration)
    .sub64(Reg.R0, Reg.R1)
    .stx(Size.DW, Reg.R10, duration, Reg.R0);
  return [
    { id: pairing.durationVar, slot: duration },
    ...pairing.entryVars.map((id, i) => ({ id, slot: entries[i] })),
  ];
}
