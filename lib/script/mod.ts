/**
 * Public surface of the script compiler: compile a script, render its events.
 * @module
 */

export {
  type CompiledScript,
  type CompiledTrace,
  type CompileOptions,
  compileScript,
  programForSite,
} from "./compiler.ts";
export { type EventContext, renderEvent } from "./render.ts";
export type { PrintInfo } from "./print_table.ts";
export type { BacktraceOptions, TraceTarget } from "./ast.ts";
export {
  type ResolvedVariable,
  type VariableContext,
  VariableError,
  type VariableResolver,
} from "./resolver.ts";
export {
  type Bias,
  DwarfVariableResolver,
  moduleBias,
  offsetsBias,
  processVariableResolver,
} from "./variables/mod.ts";
export type { ScriptType } from "./types.ts";
export { ScriptError } from "./diagnostics.ts";
export { type CompiledFormat, FormatConv, renderFormat } from "./format.ts";
