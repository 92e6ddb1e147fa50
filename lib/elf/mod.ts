/**
 * `lib/elf/`: ELF64 x86_64 reader. Import from here; the files behind it each do one job:
 *
 * - `file.ts`: {@link ElfFile}, {@link openElf}, {@link openElfLazy}, {@link parseElf} (entry points);
 *   `lazy_file.ts`: reading a file range by range
 * - `header.ts`, `segments.ts`, `sections.ts`: header tables; `LoadMap` does vaddr <-> file offset
 * - `compress.ts`: SHF_COMPRESSED (zlib/zstd) and `.zdebug_*` decompression
 * - `symbols.ts`, `versions.ts`, `strtab.ts`: symbol decoding; `symbol_index.ts`: lookups
 * - `similar.ts`: "did you mean" ranking; `notes.ts`, `debuglink.ts`, `dynamic.ts`; `crc32.ts`
 *
 * Convention: offsets, addresses and sizes are `number` (see `bytes.ts`); user-caused problems
 * (not ELF, 32-bit, big-endian, not x86_64, truncated, unmapped address) throw `UsageError`.
 *
 * @module
 */

export { ElfFile, type ElfKind, openElf, openElfLazy, parseElf } from "./file.ts";
export type { ElfHeader } from "./header.ts";
export { LoadMap, type ProgramHeader } from "./segments.ts";
export type { SectionHeader } from "./sections.ts";
export { decompressChdr, decompressZdebug, zstdSupported } from "./compress.ts";
export {
  type ElfSymbol,
  isFunctionSymbol,
  splitVersionedName,
  type SymbolBind,
  type SymbolTableName,
  type SymbolType,
  type SymbolVisibility,
} from "./symbols.ts";
export { SymbolIndex } from "./symbol_index.ts";
export type { SymbolVersion } from "./versions.ts";
export { closeMatches, editDistance } from "./similar.ts";
export { type ElfNote, findBuildId, parseNotes } from "./notes.ts";
export {
  type DebugAltLink,
  type DebugLink,
  parseDebugAltLink,
  parseDebugLink,
} from "./debuglink.ts";
export type { DynamicEntry, DynamicInfo } from "./dynamic.ts";
export { crc32 } from "./crc32.ts";
export { hex } from "./bytes.ts";
