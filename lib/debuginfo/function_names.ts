/**
 * The probe-able function names of a module, and which of them a pattern (`handle_*`) matches:
 * defined function symbols of the ELF file, plus the functions only DWARF knows when the module
 * has no `.symtab` (a stripped module with a debug file). Shared by `ghostscope funcs` and
 * wildcard `trace` targets.
 * @module
 */

import type { DebugModule } from "./types.ts";
import type { DebugInfoLoader } from "./loader.ts";
import { matchNames } from "./name_pattern.ts";

/** Names of functions of `module` that `pattern` matches, sorted. */
export function moduleFunctionsMatching(
  pattern: string,
  module: DebugModule,
  debugInfo: DebugInfoLoader,
): string[] {
  const elf = module.elf();
  const names = new Set(elf.symbols.functionNames());
  if (elf.sectionHeader(".symtab") === undefined) {
    const dwarf = debugInfo.optionalDwarf(module);
    for (const n of dwarf?.functionNames() ?? []) names.add(n);
  }
  return matchNames(pattern, names);
}
