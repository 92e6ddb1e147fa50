/**
 * Turns a function or address trace target into the uprobe sites the kernel needs. Functions
 * are found by ELF symbol (executable first, then libraries) and, when the module has DWARF,
 * moved past the prologue like gdb's `break func`, with inlined copies added; without DWARF the
 * symbol's entry is used. `file:line` targets are in `locate_line.ts`.
 */
import { UsageError } from "../errors.ts";
import { closeMatches, type ElfSymbol, hex } from "../elf/mod.ts";
import { type DebugInfoLoader, type DwarfSite, functionSites } from "../debuginfo/mod.ts";
import type { ProbeSite } from "./probe_site.ts";
import type { ProcessModule } from "./process_modules.ts";

/** `p_flags` bit of an executable segment (ELF gABI). */
const PF_X = 1;

/**
 * Finds function `name` in the first module that defines it (executable first) and returns its
 * probe sites: DWARF's post-prologue address of each definition and the entry of each inlined
 * copy when the module has debug info, else the ELF symbol's entry. A function only DWARF knows
 * (stripped executable with a debug file, fully inlined function) is found through DWARF. An
 * unknown name is a {@link UsageError} suggesting close names. Mapped libraries that cannot be
 * read as ELF (a runtime's executable data file) are skipped; an unreadable executable is an
 * error.
 */
export function locateFunction(
  name: string,
  modules: ProcessModule[],
  debugInfo: DebugInfoLoader,
): ProbeSite[] {
  const purpose = `trace ${name}`;
  // Libraries are read only as far as the search goes: usually the executable defines it.
  for (const [i, module] of modules.entries()) {
    if (i > 0 && !readsAsElf(module)) continue;
    const symbol = definedFunction(module.elf().findFunction(name));
    if (symbol === undefined) continue;
    const found = debugInfo.query(module, (dwarf) => functionSites(dwarf, name, symbol.value));
    if (found.ok && found.value.ok) return sitesAt(module, found.value.sites, name);
    if (!found.ok && found.reason === "mismatch") debugInfo.optionalDwarf(module, purpose);
    return [{ ...siteAt(module, symbol.value, name), function: name }];
  }
  // Not an ELF symbol. A stripped module's debug file still has its symbols, and the
  // executable's DWARF knows functions that only exist inlined.
  const searchable = modules.filter((module, i) => i === 0 || readsAsElf(module));
  const suggestions: string[] = [];
  for (const module of searchable) {
    if (!module.main && module.elf().sectionHeader(".symtab") !== undefined) continue;
    const found = debugInfo.debugFile(module);
    if (!found.ok) {
      if (module.main && found.reason === "mismatch") debugInfo.optionalDwarf(module, purpose);
      continue;
    }
    const symbol = definedFunction(found.file.elf.findFunction(name));
    if (symbol === undefined && !module.main) continue;
    const sites = debugInfo.query(module, (dwarf) => functionSites(dwarf, name, symbol?.value));
    if (!sites.ok) continue;
    if (sites.value.ok) return sitesAt(module, sites.value.sites, name);
    suggestions.push(...sites.value.suggestions);
  }
  throw notFound(name, searchable, suggestions);
}

function definedFunction(symbol: ElfSymbol | undefined): ElfSymbol | undefined {
  return symbol && symbol.defined && symbol.value !== 0 ? symbol : undefined;
}

function notFound(name: string, modules: ProcessModule[], dwarfNames: string[]): UsageError {
  const names = new Set<string>(dwarfNames);
  for (const module of modules) {
    for (const close of module.elf().closeNames(name, 5)) names.add(close);
  }
  const suggestions = closeMatches(name, names, 3);
  const hint = suggestions.length > 0 ? ` (did you mean ${suggestions.join(", ")}?)` : "";
  const where = modules.length === 1 ? modules[0].path : `${modules[0].path} or its libraries`;
  return new UsageError(`function '${name}' not found in ${where}${hint}`);
}

/** Whether `module` parses as ELF (a runtime may map an executable data file that is not). */
export function readsAsElf(module: ProcessModule): boolean {
  try {
    module.elf();
    return true;
  } catch (err) {
    if (err instanceof UsageError) return false;
    throw err;
  }
}

/** A probe at link-time address `address` of `module` (`trace 0x1139`, `trace lib.so:0x1139`). */
export function locateAddress(address: number, module: ProcessModule): ProbeSite {
  const segment = module.elf().loadMap.segmentForVaddr(address);
  if (segment !== undefined && (segment.flags & PF_X) === 0) {
    const where = `the PT_LOAD segment at ${hex(segment.vaddr)}`;
    throw new UsageError(
      `address ${hex(address)} of ${module.path} is not in executable code (${where} is not ` +
        "executable), so a probe there would never fire",
    );
  }
  const symbol = module.elf().functionAt(address);
  return { ...siteAt(module, address, hex(address)), function: symbol?.baseName };
}

/** Picks the module whose file name matches `name` (`libfoo.so` matches `/usr/lib/libfoo.so.1`). */
export function moduleNamed(name: string, modules: ProcessModule[]): ProcessModule {
  const base = (path: string) => path.slice(path.lastIndexOf("/") + 1);
  const found = modules.find((m) => m.path === name || base(m.path) === name) ??
    modules.find((m) => base(m.path).startsWith(name));
  if (!found) {
    const known = modules.map((m) => base(m.path)).join(", ");
    throw new UsageError(`no module named '${name}' is mapped (mapped: ${known})`);
  }
  return found;
}

/**
 * One probe site per DWARF site. With several, each label gets `@0x<address>` so messages and
 * kernel-object names tell them apart.
 */
export function sitesAt(module: ProcessModule, sites: DwarfSite[], label: string): ProbeSite[] {
  return sites.map((s) => ({
    ...siteAt(module, s.address, sites.length > 1 ? `${label}@${hex(s.address)}` : label),
    targetText: label,
    function: s.function,
    inlined: s.inlined,
  }));
}

/** The probe site at link-time `address` of `module`. */
export function siteAt(module: ProcessModule, address: number, label: string): ProbeSite {
  return {
    label,
    targetText: label,
    uprobePath: module.hostPath,
    fileOffset: module.elf().vaddrToFileOffset(address),
    linkAddress: address,
    modulePath: module.path,
    module,
  };
}
