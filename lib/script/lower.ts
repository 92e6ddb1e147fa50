/**
 * Checked expressions and statements → IR ({@link IrExpr}, {@link IrStmt}).
 * @module
 */

import type { IrExpr, IrStmt } from "../../bpf/ir.ts";
import type { CStmt, ScalarCExpr } from "./checker.ts";
import { wireType } from "./types.ts";

/** Lower checked statements to IR. */
export function lowerStmts(body: readonly CStmt[]): IrStmt[] {
  const out: IrStmt[] = [];
  for (const s of body) {
    switch (s.kind) {
      case "let":
        out.push({ kind: "let", id: s.id, value: lowerExpr(s.value) });
        break;
      case "alias":
        break;
      case "print":
        out.push({
          kind: "print",
          printId: s.printId,
          args: s.args.map((a) =>
            a.kind === "ir" ? a.arg : { type: wireType(a.expr.type), expr: lowerExpr(a.expr) }
          ),
        });
        break;
      case "if":
        out.push({
          kind: "if",
          cond: lowerExpr(s.cond),
          then: lowerStmts(s.then),
          else: lowerStmts(s.else),
        });
        break;
    }
  }
  return out;
}

/** Lower a checked (scalar) expression to IR. */
export function lowerExpr(e: ScalarCExpr): IrExpr {
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
      const operand = lowerExpr(e.operand);
      if (operand.kind === "const") {
        // fold `-5` and `!0` so literals cost one instruction
        const v = e.op === "neg"
          ? BigInt.asUintN(64, -operand.value)
          : operand.value === 0n
          ? 1n
          : 0n;
        return wrap32({ kind: "const", value: v }, e);
      }
      return wrap32({ kind: "unary", op: e.op, operand }, e);
    }
    case "convert":
      return convert(lowerExpr(e.operand), e);
    case "arith":
      return wrap32({
        kind: "arith",
        op: e.op,
        signed: e.signed,
        left: lowerExpr(e.left),
        right: lowerExpr(e.right),
      }, e);
    case "compare":
      return {
        kind: "compare",
        op: e.op,
        signed: e.signed,
        left: lowerExpr(e.left),
        right: lowerExpr(e.right),
      };
    case "logical":
      return { kind: "logical", op: e.op, left: lowerExpr(e.left), right: lowerExpr(e.right) };
  }
}

/** A result of 32-bit C type is kept to 32 bits (wraps like C does). */
function wrap32(x: IrExpr, e: ScalarCExpr): IrExpr {
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
function convert(x: IrExpr, e: ScalarCExpr & { kind: "convert" }): IrExpr {
  if (e.cint.bits === 32 && !e.cint.signed && e.from.signed) {
    if (x.kind === "const") return { kind: "const", value: BigInt.asUintN(32, x.value) };
    return { kind: "extend", operand: x, bits: 32, signed: false };
  }
  return x;
}
