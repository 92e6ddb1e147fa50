/**
 * `trace handle_* { ... }`: one block attached to every function whose name matches, in the
 * first module (executable first) that has any match. Each site carries the matched function's
 * name (`ProbeSite.function`, what `$func` prints). More than {@link WILDCARD_CAP} matches is one
 * clear error rather than thousands of uprobes.
 */
import { type DebugInfoLoader, moduleFunctionsMatching } from "../debuginfo/mod.ts";
import { UsageError } from "../errors.ts";
import { locateFunction, readsAsElf } from "./locate.ts";
import type { ProbeSite } from "./probe_site.ts";
import type { ProcessModule } from "./process_modules.ts";

/** Most functions one wildcard target may attach to. */
export const WILDCARD_CAP = 256;

/** The sites of every function `pattern` matches; none at all is a {@link UsageError}. */
export function locatePattern(
  pattern: string,
  modules: ProcessModule[],
  debugInfo: DebugInfoLoader,
  cap = WILDCARD_CAP,
): ProbeSite[] {
  for (const [i, module] of modules.entries()) {
    if (i > 0 && !readsAsElf(module)) continue;
    const names = moduleFunctionsMatching(pattern, module, debugInfo);
    if (names.length === 0) continue;
    if (names.length > cap) {
      throw new UsageError(
        `trace ${pattern}: ${names.length} functions of ${module.path} match, more than the ` +
          `cap of ${cap}; narrow the pattern ('ghostscope funcs PATTERN' lists the matches)`,
      );
    }
    const sites: ProbeSite[] = [];
    for (const name of names) {
      for (const site of locateFunction(name, [module], debugInfo)) {
        sites.push({ ...site, targetText: pattern, function: site.inlined ? site.function : name });
      }
    }
    return sites;
  }
  const where = modules.length === 1 ? modules[0].path : `${modules[0].path} or its libraries`;
  throw new UsageError(`trace ${pattern}: no function of ${where} matches`);
}
