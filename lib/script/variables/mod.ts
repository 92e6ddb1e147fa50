/**
 * `lib/script/variables/`: the bridge from DWARF to the compiler's IR. Program variables named
 * in a script are found at the probe pc (lib/dwarf), their location plans lowered to IR reads
 * (`location.ts`), their C types drive members, indexing, `*`, `&`, C integer conversions
 * (`values.ts`) and printing (`print.ts`, `layout_of.ts`).
 *
 * - `resolver.ts`: {@link DwarfVariableResolver}, the {@link VariableResolver} over DWARF
 * - `process.ts`: {@link processVariableResolver}, its set-up for a `-p PID` session
 * - `load.ts`: the module's DWARF through the session's debug-info loader
 * @module
 */

export { DwarfVariableResolver, type ProbeLocation, type VariableModule } from "./resolver.ts";
export {
  moduleBias,
  offsetsBias,
  type ProcessResolverOptions,
  processVariableResolver,
} from "./process.ts";
export { type Bias, constantBias, PROBE_MODULE_BIAS } from "./location.ts";
export { type DValue, ValueError } from "./values.ts";
