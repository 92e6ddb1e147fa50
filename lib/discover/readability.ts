/**
 * Where a variable lives at one pc, in a user's words, and whether a uprobe can read it there:
 * a register, a stack slot, a static address, a computed value; or why not (optimized out at
 * this pc, a location-list gap, a register a uprobe does not see, a value only the caller had).
 * @module
 */
import type { LocationPlan } from "../dwarf/index.ts";

/** How a variable can be read at a pc. */
export enum Storage {
  Register = "register",
  Stack = "stack",
  Static = "static",
  Memory = "memory",
  Computed = "computed",
  Constant = "constant",
  OptimizedOut = "optimized-out",
  Unreadable = "unreadable",
}

/** A variable's place at one pc. */
export interface Placement {
  storage: Storage;
  /** Short location text (`rdi`, `CFA-20 (CFA=rsp+8)`, `addr 0x4010`). */
  where: string;
  /** True when a probe at this pc reads the value. */
  readable: boolean;
  /** Why the value cannot be read (set when `readable` is false). */
  why?: string;
}

/** Stack-pointer-relative registers (and the CFA, which is one). */
const STACK_TEXT = /\b(CFA|rsp|rbp)\b/;

/** Classifies a DWARF location plan (lib/dwarf's `LocationPlan`). */
export function placement(plan: LocationPlan): Placement {
  switch (plan.kind) {
    case "regs": {
      const missing = plan.pieces.filter((p) => p.reg === undefined).length;
      const where = plan.pieces.map((p) => p.name ?? "?").join(":");
      if (missing === plan.pieces.length) {
        return out(Storage.OptimizedOut, "no register holds any piece of it at this pc");
      }
      if (missing > 0) {
        return {
          storage: Storage.Register,
          where,
          readable: true,
          why: `partly optimized out: ${missing} of ${plan.pieces.length} pieces have no location`,
        };
      }
      return { storage: Storage.Register, where, readable: true };
    }
    case "memory": {
      const onlyAddress = plan.steps.every((s) => s.op === "addr" || s.op === "add");
      const storage = onlyAddress
        ? Storage.Static
        : STACK_TEXT.test(plan.text)
        ? Storage.Stack
        : Storage.Memory;
      return { storage, where: plan.text, readable: true };
    }
    case "value": {
      const constant = plan.steps.every((s) => s.op === "const");
      return {
        storage: constant ? Storage.Constant : Storage.Computed,
        where: plan.text,
        readable: true,
      };
    }
    case "optimized-out":
      return out(Storage.OptimizedOut, optimizedWhy(plan.text));
    case "unsupported":
      return { storage: Storage.Unreadable, where: "", readable: false, why: unreadableWhy(plan) };
  }
}

function out(storage: Storage, why: string): Placement {
  return { storage, where: "", readable: false, why };
}

function optimizedWhy(text: string): string {
  if (/no location list entry/.test(text)) {
    return "location-list gap: no location list entry covers this pc";
  }
  if (/DW_OP_entry_value/.test(text)) {
    return "only its value at function entry is described (DW_OP_entry_value), which a " +
      "probe past the entry cannot recover";
  }
  const detail = /^<optimized out> \((.*)\)$/.exec(text);
  if (detail) return detail[1];
  return "the compiler recorded no location for it at this pc";
}

function unreadableWhy(plan: LocationPlan & { kind: "unsupported" }): string {
  const reg = /register (\S+) is not in pt_regs/.exec(plan.reason);
  if (reg) {
    return `only in register ${reg[1]}, which a uprobe cannot see (it gets the general-purpose ` +
      "registers only)";
  }
  if (/entry_value|entry value/i.test(plan.reason)) {
    return `only its value at function entry is described (${plan.reason}), which the probe ` +
      "cannot recover here";
  }
  if (/implicit pointer/.test(plan.reason)) return plan.reason;
  return `its location needs ${plan.reason}, which ghostscope cannot evaluate`;
}
