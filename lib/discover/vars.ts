/**
 * `ghostscope vars TARGET`: for each probe site of a function or `file:line` target, the
 * parameters and locals in scope at that pc with their C types and where each lives there (or
 * why it cannot be read), plus the globals of the site's compile unit.
 * @module
 */
import type { DebugInfoLoader } from "../debuginfo/mod.ts";
import type { VariableInfo } from "../dwarf/index.ts";
import { UsageError } from "../errors.ts";
import { parseTarget } from "../script/parser.ts";
import { locateTarget } from "../session/locate_target.ts";
import type { ProcessModule } from "../session/process_modules.ts";
import { type Placement, placement } from "./readability.ts";

/** One variable at one pc. */
export interface VarEntry extends Placement {
  name: string;
  /** `parameter`, `local`, `static-local` or `global`. */
  kind: string;
  /** C spelling of the type. */
  type: string;
  /** `file:line` of the declaration, when recorded. */
  declared?: string;
}

/** The variables at one probe site. */
export interface SiteVars {
  /** The module (as the target sees its path). */
  module: string;
  /** Link-time address of the probe. */
  address: number;
  /** The out-of-line function holding the address. */
  function?: string;
  /** Inlined functions the address is in, innermost first. */
  inlined: string[];
  /** Parameters and locals visible there, innermost scope first. */
  variables: VarEntry[];
  /** Globals of the compile unit (extern globals of other units work too, by name). */
  globals: VarEntry[];
  /** Set when the module has no DWARF for this address: why nothing is listed. */
  missing?: string;
}

/** `vars` for one target. */
export interface VarsReport {
  target: string;
  sites: SiteVars[];
}

/** Lists what a probe at `targetText` could read. Unknown targets are {@link UsageError}s. */
export function varsAt(
  targetText: string,
  modules: ProcessModule[],
  debugInfo: DebugInfoLoader,
): VarsReport {
  const target = parseTarget(targetText);
  if (target === undefined || (target.kind === "function" && /[*?]/.test(target.name))) {
    throw new UsageError(
      `vars: '${targetText}' is not a function name, file:line or 0xADDR (one target; ` +
        "list functions with 'ghostscope funcs PATTERN')",
    );
  }
  const sites = locateTarget(target, targetText, modules, debugInfo);
  return {
    target: targetText,
    sites: sites.map((site): SiteVars => {
      const base = {
        module: site.modulePath,
        address: site.linkAddress,
        function: site.function,
        inlined: site.inlined ? [site.inlined] : [],
        variables: [],
        globals: [],
      };
      const dwarf = debugInfo.optionalDwarf(site.module, `vars ${targetText}`);
      if (dwarf === undefined) return { ...base, missing: `${site.modulePath} has no DWARF` };
      const scope = dwarf.variablesAt(site.linkAddress);
      if (!scope.ok) {
        return {
          ...base,
          missing: scope.reason === "no-function"
            ? "no function's DWARF covers this address"
            : "no compile unit's DWARF covers this address",
        };
      }
      return {
        ...base,
        function: scope.function.name,
        inlined: scope.inlineChain,
        variables: scope.variables.map(entry),
        globals: scope.globals.map(entry),
      };
    }),
  };
}

function entry(v: VariableInfo): VarEntry {
  const declared = v.declFile === undefined
    ? undefined
    : `${v.declFile.slice(v.declFile.lastIndexOf("/") + 1)}:${v.declLine ?? "?"}`;
  return { name: v.name, kind: v.kind, type: v.typeName, declared, ...placement(v.location) };
}
