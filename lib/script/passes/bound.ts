/**
 * Output of the bind pass (`bind.ts`): a resolved trace block at one probe site, every program
 * value replaced by the IR that reads it there (its location), ready to be lowered to IR.
 * @module
 */

import type {
  IrArithOp,
  IrBuiltin,
  IrCompareOp,
  IrExpr,
  IrLogicalOp,
  IrPrintArg,
  IrUnaryOp,
} from "../../../bpf/ir.ts";
import type { TraceTarget } from "../ast.ts";
import type { BoundArg, BuiltinFunction } from "../builtins.ts";
import type { Span } from "../diagnostics.ts";
import type { ScriptType } from "../types.ts";
import type { CInt } from "../variables/values.ts";

/** A typed expression with a 64-bit value, at one probe site. */
export type BScalar =
  /** `literal`: written as an integer literal (C gives it type int when it fits). */
  | { kind: "const"; value: bigint; type: ScriptType; span: Span; literal?: boolean }
  | { kind: "builtin"; builtin: IrBuiltin; type: ScriptType; span: Span }
  | { kind: "var"; id: number; type: ScriptType; span: Span; cint?: CInt }
  /** A value computed by given IR: a program value at this site. */
  | { kind: "external"; expr: IrExpr; type: ScriptType; span: Span; cint?: CInt }
  | {
    kind: "unary";
    op: IrUnaryOp;
    operand: BScalar;
    type: ScriptType;
    span: Span;
    cint?: CInt;
  }
  /** C conversion of `operand` (of C type `from`) to `cint`. */
  | { kind: "convert"; operand: BScalar; from: CInt; cint: CInt; type: ScriptType; span: Span }
  | {
    kind: "arith";
    op: IrArithOp;
    signed: boolean;
    left: BScalar;
    right: BScalar;
    type: ScriptType;
    span: Span;
    cint?: CInt;
  }
  | {
    kind: "compare";
    op: IrCompareOp;
    signed: boolean;
    left: BScalar;
    right: BScalar;
    type: "bool";
    span: Span;
  }
  | { kind: "logical"; op: IrLogicalOp; left: BScalar; right: BScalar; type: "bool"; span: Span }
  /** A built-in function with its arguments at this site. */
  | {
    kind: "call";
    fn: BuiltinFunction;
    args: BoundArg[];
    type: ScriptType;
    span: Span;
    errorPrintId?: number;
  };

/** One argument of a bound print. */
export type BPrintArg =
  | { kind: "scalar"; expr: BScalar }
  /** A program value's record, already in IR. */
  | { kind: "ir"; arg: IrPrintArg };

/** A bound statement. */
export type BStmt =
  | { kind: "let"; id: number; value: BScalar; span: Span }
  | { kind: "print"; printId: number; args: BPrintArg[]; span: Span }
  | {
    kind: "if";
    cond: BScalar;
    then: BStmt[];
    else: BStmt[];
    span: Span;
    errorPrintId?: number;
  }
  | { kind: "backtrace"; printId: number; span: Span };

/** A trace block bound to one probe site. */
export interface BoundTrace {
  traceId: number;
  target: TraceTarget;
  targetText: string;
  /** Which probe site (0-based). */
  site: number;
  body: BStmt[];
  /** Link-time address of the probed instruction, when the body rebases the probed module. */
  probeAddress?: number | bigint;
}
