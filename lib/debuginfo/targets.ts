/**
 * Trace targets → addresses through DWARF, the way gdb's `break` picks them:
 *
 * - a function: the post-prologue address of each out-of-line definition of that name (several
 *   for same-named `static` functions) plus the entry of each inlined copy;
 * - `file:line`: every statement address of the line (lib/dwarf's `lineAddresses`).
 *
 * Pure over a {@link DwarfInfo}; "not found" is a result value.
 * @module
 */

import type { DwarfInfo, LineLookup } from "../dwarf/index.ts";

/** One address to probe, with what DWARF says is there. */
export interface DwarfSite {
  /** Link-time address. */
  address: number;
  /** The out-of-line function containing the address. */
  function?: string;
  /** Set when the address is in an inlined copy: the inlined function's name. */
  inlined?: string;
}

/** Result of {@link functionSites}. */
export type FunctionSites =
  | { ok: true; sites: DwarfSite[] }
  | { ok: false; reason: "not-found"; name: string; suggestions: string[] };

/**
 * Addresses for `trace name`. `symbolAddress` is the ELF symbol's value when the function was
 * found by symbol: DWARF may know it under another name (glibc's `fopen` is `_IO_new_fopen`), so
 * the function at that address is used, and it is always among the sites.
 */
export function functionSites(
  dwarf: DwarfInfo,
  name: string,
  symbolAddress?: number,
): FunctionSites {
  // With a symbol, its compile unit alone usually answers (no index of every unit).
  const found =
    (symbolAddress !== undefined ? dwarf.findFunctionAt(name, symbolAddress) : undefined) ??
      dwarf.findFunction(name);
  const sites: DwarfSite[] = [];
  let hasSymbol = symbolAddress === undefined;
  if (found.ok) {
    for (const f of found.functions) {
      sites.push({ address: f.postPrologue, function: f.name });
      if (f.lowPc === symbolAddress || f.entry === symbolAddress) hasSymbol = true;
    }
    for (const i of found.inlined) {
      sites.push({ address: i.entry, function: i.caller, inlined: i.name });
    }
  }
  if (!hasSymbol) sites.push(symbolSite(dwarf, symbolAddress!));
  if (sites.length === 0) {
    const suggestions = found.ok ? [] : found.suggestions;
    return { ok: false, reason: "not-found", name, suggestions };
  }
  return { ok: true, sites: dedupe(sites) };
}

/** The post-prologue address of the function starting at `address`, else `address` itself. */
export function symbolSite(dwarf: DwarfInfo, address: number): DwarfSite {
  const f = dwarf.functionAt(address);
  if (f !== undefined && (f.lowPc === address || f.entry === address)) {
    return { address: f.postPrologue, function: f.name };
  }
  return { address, function: f?.name };
}

/** Sites of a successful `file:line` lookup. */
export function lineSites(lookup: LineLookup & { ok: true }): DwarfSite[] {
  return lookup.locations.map((l) => ({
    address: l.address,
    function: l.function,
    inlined: l.inlined,
  }));
}

function dedupe(sites: DwarfSite[]): DwarfSite[] {
  const seen = new Set<number>();
  const out: DwarfSite[] = [];
  for (const s of sites.sort((a, b) => a.address - b.address)) {
    if (seen.has(s.address)) continue;
    seen.add(s.address);
    out.push(s);
  }
  return out;
}
