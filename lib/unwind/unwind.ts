/**
 * Unwinds a {@link StackSnapshot} by DWARF call frame information: for each frame, the module
 * holding the pc gives the CFI row of the pc (`pc - 1` above frame 0: a return address points
 * after the call), which gives the CFA and where the caller's registers were saved (in the stack
 * copy); the return address becomes the next pc. The walk never guesses: a frame it cannot
 * unwind ends the trace with the reason.
 * @module
 */
import type { CfaRow, RegRule } from "../dwarf/cfa.ts";
import type { AddressSpace, MappedModule } from "./address_space.ts";
import { evalCfiExpression } from "./cfi_expr.ts";
import { CALLEE_SAVED, DwarfReg, type RegisterSet } from "./registers.ts";
import type { StackSnapshot } from "./snapshot.ts";

/** One unwound frame. */
export interface UnwoundFrame {
  /** Runtime pc (the probed ip for frame 0, a return address above it). */
  pc: number;
  /** The module holding it, when one does. */
  module?: MappedModule;
  /** Link-time address in `module` (`pc - bias`). */
  linkPc?: number;
}

/** How a walk ended. */
export enum UnwindEnd {
  /** The outermost frame was reached (its return address is undefined or 0). */
  Complete = "complete",
  /** The depth limit was reached with more frames to go. */
  Truncated = "truncated",
  /** A frame could not be unwound; `reason` says why. */
  Stopped = "stopped",
}

/** The result of {@link unwind}. */
export interface Backtrace {
  frames: UnwoundFrame[];
  end: UnwindEnd;
  /** Why the walk stopped (`no CFI for libfoo.so+0x1234`, `stack copy ended`). */
  reason?: string;
  maxDepth: number;
}

/** One step's outcome: the caller's registers, the end of the stack, or a failure. */
type Step =
  | { kind: "caller"; regs: RegisterSet }
  | { kind: "outermost" }
  | { kind: "failed"; reason: string };

/** Walks at most `maxDepth` frames of `snap` through the modules of `space`. */
export function unwind(snap: StackSnapshot, space: AddressSpace, maxDepth: number): Backtrace {
  const frames: UnwoundFrame[] = [];
  let regs: RegisterSet = new Map(snap.regs);
  for (;;) {
    const pc = regs.get(DwarfReg.Rip);
    if (pc === undefined) return { frames, end: UnwindEnd.Stopped, reason: "no pc", maxDepth };
    const module = space.moduleAt(pc);
    const frame: UnwoundFrame = { pc, module };
    if (module !== undefined) frame.linkPc = pc - module.bias;
    if (frames.length === maxDepth) {
      // One more step tells a natural end from a cut.
      return { frames, end: UnwindEnd.Truncated, maxDepth };
    }
    frames.push(frame);
    const step = stepFrame(snap, regs, frame, frames.length === 1);
    if (step.kind === "outermost") return { frames, end: UnwindEnd.Complete, maxDepth };
    if (step.kind === "failed") {
      return { frames, end: UnwindEnd.Stopped, reason: step.reason, maxDepth };
    }
    regs = step.regs;
  }
}

/** Unwinds one frame: the caller's registers. */
function stepFrame(
  snap: StackSnapshot,
  regs: RegisterSet,
  frame: UnwoundFrame,
  innermost: boolean,
): Step {
  const { module, pc } = frame;
  if (module === undefined) {
    return { kind: "failed", reason: `no module maps 0x${pc.toString(16)}` };
  }
  const where = new Where(module, frame.linkPc!);
  const lookup = innermost ? frame.linkPc! : frame.linkPc! - 1;
  const row = module.image.rowAt(lookup);
  if (row === undefined) return { kind: "failed", reason: `no CFI for ${where}` };
  const cfa = cfaOf(row, regs, snap);
  if (typeof cfa === "string") return { kind: "failed", reason: `${cfa} at ${where}` };
  const ra = row.registers.get(row.returnAddressRegister);
  if (ra === undefined || ra.kind === "undefined") return { kind: "outermost" };
  const caller: RegisterSet = new Map();
  for (const r of CALLEE_SAVED) {
    const v = regs.get(r);
    if (v !== undefined) caller.set(r, v);
  }
  for (const [r, rule] of row.registers) {
    const v = recover(rule, r, cfa, regs, snap);
    if (typeof v === "string") {
      if (r === row.returnAddressRegister) return { kind: "failed", reason: `${v} at ${where}` };
      caller.delete(r); // an unrecoverable saved register is unknown in the caller
    } else if (v === undefined) {
      caller.delete(r);
    } else {
      caller.set(r, v);
    }
  }
  const next = caller.get(row.returnAddressRegister);
  caller.delete(row.returnAddressRegister);
  if (next === undefined || next === 0) return { kind: "outermost" };
  caller.set(DwarfReg.Rip, next);
  caller.set(DwarfReg.Rsp, cfa);
  const sp = regs.get(DwarfReg.Rsp);
  if (sp !== undefined && cfa <= sp) {
    return {
      kind: "failed",
      reason: `invalid frame (CFA 0x${cfa.toString(16)} not above sp) at ${where}`,
    };
  }
  return { kind: "caller", regs: caller };
}

/** The CFA of a row, or why it cannot be computed. */
function cfaOf(row: CfaRow, regs: RegisterSet, snap: StackSnapshot): number | string {
  if (row.cfa.kind === "reg-offset") {
    const base = regs.get(row.cfa.reg);
    if (base === undefined) return `register ${row.cfa.reg} unavailable for the CFA`;
    return base + row.cfa.offset;
  }
  const r = evalCfiExpression(row.cfa.expr, regs, (a) => snap.readU64(a));
  return r.ok ? r.value : r.reason;
}

/** A caller register's value by its rule; undefined when it is unknown, a string on failure. */
function recover(
  rule: RegRule,
  reg: number,
  cfa: number,
  regs: RegisterSet,
  snap: StackSnapshot,
): number | undefined | string {
  const read = (addr: number): number | string =>
    snap.readU64(addr) ?? (addr >= snap.stackStart ? "stack copy ended" : "read below sp");
  switch (rule.kind) {
    case "undefined":
      return undefined;
    case "same-value":
      return regs.get(reg);
    case "offset":
      return read(cfa + rule.offset);
    case "val-offset":
      return cfa + rule.offset;
    case "register":
      return regs.get(rule.reg);
    case "expression": {
      const r = evalCfiExpression(rule.expr, regs, (a) => snap.readU64(a), cfa);
      return r.ok ? read(r.value) : r.reason;
    }
    case "val-expression": {
      const r = evalCfiExpression(rule.expr, regs, (a) => snap.readU64(a), cfa);
      return r.ok ? r.value : r.reason;
    }
  }
}

/** `module+0xoffset` of a frame, formatted only when a failure is reported. */
class Where {
  constructor(private readonly module: MappedModule, private readonly linkPc: number) {}
  toString(): string {
    return `${this.module.image.name}+0x${this.linkPc.toString(16)}`;
  }
}
