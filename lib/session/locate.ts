/** Turns a trace target (function name or address) into the uprobe site the kernel needs. */
import { UsageError } from "../errors.ts";
import { closeMatches, hex } from "../elf/mod.ts";
import type { ProbeSite } from "./probe_site.ts";
import type { ProcessModule } from "./process_modules.ts";

/** `p_flags` bit of an executable segment (ELF gABI). */
const PF_X = 1;

/**
 * Finds function `name` in the first module that defines it (executable first) and returns its
 * entry as a probe site. An unknown name is a {@link UsageError} suggesting close names. Mapped
 * libraries that cannot be read as ELF (a runtime's executable data file) hold no symbols and are
 * skipped; an unreadable executable is an error.
 */
export function locateFunction(name: string, modules: ProcessModule[]): ProbeSite {
  const searchable = modules.filter((module, i) => i === 0 || readsAsElf(module));
  for (const module of searchable) {
    const symbol = module.elf().findFunction(name);
    if (symbol && symbol.defined && symbol.value !== 0) {
      return siteAt(module, symbol.value, name);
    }
  }
  const names = new Set<string>();
  for (const module of searchable) {
    for (const close of module.elf().closeNames(name, 5)) names.add(close);
  }
  const suggestions = closeMatches(name, names, 3);
  const hint = suggestions.length > 0 ? ` (did you mean ${suggestions.join(", ")}?)` : "";
  const where = modules.length === 1 ? modules[0].path : `${modules[0].path} or its libraries`;
  throw new UsageError(`function '${name}' not found in ${where}${hint}`);
}

function readsAsElf(module: ProcessModule): boolean {
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
  return siteAt(module, address, hex(address));
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

function siteAt(module: ProcessModule, address: number, label: string): ProbeSite {
  return {
    label,
    uprobePath: module.hostPath,
    fileOffset: module.elf().vaddrToFileOffset(address),
    linkAddress: address,
    modulePath: module.path,
  };
}
