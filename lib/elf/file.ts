/**
 * {@link ElfFile}: one parsed ELF64 x86_64 file. Opening reads the file once and decodes only the
 * headers (file header, program headers, section headers); sections, symbols, notes and the
 * dynamic section are decoded on first use and cached. {@link openElfLazy} reads even the bytes on
 * first use (headers at open, each section or segment when first needed).
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { ByteReader } from "./bytes.ts";
import { LazyFile } from "./lazy_file.ts";
import { decompressChdr, decompressZdebug, isZdebug } from "./compress.ts";
import {
  DF_1_PIE,
  EHDR64_SIZE,
  ET_CORE,
  ET_DYN,
  ET_EXEC,
  ET_REL,
  PHDR64_SIZE,
  PT_DYNAMIC,
  PT_INTERP,
  PT_NOTE,
  SHDR64_SIZE,
  SHF_COMPRESSED,
  SHT_DYNAMIC,
  SHT_DYNSYM,
  SHT_GNU_VERDEF,
  SHT_GNU_VERNEED,
  SHT_GNU_VERSYM,
  SHT_NOBITS,
  SHT_NOTE,
  SHT_SYMTAB,
  SHT_SYMTAB_SHNDX,
} from "./constants.ts";
import {
  type DebugAltLink,
  type DebugLink,
  parseDebugAltLink,
  parseDebugLink,
} from "./debuglink.ts";
import {
  type DynamicInfo,
  dynamicStringTable,
  interpretDynamic,
  parseDynamicEntries,
} from "./dynamic.ts";
import { type ElfHeader, parseHeader } from "./header.ts";
import { type ElfNote, findBuildId, parseNotes } from "./notes.ts";
import { LoadMap, parseProgramHeaders, type ProgramHeader } from "./segments.ts";
import { parseSectionHeaders, type SectionHeader } from "./sections.ts";
import { StringTable } from "./strtab.ts";
import { SymbolIndex } from "./symbol_index.ts";
import { type ElfSymbol, parseSymbols, type SymbolTableName } from "./symbols.ts";
import { parseSymbolVersions } from "./versions.ts";

/**
 * What a file is, for attaching and for messages:
 * - `executable`: ET_EXEC, fixed addresses (`-no-pie`);
 * - `pie`: ET_DYN executable — DT_FLAGS_1 has DF_1_PIE, or (older linkers) it has PT_INTERP and no
 *   DT_SONAME;
 * - `shared`: any other ET_DYN, i.e. a shared library. glibc's `libc.so.6` has a PT_INTERP (it can
 *   be run) but also a DT_SONAME and no DF_1_PIE, so it is `shared`;
 * - `relocatable`: ET_REL (`.o`); `core`: ET_CORE; `unknown`: anything else.
 */
export type ElfKind = "executable" | "pie" | "shared" | "relocatable" | "core" | "unknown";

const EMPTY = new Uint8Array(0);
const NOT_YET: unique symbol = Symbol("not computed");
type Lazy<T> = T | typeof NOT_YET;

/** A parsed ELF64 x86_64 little-endian file. Construct with {@link openElf} or {@link parseElf}. */
export class ElfFile {
  /** Decoded file header. */
  readonly header: ElfHeader;
  /** All program headers in table order. */
  readonly programHeaders: readonly ProgramHeader[];
  /** All section headers in table order (index 0 is the null section); empty when stripped. */
  readonly sections: readonly SectionHeader[];
  /** PT_LOAD segments and address <-> file offset translation. */
  readonly loadMap: LoadMap;

  private readonly reader: ByteReader;
  private readonly sectionsByName = new Map<string, SectionHeader>();
  private readonly decompressed = new Map<number, Uint8Array>();
  private symbolsCache: SymbolIndex | undefined;
  private interpCache: Lazy<string | undefined> = NOT_YET;
  private dynamicCache: Lazy<DynamicInfo | undefined> = NOT_YET;
  private notesCache: ElfNote[] | undefined;

  /**
   * Parses the headers of `bytes`; throws {@link UsageError} for anything that is not a complete
   * x86_64 little-endian ELF64 file.
   *
   * @param bytes the whole file; kept (not copied), section data are views into it
   * @param path file path used in every message
   * @param load when given, `bytes` is only filled on demand: `load(offset, length)` makes a
   *   range valid and is called before any range is read (see {@link openElfLazy})
   */
  constructor(
    readonly bytes: Uint8Array,
    readonly path: string,
    private readonly load?: (offset: number, length: number) => void,
  ) {
    this.reader = new ByteReader(bytes, path);
    if (load !== undefined) {
      // The file header, and section header 0 (extended numbering) that parseHeader may read.
      load(0, EHDR64_SIZE);
      if (bytes.length >= EHDR64_SIZE) load(this.reader.u64OrUndefined(40) ?? 0, SHDR64_SIZE);
    }
    this.header = parseHeader(this.reader);
    if (load !== undefined) {
      const h = this.header;
      load(h.phoff, h.phnum * PHDR64_SIZE);
      load(h.shoff, h.shnum * SHDR64_SIZE);
      if (h.shstrndx !== 0) {
        const o = h.shoff + h.shstrndx * SHDR64_SIZE;
        load(this.reader.u64OrUndefined(o + 24) ?? 0, this.reader.u64OrUndefined(o + 32) ?? 0);
      }
    }
    this.programHeaders = parseProgramHeaders(this.reader, this.header);
    this.sections = parseSectionHeaders(this.reader, this.header);
    this.loadMap = new LoadMap(this.programHeaders, path);
    for (const s of this.sections) {
      if (s.name !== "" && !this.sectionsByName.has(s.name)) this.sectionsByName.set(s.name, s);
    }
  }

  // ---- sections ----------------------------------------------------------------------------

  /** The first section header named `name`, if any. */
  sectionHeader(name: string): SectionHeader | undefined {
    return this.sectionsByName.get(name);
  }

  /** The section's bytes as stored in the file (compressed if it is); empty for SHT_NOBITS. */
  rawSectionData(sh: SectionHeader): Uint8Array {
    if (sh.type === SHT_NOBITS || sh.index === 0) return EMPTY;
    return this.range(sh.offset, sh.size);
  }

  /** `bytes[offset, offset + length)` (clamped to the file), loaded first if need be. */
  private range(offset: number, length: number): Uint8Array {
    this.load?.(offset, length);
    return this.bytes.subarray(offset, Math.min(offset + length, this.bytes.length));
  }

  /**
   * The section's contents, decompressed when it is SHF_COMPRESSED (zlib, or zstd when the runtime
   * has it) or a legacy `.zdebug_*` section. Decompressed data are cached; uncompressed data are
   * views into the file (no copy). Empty for SHT_NOBITS. Throws {@link UsageError} on corrupt
   * compressed data.
   */
  sectionData(sh: SectionHeader): Uint8Array {
    const cached = this.decompressed.get(sh.index);
    if (cached !== undefined) return cached;
    const raw = this.rawSectionData(sh);
    let out: Uint8Array;
    if ((sh.flags & SHF_COMPRESSED) !== 0 && sh.type !== SHT_NOBITS) {
      out = decompressChdr(raw, this.path, sh.name);
    } else if (sh.name.startsWith(".zdebug") && isZdebug(raw)) {
      out = decompressZdebug(raw, this.path, sh.name);
    } else {
      return raw;
    }
    this.decompressed.set(sh.index, out);
    return out;
  }

  /**
   * Contents of the section named `name` (see {@link ElfFile.sectionData}), or `undefined` when
   * the file has no such section. Asking for `.debug_X` falls back to a legacy `.zdebug_X`.
   */
  section(name: string): Uint8Array | undefined {
    let sh = this.sectionHeader(name);
    if (sh === undefined && name.startsWith(".debug_")) {
      sh = this.sectionHeader(".zdebug_" + name.slice(".debug_".length));
    }
    return sh === undefined ? undefined : this.sectionData(sh);
  }

  /** Whether the file carries DWARF (`.debug_info` or `.zdebug_info` with file bytes). */
  get hasDebugInfo(): boolean {
    const sh = this.sectionHeader(".debug_info") ?? this.sectionHeader(".zdebug_info");
    return sh !== undefined && sh.type !== SHT_NOBITS && sh.size > 0;
  }

  // ---- classification ----------------------------------------------------------------------

  /** PT_INTERP contents (the dynamic loader path), e.g. "/lib64/ld-linux-x86-64.so.2". */
  get interp(): string | undefined {
    if (this.interpCache === NOT_YET) {
      const p = this.programHeaders.find((ph) => ph.type === PT_INTERP);
      if (p !== undefined) this.load?.(p.offset, p.filesz);
      this.interpCache = p === undefined
        ? undefined
        : this.reader.cString(p.offset, p.offset + p.filesz);
    }
    return this.interpCache;
  }

  /** See {@link ElfKind}. */
  get kind(): ElfKind {
    switch (this.header.type) {
      case ET_EXEC:
        return "executable";
      case ET_REL:
        return "relocatable";
      case ET_CORE:
        return "core";
      case ET_DYN: {
        const dyn = this.dynamic;
        if (dyn !== undefined && (dyn.flags1 & DF_1_PIE) !== 0) return "pie";
        if (this.interp !== undefined && dyn?.soname === undefined) return "pie";
        return "shared";
      }
      default:
        return "unknown";
    }
  }

  /** True for ET_DYN files (PIE executables and shared libraries): they load at a bias. */
  get isPositionIndependent(): boolean {
    return this.header.type === ET_DYN;
  }

  /** Decoded dynamic section, or `undefined` for static executables and objects. */
  get dynamic(): DynamicInfo | undefined {
    if (this.dynamicCache === NOT_YET) this.dynamicCache = this.readDynamic();
    return this.dynamicCache;
  }

  /** Decodes `.dynamic`, or PT_DYNAMIC (strings via DT_STRTAB) when there are no sections. */
  private readDynamic(): DynamicInfo | undefined {
    const sh = this.sections.find((s) => s.type === SHT_DYNAMIC);
    if (sh !== undefined) {
      const entries = parseDynamicEntries(this.sectionData(sh), this.path);
      const strSh = this.sections[sh.link];
      const strings = new StringTable(strSh ? this.sectionData(strSh) : EMPTY);
      return interpretDynamic(entries, (o) => strings.get(o));
    }
    const ph = this.programHeaders.find((p) => p.type === PT_DYNAMIC);
    if (ph === undefined) return undefined;
    const entries = parseDynamicEntries(this.range(ph.offset, ph.filesz), this.path);
    const loc = dynamicStringTable(entries);
    const off = loc ? this.loadMap.tryVaddrToFileOffset(loc.vaddr) : undefined;
    const strings = new StringTable(
      loc && off !== undefined ? this.range(off, loc.size) : EMPTY,
    );
    return interpretDynamic(entries, (o) => strings.get(o));
  }

  // ---- notes, build-id, debug links ---------------------------------------------------------

  /** All notes: from SHT_NOTE sections, or from PT_NOTE segments when there are no sections. */
  notes(): ElfNote[] {
    if (this.notesCache) return this.notesCache;
    const out: ElfNote[] = [];
    const noteSections = this.sections.filter((s) => s.type === SHT_NOTE);
    if (noteSections.length > 0) {
      for (const s of noteSections) out.push(...parseNotes(this.sectionData(s), s.addralign));
    } else {
      for (const p of this.programHeaders) {
        if (p.type !== PT_NOTE) continue;
        out.push(...parseNotes(this.range(p.offset, p.filesz), p.align));
      }
    }
    this.notesCache = out;
    return out;
  }

  /** GNU build-id as lower-case hex (as `readelf -n` prints it), if the file has one. */
  get buildId(): string | undefined {
    return findBuildId(this.notes());
  }

  /** `.gnu_debuglink` (separate debug file name and CRC32), if present and well-formed. */
  get debugLink(): DebugLink | undefined {
    const b = this.section(".gnu_debuglink");
    return b === undefined ? undefined : parseDebugLink(b);
  }

  /** `.gnu_debugaltlink` (dwz supplementary file and its build-id), if present. */
  get debugAltLink(): DebugAltLink | undefined {
    const b = this.section(".gnu_debugaltlink");
    return b === undefined ? undefined : parseDebugAltLink(b);
  }

  // ---- symbols -------------------------------------------------------------------------------

  /** Symbols of `.symtab` and `.dynsym`, decoded on first access. */
  get symbols(): SymbolIndex {
    if (this.symbolsCache === undefined) {
      this.symbolsCache = new SymbolIndex(
        this.readSymbolTable(SHT_SYMTAB, ".symtab"),
        this.readSymbolTable(SHT_DYNSYM, ".dynsym"),
      );
    }
    return this.symbolsCache;
  }

  /** Decodes the first section of `type` with its strings, SHN_XINDEX table and versions. */
  private readSymbolTable(type: number, table: SymbolTableName): ElfSymbol[] {
    const sh = this.sections.find((s) => s.type === type);
    if (sh === undefined) return [];
    const strSh = this.sections[sh.link];
    const strings = new StringTable(strSh ? this.sectionData(strSh) : EMPTY);
    const shndxSh = this.sections.find((s) => s.type === SHT_SYMTAB_SHNDX && s.link === sh.index);
    let versions;
    if (type === SHT_DYNSYM) {
      const versym = this.sections.find((s) => s.type === SHT_GNU_VERSYM && s.link === sh.index);
      if (versym !== undefined) {
        const def = this.sections.find((s) => s.type === SHT_GNU_VERDEF);
        const need = this.sections.find((s) => s.type === SHT_GNU_VERNEED);
        versions = parseSymbolVersions({
          versym: this.sectionData(versym),
          verdef: def && { bytes: this.sectionData(def), count: def.info },
          verneed: need && { bytes: this.sectionData(need), count: need.info },
          strings,
          path: this.path,
        });
      }
    }
    return parseSymbols({
      bytes: this.sectionData(sh),
      strings,
      table,
      path: this.path,
      shndx: shndxSh && this.sectionData(shndxSh),
      versions,
    });
  }

  /** Shorthand for `symbols.findSymbol(name)`. */
  findSymbol(name: string): ElfSymbol | undefined {
    return this.symbols.findSymbol(name);
  }

  /** Shorthand for `symbols.findFunction(name)`. */
  findFunction(name: string): ElfSymbol | undefined {
    return this.symbols.findFunction(name);
  }

  /** Shorthand for `symbols.functionAt(addr)`. */
  functionAt(addr: number): ElfSymbol | undefined {
    return this.symbols.functionAt(addr);
  }

  /** Shorthand for `symbols.closeNames(name, n)`. */
  closeNames(name: string, n = 5): string[] {
    return this.symbols.closeNames(name, n);
  }

  // ---- addresses -----------------------------------------------------------------------------

  /** Shorthand for `loadMap.vaddrToFileOffset(vaddr)` (throws {@link UsageError} when unmapped). */
  vaddrToFileOffset(vaddr: number): number {
    return this.loadMap.vaddrToFileOffset(vaddr);
  }

  /** Shorthand for `loadMap.fileOffsetToVaddr(offset)` (throws {@link UsageError} when unmapped). */
  fileOffsetToVaddr(offset: number): number {
    return this.loadMap.fileOffsetToVaddr(offset);
  }
}

/**
 * Parses an ELF file already in memory. Throws {@link UsageError} for anything that is not a
 * complete x86_64 little-endian ELF64 file.
 */
export function parseElf(bytes: Uint8Array, path: string): ElfFile {
  return new ElfFile(bytes, path);
}

/**
 * Reads `path` once and parses its headers. Throws {@link UsageError} when the file cannot be read
 * (missing, a directory, no permission) or is not an x86_64 little-endian ELF64 file.
 */
export function openElf(path: string): ElfFile {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(path);
  } catch (e) {
    throw new UsageError(readFailure(path, e));
  }
  return new ElfFile(bytes, path);
}

/**
 * Opens `path` for reading on demand (see `lazy_file.ts`): the headers now, each section or
 * segment's bytes when first used, so a symbol lookup in a big executable does not read its code.
 * Same errors as {@link openElf}; anything but a regular file is read by {@link openElf}.
 */
export function openElfLazy(path: string): ElfFile {
  let file: LazyFile;
  try {
    if (!Deno.statSync(path).isFile) return openElf(path);
    file = new LazyFile(path);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(readFailure(path, e));
  }
  return new ElfFile(file.bytes, path, (offset, length) => file.load(offset, length));
}

function readFailure(path: string, e: unknown): string {
  if (e instanceof Deno.errors.NotFound) return `${path}: no such file`;
  if (e instanceof Deno.errors.PermissionDenied) return `cannot read ${path}: permission denied`;
  if (e instanceof Deno.errors.IsADirectory) return `${path} is a directory, not an ELF file`;
  return `cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`;
}
