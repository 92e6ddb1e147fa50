/**
 * The plug-in point for program variables: an identifier that is not a script variable (`let`)
 * is asked to a {@link VariableResolver}. The DWARF layer implements it later; its answer is an
 * IR expression, so a value may come from a register (`ctx`), a memory read with a status
 * (`read`), or be known unavailable (`unavailable`).
 * @module
 */

import type { IrExpr } from "../../bpf/ir.ts";
import type { TraceTarget } from "./ast.ts";
import type { ScriptType } from "./types.ts";

/** Where a variable is being looked up. */
export interface VariableContext {
  /** Index of the trace block. */
  traceId: number;
  /** The block's (unresolved) target. */
  target: TraceTarget;
}

/** A program variable: its script type and how to compute it in the probe. */
export interface ResolvedVariable {
  type: ScriptType;
  expr: IrExpr;
}

/** Resolves identifiers that are not script variables. */
export interface VariableResolver {
  /** The variable named `name` at the trace point, or undefined if there is none. */
  resolve(name: string, ctx: VariableContext): ResolvedVariable | undefined;
  /** Names visible at the trace point, used for "did you mean" suggestions. */
  candidates?(ctx: VariableContext): Iterable<string>;
}

/** The resolver used when none is given: knows no variables. */
export const NO_VARIABLES: VariableResolver = { resolve: () => undefined };
