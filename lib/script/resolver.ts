/**
 * The plug-in point for program variables: an identifier that is not a script variable (`let`)
 * is asked to a {@link VariableResolver}. The DWARF implementation lives in `variables/`; its
 * answer is a typed program value ({@link DValue}: in memory, in registers, or unavailable),
 * which supports members, indexing, `*`, `&` and typed printing. Simpler resolvers (tests) may
 * answer a bare IR expression with a script type.
 * @module
 */

import type { IrExpr } from "../../bpf/ir.ts";
import type { DwarfType } from "../dwarf/index.ts";
import type { TraceTarget } from "./ast.ts";
import type { TypeSpelling } from "./cast_type.ts";
import type { ScriptType } from "./types.ts";
import type { DValue } from "./variables/values.ts";

/** Where a variable is being looked up. */
export interface VariableContext {
  /** Index of the trace block. */
  traceId: number;
  /** The block's (unresolved) target. */
  target: TraceTarget;
  /** The target as written (`add`, `server.c:212`, `0x1139`). */
  targetText?: string;
  /**
   * Which of the block's probe sites (0-based, see {@link VariableResolver.siteCount}): a
   * function inlined in several places or a line with several addresses has one program per
   * site, each compiled with the variables as they are at that address. Default 0.
   */
  site?: number;
}

/** A program variable: its script type and how to compute it in the probe. */
export type ResolvedVariable =
  | { type: ScriptType; expr: IrExpr }
  /** A typed program value (from DWARF). */
  | { value: DValue };

/**
 * A lookup that failed for a reason worth telling the user (no debug info, a location a probe
 * cannot read). The checker reports `message` at the identifier.
 */
export class VariableError extends Error {
  override name = "VariableError";
}

/** Resolves identifiers that are not script variables. */
export interface VariableResolver {
  /**
   * The variable named `name` at the trace point, or undefined if there is none. May throw a
   * {@link VariableError}.
   */
  resolve(name: string, ctx: VariableContext): ResolvedVariable | undefined;
  /** Names visible at the trace point, used for "did you mean" suggestions. */
  candidates?(ctx: VariableContext): Iterable<string>;
  /** Visible names close to `name`, best first (preferred over {@link candidates}). */
  closeNames?(name: string, ctx: VariableContext): string[];
  /**
   * Link-time address of the probed instruction of the trace block (at `ctx.site`), needed to
   * rebase globals of the probed module in the kernel (`moduleBias`).
   */
  probeAddress?(ctx: VariableContext): number | bigint | undefined;
  /**
   * How many probe sites the block has (default 1). Asked only for blocks that read program
   * variables; each site then gets its own program.
   */
  siteCount?(ctx: VariableContext): number;
  /** Whether `name` is a parameter, a local or a global at the site (return blocks use it). */
  variableKind?(name: string, ctx: VariableContext): "parameter" | "local" | "global" | undefined;
  /** The function the site is in, for messages. */
  functionName?(ctx: VariableContext): string | undefined;
  /**
   * The canonical frame address (CFA) at the site, from the call frame information, as IR over
   * the probe's registers (`rbp + 16`): return blocks key each call by it. Undefined when unknown.
   */
  frameAddress?(ctx: VariableContext): IrExpr | undefined;
  /**
   * The type named by `spelling` (its tag and name; stars and arrays are applied by the
   * caller), for `cast`: the probed module's first, else the one other module defining it.
   */
  findType?(spelling: TypeSpelling, ctx: VariableContext): TypeLookup;
}

/** The answer of {@link VariableResolver.findType}. */
export type TypeLookup =
  | { ok: true; type: DwarfType }
  | { ok: false; reason: "not-found" }
  /** Several other modules define it (none is the probed one). */
  | { ok: false; reason: "ambiguous"; modules: string[] };

/** The resolver used when none is given: knows no variables. */
export const NO_VARIABLES: VariableResolver = { resolve: () => undefined };
