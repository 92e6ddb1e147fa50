/**
 * The {@link DwarfSections} of a module: DWARF from its debug file, call frame information from
 * the module itself (a separate debug file keeps `.eh_frame` only as an empty NOBITS header).
 * @module
 */

import type { DwarfSections } from "../dwarf/index.ts";
import type { ElfFile } from "../elf/mod.ts";

/** Debug sections read for DWARF, in the order they are decompressed (progress steps). */
export const DWARF_SECTION_NAMES: readonly string[] = [
  ".debug_info",
  ".debug_abbrev",
  ".debug_str",
  ".debug_line_str",
  ".debug_str_offsets",
  ".debug_addr",
  ".debug_ranges",
  ".debug_rnglists",
  ".debug_loc",
  ".debug_loclists",
  ".debug_line",
  ".debug_frame",
];

/** Total stored size of the DWARF sections of `debug` (compressed sizes when compressed). */
export function storedDwarfBytes(debug: ElfFile): number {
  let total = 0;
  for (const name of DWARF_SECTION_NAMES) {
    const sh = debug.sectionHeader(name) ??
      debug.sectionHeader(".zdebug_" + name.slice(".debug_".length));
    if (sh !== undefined) total += sh.size;
  }
  return total;
}

/**
 * Collects the sections, decompressing each (`onSection(name, bytes)` is called after each one,
 * for progress). `.eh_frame` and its address come from `module` (whichever file holds its bytes).
 */
export function dwarfSections(
  debug: ElfFile,
  module: ElfFile,
  onSection?: (name: string, bytes: number) => void,
): { sections: DwarfSections; bytes: number } {
  const got = new Map<string, Uint8Array | undefined>();
  let bytes = 0;
  for (const name of DWARF_SECTION_NAMES) {
    const data = debug.section(name);
    got.set(name, data);
    bytes += data?.length ?? 0;
    onSection?.(name, data?.length ?? 0);
  }
  const frames = ehFrameOf(module) ?? ehFrameOf(debug);
  const sections: DwarfSections = {
    info: got.get(".debug_info") ?? new Uint8Array(0),
    abbrev: got.get(".debug_abbrev") ?? new Uint8Array(0),
    str: got.get(".debug_str"),
    lineStr: got.get(".debug_line_str"),
    strOffsets: got.get(".debug_str_offsets"),
    addr: got.get(".debug_addr"),
    ranges: got.get(".debug_ranges"),
    rnglists: got.get(".debug_rnglists"),
    loc: got.get(".debug_loc"),
    loclists: got.get(".debug_loclists"),
    line: got.get(".debug_line"),
    debugFrame: got.get(".debug_frame"),
    ehFrame: frames?.data,
    ehFrameAddr: frames?.addr,
  };
  return { sections, bytes };
}

function ehFrameOf(elf: ElfFile): { data: Uint8Array; addr: number } | undefined {
  const sh = elf.sectionHeader(".eh_frame");
  if (sh === undefined) return undefined;
  const data = elf.sectionData(sh);
  return data.length > 0 ? { data, addr: sh.addr } : undefined;
}
