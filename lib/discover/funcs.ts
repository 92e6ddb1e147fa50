/**
 * `ghostscope funcs PATTERN`: the functions of the target's modules whose names match, each
 * with where `trace NAME` would attach (DWARF's post-prologue address, inlined copies) and its
 * source declaration.
 * @module
 */
import { type DebugInfoLoader, moduleFunctionsMatching } from "../debuginfo/mod.ts";
import { UsageError } from "../errors.ts";
import { locateFunction, readsAsElf } from "../session/locate.ts";
import type { ProcessModule } from "../session/process_modules.ts";

/** One probe-able function. */
export interface FuncEntry {
  name: string;
  module: string;
  /** Link-time addresses `trace NAME` attaches to (several for inlined copies). */
  probes: number[];
  /** Names of the functions the copies were inlined into, when any are inlined. */
  inlinedInto: string[];
  /** `file:line` of the definition, when DWARF says. */
  declared?: string;
}

/** Lists the functions matching `pattern` in `modules` (executable first). */
export function functionsMatching(
  pattern: string,
  modules: ProcessModule[],
  debugInfo: DebugInfoLoader,
): FuncEntry[] {
  const out: FuncEntry[] = [];
  for (const [i, module] of modules.entries()) {
    if (i > 0 && !readsAsElf(module)) continue;
    for (const name of moduleFunctionsMatching(pattern, module, debugInfo)) {
      let sites;
      try {
        sites = locateFunction(name, [module], debugInfo);
      } catch (err) {
        if (err instanceof UsageError) continue;
        throw err;
      }
      const dwarf = debugInfo.optionalDwarf(module);
      const found = dwarf?.findFunction(name);
      const def = found?.ok ? found.functions[0] : undefined;
      out.push({
        name,
        module: module.path,
        probes: sites.map((s) => s.linkAddress),
        inlinedInto: [
          ...new Set(sites.filter((s) => s.inlined).map((s) => s.function ?? "?")),
        ],
        declared: def?.declFile === undefined
          ? undefined
          : `${def.declFile.slice(def.declFile.lastIndexOf("/") + 1)}:${def.declLine ?? "?"}`,
      });
    }
  }
  debugInfo.settle();
  return out;
}
