/**
 * The intermediate representation the script compiler hands to the trace program builder
 * (`trace_program.ts`). It is a typed expression tree per statement: small enough to reason about
 * register use, rich enough that a value may come from a constant, a helper, a register of the
 * probed task (`ctx`) or a user-memory read that can fail (`read`, with a {@link ValueStatus}).
 *
 * Integer semantics: every value is 64 bits. `signed` on an operation picks signed or unsigned
 * division, remainder and ordering. Booleans are 0 / 1. A failed read yields 0 and sets the
 * expression's status (the first failure wins); a `print` argument carries that status in its
 * value record, a failed `if` condition behaves as false.
 * @module
 */

import type { ValueStatus, ValueType } from "./wire.ts";

/** Values a program computes itself. */
export enum IrBuiltin {
  /** tgid in the configured {@link PidView} (`$pid`). */
  Pid = "pid",
  /** thread id in the configured PidView (`$tid`). */
  Tid = "tid",
  /** host tgid (`$host_pid`). */
  HostPid = "host_pid",
  /** host thread id. */
  HostTid = "host_tid",
  /** `bpf_ktime_get_ns()` (`$timestamp`). */
  Timestamp = "timestamp",
}

/** Integer operators producing integers. */
export type IrArithOp =
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "mod"
  | "and"
  | "or"
  | "xor"
  | "shl"
  | "shr";
/** Comparison operators producing 0 / 1. */
export type IrCompareOp = "eq" | "ne" | "lt" | "le" | "gt" | "ge";

/** An expression; evaluates to a 64-bit value (and a status when it contains reads). */
export type IrExpr =
  /** A constant (taken modulo 2^64). */
  | { kind: "const"; value: bigint }
  /** A program-computed value. */
  | { kind: "builtin"; builtin: IrBuiltin }
  /** The value of a `let` (by id, unique within the trace). */
  | { kind: "var"; id: number }
  /** `-x` (two's complement) or `!x` (1 if x is 0, else 0). */
  | { kind: "unary"; op: "neg" | "not"; operand: IrExpr }
  /** Integer arithmetic. Division by zero yields 0, remainder by zero yields the dividend. */
  | { kind: "arith"; op: IrArithOp; signed: boolean; left: IrExpr; right: IrExpr }
  /** Comparison, 0 / 1. */
  | { kind: "compare"; op: IrCompareOp; signed: boolean; left: IrExpr; right: IrExpr }
  /** Short-circuit `&&` / `||` on truthiness (non-zero), 0 / 1. */
  | { kind: "logical"; op: "and" | "or"; left: IrExpr; right: IrExpr }
  /**
   * Keep the low `bits` of `operand`, zero- or sign-extended to 64 bits (e.g. an `int` argument
   * held in a 64-bit register).
   */
  | { kind: "extend"; operand: IrExpr; bits: 8 | 16 | 32; signed: boolean }
  /** A u64 field of the probe's `struct pt_regs` (a register of the probed task), by offset. */
  | { kind: "ctx"; offset: number }
  /**
   * `size` bytes of user memory at `addr` (zero- or sign-extended). A NULL address yields status
   * `NullDeref`, a failing `bpf_probe_read_user` yields `ReadError`.
   */
  | { kind: "read"; addr: IrExpr; size: 1 | 2 | 4 | 8; signed: boolean }
  /** A value known at compile time to be unavailable (e.g. optimized out): 0 with `status`. */
  | { kind: "unavailable"; status: ValueStatus };

/** One argument of a `print`: the record type written to the wire, and how to compute it. */
export interface IrPrintArg {
  type: ValueType;
  expr: IrExpr;
}

/** A statement. */
export type IrStmt =
  /** Bind variable `id` (visible to the rest of the enclosing block and nested blocks). */
  | { kind: "let"; id: number; value: IrExpr }
  /** Emit one event with `printId` and one value record per argument. */
  | { kind: "print"; printId: number; args: IrPrintArg[] }
  /** Conditional; `else` may be empty (an `else if` is an `if` inside `else`). */
  | { kind: "if"; cond: IrExpr; then: IrStmt[]; else: IrStmt[] };

/** One `trace` block: becomes one BPF program. */
export interface IrTrace {
  /** Index of the trace block in the script (header `trace_id`). */
  traceId: number;
  /** BPF program name (at most 15 characters of `[A-Za-z0-9_.]`). */
  name: string;
  body: IrStmt[];
}

/** Calls `f` on `e` and every sub-expression, parents first. */
export function walkExpr(e: IrExpr, f: (e: IrExpr) => void): void {
  f(e);
  switch (e.kind) {
    case "unary":
    case "extend":
      walkExpr(e.operand, f);
      break;
    case "arith":
    case "compare":
    case "logical":
      walkExpr(e.left, f);
      walkExpr(e.right, f);
      break;
    case "read":
      walkExpr(e.addr, f);
      break;
  }
}

/** Calls `stmt` on every statement and `expr` on every expression of `body`, depth first. */
export function walkStmts(
  body: readonly IrStmt[],
  visit: { stmt?: (s: IrStmt) => void; expr?: (e: IrExpr) => void },
): void {
  for (const s of body) {
    visit.stmt?.(s);
    const ex = visit.expr;
    switch (s.kind) {
      case "let":
        if (ex) walkExpr(s.value, ex);
        break;
      case "print":
        if (ex) { for (const a of s.args) walkExpr(a.expr, ex); }
        break;
      case "if":
        if (ex) walkExpr(s.cond, ex);
        walkStmts(s.then, visit);
        walkStmts(s.else, visit);
        break;
    }
  }
}
