/** Resolves each kind of trace target to its probe sites. */
import type { TraceTarget } from "../script/mod.ts";
import type { DebugInfoLoader } from "../debuginfo/mod.ts";
import { UsageError } from "../errors.ts";
import { locateAddress, locateFunction, moduleNamed } from "./locate.ts";
import { locateLine } from "./locate_line.ts";
import { locatePattern } from "./locate_wildcard.ts";
import { returnSites } from "./locate_return.ts";
import { isPattern } from "../debuginfo/mod.ts";
import type { ProbeSite } from "./probe_site.ts";
import type { ProcessModule } from "./process_modules.ts";
import { mark } from "../timing.ts";

/**
 * Finds where `target` lives among `modules` (executable first): one site for an address,
 * one or more for a function (inlined copies, same-named statics) or a source line (every
 * statement address, inlined copies included). Never empty; failures are {@link UsageError}s.
 * DWARF comes from `debugInfo` (see lib/debuginfo), needed only for source lines.
 */
export function locateTarget(
  target: TraceTarget,
  targetText: string,
  modules: ProcessModule[],
  debugInfo: DebugInfoLoader,
): ProbeSite[] {
  try {
    switch (target.kind) {
      case "function": {
        const sites = isPattern(target.name)
          ? locatePattern(target.name, modules, debugInfo)
          : locateFunction(target.name, modules, debugInfo);
        return target.ret ? returnSites(sites, targetText, debugInfo) : sites;
      }
      case "address": {
        const module = target.module === undefined
          ? modules[0]
          : moduleNamed(target.module, modules);
        if (target.address > BigInt(Number.MAX_SAFE_INTEGER)) {
          throw new UsageError(`address ${targetText} is out of range`);
        }
        return [locateAddress(Number(target.address), module)];
      }
      case "line":
        return locateLine(target.file, target.line, targetText, modules, debugInfo);
    }
  } finally {
    debugInfo.settle();
    mark(`located ${targetText}`);
  }
}

/**
 * The sites of one target for the status line: `fopen (libc.so.6+0x762d0)`,
 * `lines.h:8 (lines+0x13a0, +0x13d0)`.
 */
export function describeSites(sites: ProbeSite[]): string {
  if (sites.length === 0) return "";
  const base = (p: string) => p.slice(p.lastIndexOf("/") + 1);
  const at = sites.map((s, i) =>
    `${i === 0 || s.modulePath !== sites[i - 1].modulePath ? base(s.modulePath) : ""}+0x${
      s.linkAddress.toString(16)
    }`
  );
  return `${sites[0].targetText} (${at.join(", ")})`;
}
