/**
 * The lower pass: a bound trace block ({@link BoundTrace}) -> IR ({@link IrTrace}). C integer
 * widths (32-bit wrap-around, unsigned conversions) become explicit `extend`s; literals fold;
 * built-in calls are lowered by their registry entry.
 * @module
 */

import {
  type IrExpr,
  type IrExprError,
  type IrStmt,
  type IrTrace,
  walkStmts,
} from "../../../bpf/ir.ts";
import { wireType } from "../types.ts";
import type { BoundTrace, BScalar, BStmt } from "./bound.ts";

/** BPF program name for a trace block: `gs_<id>_<target>` cut to 15 characters. */
export function programName(traceId: number, targetText: string): string {
  const clean = targetText.replace(/[^A-Za-z0-9_]/g, "_");
  return `gs_${traceId}_${clean}`.slice(0, 15);
}

/** Lower a bound trace block to IR. */
export function lowerTrace(t: BoundTrace): IrTrace {
  return {
    traceId: t.traceId,
    name: programName(t.traceId, t.targetText),
    body: lowerStmts(t.body, { nextError: 0 }),
  };
}

/** State of one block's lowering: ids of its ExprError records. */
interface LowerState {
  nextError: number;
  /** The ExprErrors of the print being lowered (guards add theirs). */
  errors?: IrExprError[];
}

/** True when the program rebases addresses of the probed module (needs the probe address). */
export function usesModuleBias(ir: IrTrace): boolean {
  let found = false;
  walkStmts(ir.body, {
    expr: (e) => {
      if (e.kind === "moduleBias") found = true;
    },
  });
  return found;
}

/** Lower bound statements to IR. */
export function lowerStmts(
  body: readonly BStmt[],
  state: LowerState = { nextError: 0 },
): IrStmt[] {
  const out: IrStmt[] = [];
  for (const s of body) {
    switch (s.kind) {
      case "let":
        out.push({ kind: "let", id: s.id, value: lowerExpr(s.value) });
        break;
      case "print": {
        const errors: IrExprError[] = [];
        const inner: LowerState = { nextError: state.nextError, errors };
        const args = s.args.map((a) =>
          a.kind === "ir" ? a.arg : { type: wireType(a.expr.type), expr: lowerExpr(a.expr, inner) }
        );
        state.nextError = inner.nextError;
        out.push({
          kind: "print",
          printId: s.printId,
          args,
          ...(errors.length ? { errors } : {}),
        });
        break;
      }
      case "backtrace":
        out.push({ kind: "backtrace", printId: s.printId });
        break;
      case "if": {
        const error = s.errorPrintId !== undefined
          ? { id: state.nextError++, printId: s.errorPrintId }
          : undefined;
        out.push({
          kind: "if",
          cond: lowerExpr(s.cond),
          then: lowerStmts(s.then, state),
          else: lowerStmts(s.else, state),
          ...(error ? { error } : {}),
        });
        break;
      }
    }
  }
  return out;
}

/** Lower a bound (scalar) expression to IR; inside a print, failing calls get guards. */
export function lowerExpr(e: BScalar, state?: LowerState): IrExpr {
  switch (e.kind) {
    case "const":
      return { kind: "const", value: e.value };
    case "builtin":
      return { kind: "builtin", builtin: e.builtin };
    case "var":
      return { kind: "var", id: e.id };
    case "external":
      return e.expr;
    case "unary": {
      const operand = lowerExpr(e.operand, state);
      if (operand.kind === "const") {
        // fold `-5`, `~0` and `!0` so literals cost one instruction
        const v = e.op === "neg"
          ? BigInt.asUintN(64, -operand.value)
          : e.op === "bitnot"
          ? BigInt.asUintN(64, ~operand.value)
          : operand.value === 0n
          ? 1n
          : 0n;
        return wrap32({ kind: "const", value: v }, e);
      }
      return wrap32({ kind: "unary", op: e.op, operand }, e);
    }
    case "convert":
      return convert(lowerExpr(e.operand, state), e);
    case "arith":
      return wrap32({
        kind: "arith",
        op: e.op,
        signed: e.signed,
        left: lowerExpr(e.left, state),
        right: lowerExpr(e.right, state),
      }, e);
    case "compare":
      return {
        kind: "compare",
        op: e.op,
        signed: e.signed,
        left: lowerExpr(e.left, state),
        right: lowerExpr(e.right, state),
      };
    case "logical":
      return {
        kind: "logical",
        op: e.op,
        left: lowerExpr(e.left, state),
        right: lowerExpr(e.right, state),
      };
    case "call": {
      const value = e.fn.lower(e.args);
      if (e.errorPrintId === undefined || !state?.errors || value.kind === "const") return value;
      const id = state.nextError++;
      state.errors.push({ id, printId: e.errorPrintId });
      return { kind: "guard", operand: value, id };
    }
  }
}

/** A result of 32-bit C type is kept to 32 bits (wraps like C does). */
function wrap32(x: IrExpr, e: BScalar): IrExpr {
  if (e.kind === "compare" || e.kind === "logical") return x;
  const c = "cint" in e ? e.cint : undefined;
  if (!c || c.bits !== 32) return x;
  if (x.kind === "const") {
    const v = c.signed ? BigInt.asIntN(32, x.value) : BigInt.asUintN(32, x.value);
    return { kind: "const", value: BigInt.asUintN(64, v) };
  }
  return { kind: "extend", operand: x, bits: 32, signed: c.signed };
}

/** Converts a value to the C type `e.cint` (only signed int → unsigned int changes bits). */
function convert(x: IrExpr, e: BScalar & { kind: "convert" }): IrExpr {
  if (e.cint.bits === 32 && !e.cint.signed && e.from.signed) {
    if (x.kind === "const") return { kind: "const", value: BigInt.asUintN(32, x.value) };
    return { kind: "extend", operand: x, bits: 32, signed: false };
  }
  return x;
}
