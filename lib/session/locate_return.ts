/**
 * `trace f:return` (and `trace handle_*:return`): for every out-of-line definition of each
 * function, two sites, in this order (the order they are attached in): the `return` site, a
 * uretprobe at the function's entry address (the kernel hijacks the return address there), and
 * the `entry` site where `trace f` would attach (after the prologue: the call is recorded there,
 * with the parameters `entry(x)` captures). Inlined copies have no return to probe and are left
 * out.
 */
import type { DebugInfoLoader } from "../debuginfo/mod.ts";
import { hex } from "../elf/mod.ts";
import { UsageError } from "../errors.ts";
import { siteAt } from "./locate.ts";
import type { ProbeSite } from "./probe_site.ts";

/** Pairs of entry and return sites for the function sites `sites` (from locateFunction). */
export function returnSites(
  sites: ProbeSite[],
  targetText: string,
  debugInfo: DebugInfoLoader,
): ProbeSite[] {
  const out: ProbeSite[] = [];
  for (const site of sites) {
    if (site.inlined) continue;
    const entry = functionEntry(site, debugInfo);
    const label = sites.length > 1 ? site.label : targetText;
    // The uretprobe first: a call recorded by the entry program then always has its return.
    out.push({
      ...siteAt(site.module, entry, `${label}`),
      targetText,
      function: site.function,
      role: "return",
    });
    out.push({ ...site, label: `${label} (entry)`, targetText, role: "entry" });
  }
  if (out.length === 0) {
    throw new UsageError(
      `trace ${targetText}: every copy of the function is inlined, so there is no return to probe`,
    );
  }
  return out;
}

/** The first instruction of the function holding `site` (its ELF symbol, else DWARF's entry). */
function functionEntry(site: ProbeSite, debugInfo: DebugInfoLoader): number {
  const elf = site.module.elf();
  const sym = elf.functionAt(site.linkAddress);
  if (sym !== undefined && sym.value !== 0) return sym.value;
  const fn = debugInfo.optionalDwarf(site.module)?.functionAt(site.linkAddress);
  if (fn !== undefined) return fn.entry;
  throw new UsageError(
    `trace ${site.targetText}: cannot find the start of the function at ${hex(site.linkAddress)}`,
  );
}
