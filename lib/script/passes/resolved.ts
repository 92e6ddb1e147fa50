/**
 * Output of the resolve pass (`resolve.ts`): each trace block with every name resolved and every
 * expression typed, once for all of its probe sites. Program values are kept as typed paths
 * ({@link RValue}: a variable, then members, indexes, `*`, `&`, pointer offsets) without
 * locations; the bind pass (`bind.ts`) gives them their location at each probe site.
 * @module
 */

import type { IrBuiltin } from "../../../bpf/ir.ts";
import type { DwarfType } from "../../dwarf/index.ts";
import type { TraceTarget } from "../ast.ts";
import type { BuiltinFunction, ResolvedArg } from "../builtins.ts";
import type { Span } from "../diagnostics.ts";
import type { FormatSpec } from "../format.ts";
import type { CInt } from "../variables/values.ts";
import type { PrintInfo } from "../print_table.ts";
import type { ResolvedVariable } from "../resolver.ts";
import type { ScriptType } from "../types.ts";
import type { IrArithOp, IrCompareOp, IrLogicalOp, IrUnaryOp } from "../../../bpf/ir.ts";

/** A program value (a C object), as a path from a program variable; `type` is its C type. */
export type RValue =
  & (
    /** A program variable, looked up by name at each probe site. */
    | { kind: "variable"; name: string }
    /** `object.name` / `object->name`. */
    | { kind: "member"; object: RValue; name: string; arrow: boolean; nameSpan: Span }
    /** `object[index]`; `constant` when the index is known at compile time. */
    | { kind: "index"; object: RValue; index: RScalar; constant?: bigint; indexSpan: Span }
    | { kind: "deref"; operand: RValue }
    | { kind: "addr"; operand: RValue }
    /** `ptr + offset` / `ptr - offset`, scaled by the pointee. */
    | { kind: "ptrAdd"; ptr: RValue; offset: RScalar; negate: boolean }
    /** A typed `let` of a program scalar: the value of script variable `id`. */
    | { kind: "letValue"; id: number }
    /** `cast(operand, "T")` of a program value (`type` is T). */
    | { kind: "cast"; operand: RValue }
    /** `cast(expr, "T")` of a script value. */
    | { kind: "castScript"; operand: RScalar }
  )
  & { type: DwarfType; text: string; span: Span };

/** An argument of a function call: a scalar, or what the registry's roles name. */
export type RCallArg =
  | { role: "int"; expr: RScalar; info: ResolvedArg }
  | { role: "absent"; info: ResolvedArg }
  | { role: "string"; info: ResolvedArg }
  | { role: "bytes"; info: ResolvedArg }
  | { role: "memory"; value: RValue; info: ResolvedArg };

/** A typed expression with a 64-bit value. */
export type RScalar =
  /** `literal`: written as an integer literal (C gives it type int when it fits). */
  | { kind: "const"; value: bigint; type: ScriptType; span: Span; literal?: boolean }
  | { kind: "builtin"; builtin: IrBuiltin; type: ScriptType; span: Span }
  | { kind: "var"; id: number; name: string; type: ScriptType; span: Span; cint?: CInt }
  /** A program value used as a number (C integer promotions applied: `cint`). */
  | { kind: "value"; value: RValue; type: ScriptType; span: Span; cint: CInt; dtype: DwarfType }
  /** `a - b` of two program pointers: the distance in elements. */
  | { kind: "ptrDiff"; left: RValue; right: RValue; type: "i64"; span: Span; cint: CInt }
  /** A variable of a simple resolver (not DWARF): an IR expression per probe site. */
  | { kind: "external"; name: string; type: ScriptType; span: Span }
  | {
    kind: "unary";
    op: IrUnaryOp;
    operand: RScalar;
    type: ScriptType;
    span: Span;
    cint?: CInt;
  }
  /** C conversion of `operand` (of C type `from`) to `cint`. */
  | { kind: "convert"; operand: RScalar; from: CInt; cint: CInt; type: ScriptType; span: Span }
  | {
    kind: "arith";
    op: IrArithOp;
    signed: boolean;
    left: RScalar;
    right: RScalar;
    type: ScriptType;
    span: Span;
    cint?: CInt;
  }
  | {
    kind: "compare";
    op: IrCompareOp;
    signed: boolean;
    left: RScalar;
    right: RScalar;
    type: "bool";
    span: Span;
  }
  | { kind: "logical"; op: IrLogicalOp; left: RScalar; right: RScalar; type: "bool"; span: Span }
  /**
   * A built-in function call (not folded: it reads memory); `errorPrintId` (inside a print):
   * its failure gives false and an ExprError event of that print id.
   */
  | {
    kind: "call";
    fn: BuiltinFunction;
    args: RCallArg[];
    type: ScriptType;
    span: Span;
    errorPrintId?: number;
  };

/** A dump length: fixed, or computed at run time. */
export type RLength = { fixed: number } | { expr: RScalar };

/** One argument of a print. */
export type RPrintArg =
  | { kind: "scalar"; expr: RScalar }
  /** A program value under placeholder `spec` (how it is copied is planned per site). */
  | { kind: "program"; value: RValue; spec: FormatSpec; length?: RLength }
  /** A string known at compile time (a script string variable). */
  | { kind: "constString"; value: string }
  /** `$func` printed: the name of the function of each probe site, as a string. */
  | { kind: "siteFunction" }
  /** A script integer used as an address (`{:x.4}` of a number). */
  | { kind: "address"; addr: RScalar; str: boolean; length: RLength };

/** A resolved statement. */
export type RStmt =
  | { kind: "let"; id: number; name: string; value: RScalar; span: Span }
  /** `let` naming a program object (a struct, an array...): no code, uses refer to it. */
  | { kind: "alias"; name: string; span: Span }
  | { kind: "print"; printId: number; args: RPrintArg[]; span: Span }
  /** `errorPrintId`: the ExprError event emitted when the condition cannot be evaluated. */
  | {
    kind: "if";
    cond: RScalar;
    then: RStmt[];
    else: RStmt[];
    span: Span;
    errorPrintId?: number;
  }
  /** `bt`: a stack capture under `printId` (its PrintInfo carries the display options). */
  | { kind: "backtrace"; printId: number; span: Span };

/** A parameter `entry(x)` captures: read at the entry site, bound to variable `id` at return. */
export interface EntryCapture {
  id: number;
  name: string;
  /** Its value at the entry site (a program value used as a number). */
  value: RScalar;
  span: Span;
}

/** A resolved trace block. */
export interface ResolvedTrace {
  traceId: number;
  target: TraceTarget;
  targetText: string;
  span: Span;
  body: RStmt[];
  /** True when the body reads program variables (then each site needs its own program). */
  programVariables: boolean;
  /** The program variables as the resolver found them at the first probe site (by name). */
  firstSite: ReadonlyMap<string, ResolvedVariable>;
  /** Set for a `trace f:return` block: the parameters its entry program captures. */
  entryCaptures?: EntryCapture[];
}

/** The resolve pass's output. */
export interface ResolvedScript {
  traces: ResolvedTrace[];
  /** Indexed by `printId`: what each print emits, for every site of its block. */
  prints: PrintInfo[];
}
