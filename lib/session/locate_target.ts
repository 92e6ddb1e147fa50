/** Resolves each kind of trace target to a probe site. */
import type { TraceTarget } from "../script/mod.ts";
import { UsageError } from "../errors.ts";
import { locateAddress, locateFunction, moduleNamed } from "./locate.ts";
import type { ProbeSite } from "./probe_site.ts";
import type { ProcessModule } from "./process_modules.ts";

/** Finds where `target` lives among `modules` (executable first). */
export function locateTarget(
  target: TraceTarget,
  targetText: string,
  modules: ProcessModule[],
): ProbeSite {
  switch (target.kind) {
    case "function":
      return locateFunction(target.name, modules);
    case "address": {
      const module = target.module === undefined ? modules[0] : moduleNamed(target.module, modules);
      if (target.address > BigInt(Number.MAX_SAFE_INTEGER)) {
        throw new UsageError(`address ${targetText} is out of range`);
      }
      return locateAddress(Number(target.address), module);
    }
    case "line":
      throw new UsageError(
        `trace ${targetText}: source-line targets need DWARF line tables, not available in this build yet`,
      );
  }
}
