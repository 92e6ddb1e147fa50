/**
 * Lookups over the symbols of one file: by name (`.symtab` first, then `.dynsym`, version
 * suffixes understood), by address (the function containing it) and "did you mean" suggestions.
 * Every index is built on first use.
 *
 * @module
 */

import { closeMatches } from "./similar.ts";
import { type ElfSymbol, isFunctionSymbol, splitVersionedName } from "./symbols.ts";

const BIND_RANK: Record<string, number> = { GLOBAL: 0, WEAK: 1, UNIQUE: 1, LOCAL: 2, OTHER: 3 };

function leadingUnderscores(s: string): number {
  let i = 0;
  while (s.charCodeAt(i) === 0x5f) i++;
  return i;
}

/**
 * Orders symbols of equal name (or equal address) best first: sized before unsized, default or no
 * version before hidden versions, GLOBAL before WEAK before LOCAL, `.symtab` before `.dynsym`,
 * fewer leading underscores, shorter name, then table order.
 */
function preference(a: ElfSymbol, b: ElfSymbol): number {
  return Number(a.size === 0) - Number(b.size === 0) ||
    Number(a.versionHidden) - Number(b.versionHidden) ||
    BIND_RANK[a.bind] - BIND_RANK[b.bind] ||
    Number(a.table === ".dynsym") - Number(b.table === ".dynsym") ||
    leadingUnderscores(a.baseName) - leadingUnderscores(b.baseName) ||
    a.baseName.length - b.baseName.length ||
    a.index - b.index;
}

/**
 * Name lookups answered by a linear scan before the name index is built. A tracer looks up a
 * handful of functions; building the index for 200k symbols costs ~100 ms, a scan ~1-2 ms.
 */
const LINEAR_LOOKUPS = 16;

/** Address-sorted defined functions, one per start address. */
interface AddressIndex {
  starts: Float64Array;
  ends: Float64Array;
  syms: ElfSymbol[];
  maxSize: number;
}

/** All symbols of one file with lazily built lookup indexes. */
export class SymbolIndex {
  private byNameCache: Map<string, ElfSymbol[]> | undefined;
  private addressCache: AddressIndex | undefined;
  private functionNamesCache: string[] | undefined;
  private linearLookups = 0;

  /** Decoded `.symtab` entries (empty when stripped). */
  readonly symtab: readonly ElfSymbol[];
  /** Decoded `.dynsym` entries (empty for static executables). */
  readonly dynsym: readonly ElfSymbol[];

  /**
   * Wraps decoded tables; no index is built until a lookup needs it.
   * @param symtab decoded `.symtab` (empty when stripped)
   * @param dynsym decoded `.dynsym` (empty for static executables)
   */
  constructor(symtab: readonly ElfSymbol[], dynsym: readonly ElfSymbol[]) {
    this.symtab = symtab;
    this.dynsym = dynsym;
  }

  /** Every symbol, `.symtab` first. */
  all(): ElfSymbol[] {
    return [...this.symtab, ...this.dynsym];
  }

  /** The base name -> symbols index, built on first use. */
  private byName(): Map<string, ElfSymbol[]> {
    if (this.byNameCache) return this.byNameCache;
    const m = new Map<string, ElfSymbol[]>();
    for (const table of [this.symtab, this.dynsym]) {
      for (const s of table) {
        if (s.baseName === "") continue;
        const list = m.get(s.baseName);
        if (list) list.push(s);
        else m.set(s.baseName, [s]);
      }
    }
    this.byNameCache = m;
    return m;
  }

  /** Symbols whose base name is `base`, in table order, by a linear scan (no index). */
  private scan(base: string): ElfSymbol[] {
    const out: ElfSymbol[] = [];
    for (const table of [this.symtab, this.dynsym]) {
      for (const s of table) if (s.baseName === base) out.push(s);
    }
    return out;
  }

  /**
   * Every symbol (both tables, defined or not) matching `name`, in table order. `name` may carry a
   * version: `fopen` matches every version, `fopen@GLIBC_2.2.5` only that version, and
   * `fopen@@GLIBC_2.2.5` only that version as the default one.
   */
  findSymbols(name: string): ElfSymbol[] {
    const q = splitVersionedName(name);
    const list = this.byNameCache !== undefined || ++this.linearLookups > LINEAR_LOOKUPS
      ? this.byName().get(q.base) ?? []
      : this.scan(q.base);
    if (q.version === undefined) return list.slice();
    const wantDefault = !q.hidden;
    return list.filter((s) => s.version === q.version && (!wantDefault || !s.versionHidden));
  }

  /** Best defined match of `name` accepted by `accept`: `.symtab` first, then by preference. */
  private best(name: string, accept: (s: ElfSymbol) => boolean): ElfSymbol | undefined {
    const matches = this.findSymbols(name).filter((s) => s.defined && accept(s));
    for (const table of [".symtab", ".dynsym"]) {
      const inTable = matches.filter((s) => s.table === table);
      if (inTable.length > 0) return inTable.sort(preference)[0];
    }
    return undefined;
  }

  /**
   * The best defined symbol named `name` (see {@link SymbolIndex.findSymbols} for version syntax):
   * `.symtab` is searched first, `.dynsym` only when `.symtab` has no defined match. Among several
   * matches (versions, static functions of the same name) the default version, then GLOBAL over
   * WEAK over LOCAL, wins. Undefined (imported) symbols are never returned.
   */
  findSymbol(name: string): ElfSymbol | undefined {
    return this.best(name, () => true);
  }

  /** Like {@link SymbolIndex.findSymbol} but only FUNC/IFUNC symbols. */
  findFunction(name: string): ElfSymbol | undefined {
    return this.best(name, isFunctionSymbol);
  }

  /** Address-sorted functions, built on first use. */
  private addressIndex(): AddressIndex {
    if (this.addressCache) return this.addressCache;
    const funcs = [...this.symtab, ...this.dynsym].filter((s) =>
      s.defined && isFunctionSymbol(s) && s.value !== 0
    );
    funcs.sort((a, b) => a.value - b.value || preference(a, b));
    const syms: ElfSymbol[] = [];
    for (const s of funcs) {
      if (syms.length > 0 && syms[syms.length - 1].value === s.value) continue;
      syms.push(s);
    }
    const starts = new Float64Array(syms.length);
    const ends = new Float64Array(syms.length);
    let maxSize = 1;
    syms.forEach((s, i) => {
      starts[i] = s.value;
      ends[i] = s.value + Math.max(s.size, 1);
      maxSize = Math.max(maxSize, s.size);
    });
    this.addressCache = { starts, ends, syms, maxSize };
    return this.addressCache;
  }

  /**
   * The defined function (FUNC/IFUNC) whose `[value, value + size)` contains link-time address
   * `addr`; a size-0 function matches only its own address. Among aliases at one address the
   * preferred name is returned (GLOBAL, default version, fewest leading underscores).
   * Meaningless for ET_REL objects, whose values are section-relative.
   */
  functionAt(addr: number): ElfSymbol | undefined {
    const { starts, ends, syms, maxSize } = this.addressIndex();
    let lo = 0;
    let hi = starts.length - 1;
    let at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (starts[mid] <= addr) {
        at = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    // Walk back over earlier starts that could still cover addr (overlapping symbols are rare).
    for (let i = at; i >= 0 && starts[i] + maxSize > addr; i--) {
      if (addr < ends[i]) return syms[i];
    }
    return undefined;
  }

  /** Distinct base names of all defined functions, in table order (`.symtab` first). */
  functionNames(): string[] {
    if (this.functionNamesCache) return this.functionNamesCache;
    const names = new Set<string>();
    for (const table of [this.symtab, this.dynsym]) {
      for (const s of table) {
        if (s.defined && isFunctionSymbol(s) && s.baseName !== "") names.add(s.baseName);
      }
    }
    this.functionNamesCache = [...names];
    return this.functionNamesCache;
  }

  /**
   * Up to `n` defined function names close to `name` (which may carry a version suffix), best
   * first, for "unknown function foo; did you mean ...?" messages. See `closeMatches`.
   */
  closeNames(name: string, n = 5): string[] {
    return closeMatches(splitVersionedName(name).base, this.functionNames(), n);
  }
}
