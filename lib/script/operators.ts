/**
 * The operator vocabulary, named once from the source spelling to the IR operator: the parser
 * takes its precedence levels from {@link BINARY_OPERATORS}, the resolver its IR operator
 * ({@link IrArithOp}, {@link IrCompareOp}, `and` / `or`), the IR and the code generator use the
 * same names (`bpf/ir.ts`).
 * @module
 */

import type { IrArithOp, IrCompareOp, IrLogicalOp, IrUnaryOp } from "../../bpf/ir.ts";

/** What a binary operator computes, with its IR name. */
export type BinaryOperator =
  | { kind: "arith"; op: IrArithOp }
  | { kind: "compare"; op: IrCompareOp }
  | { kind: "logical"; op: IrLogicalOp };

/** A binary operator: its meaning and C precedence level (higher binds tighter). */
export interface BinaryOperatorInfo {
  spelling: string;
  operator: BinaryOperator;
  precedence: number;
}

function arith(spelling: string, op: IrArithOp, precedence: number): BinaryOperatorInfo {
  return { spelling, operator: { kind: "arith", op }, precedence };
}

function compare(spelling: string, op: IrCompareOp, precedence: number): BinaryOperatorInfo {
  return { spelling, operator: { kind: "compare", op }, precedence };
}

/** Every binary operator of the language, by spelling (C's precedence levels). */
export const BINARY_OPERATORS: ReadonlyMap<string, BinaryOperatorInfo> = new Map(
  [
    { spelling: "||", operator: { kind: "logical", op: "or" }, precedence: 1 } as const,
    { spelling: "&&", operator: { kind: "logical", op: "and" }, precedence: 2 } as const,
    arith("|", "or", 3),
    arith("^", "xor", 4),
    arith("&", "and", 5),
    compare("==", "eq", 6),
    compare("!=", "ne", 6),
    compare("<", "lt", 7),
    compare("<=", "le", 7),
    compare(">", "gt", 7),
    compare(">=", "ge", 7),
    arith("<<", "shl", 8),
    arith(">>", "shr", 8),
    arith("+", "add", 9),
    arith("-", "sub", 9),
    arith("*", "mul", 10),
    arith("/", "div", 10),
    arith("%", "mod", 10),
  ].map((o) => [o.spelling, o]),
);

/** Source spelling of a binary operator. */
export type BinaryOp = string;

/** Unary operators: `-x` (`neg`), `!x` (`not`), `~x` (`bitnot`). */
export const UNARY_OPERATORS: ReadonlyMap<string, IrUnaryOp> = new Map([
  ["-", "neg"],
  ["!", "not"],
  ["~", "bitnot"],
]);

/** The lowest and highest precedence levels in use (for precedence climbing). */
export const MIN_PRECEDENCE = Math.min(...[...BINARY_OPERATORS.values()].map((o) => o.precedence));
