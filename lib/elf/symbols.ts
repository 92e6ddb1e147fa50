/**
 * Decoding of `.symtab` / `.dynsym` entries into {@link ElfSymbol} records, with GNU version
 * suffixes attached the way `nm` prints them.
 *
 * @module
 */

import { ByteReader } from "./bytes.ts";
import { SHN_UNDEF, SHN_XINDEX, SYM64_SIZE } from "./constants.ts";
import type { StringTable } from "./strtab.ts";
import type { SymbolVersion } from "./versions.ts";

/** `STT_*` as `readelf -s` prints it. */
export type SymbolType =
  | "NOTYPE"
  | "OBJECT"
  | "FUNC"
  | "SECTION"
  | "FILE"
  | "COMMON"
  | "TLS"
  | "IFUNC"
  | "OTHER";
/** `STB_*` as `readelf -s` prints it (`UNIQUE` is STB_GNU_UNIQUE). */
export type SymbolBind = "LOCAL" | "GLOBAL" | "WEAK" | "UNIQUE" | "OTHER";
/** `STV_*` as `readelf -s` prints it. */
export type SymbolVisibility = "DEFAULT" | "INTERNAL" | "HIDDEN" | "PROTECTED";
/** Which table a symbol came from. */
export type SymbolTableName = ".symtab" | ".dynsym";

const TYPES: Record<number, SymbolType> = {
  0: "NOTYPE",
  1: "OBJECT",
  2: "FUNC",
  3: "SECTION",
  4: "FILE",
  5: "COMMON",
  6: "TLS",
  10: "IFUNC",
};
const BINDS: Record<number, SymbolBind> = { 0: "LOCAL", 1: "GLOBAL", 2: "WEAK", 10: "UNIQUE" };
const VISIBILITIES: SymbolVisibility[] = ["DEFAULT", "INTERNAL", "HIDDEN", "PROTECTED"];

/** One symbol. Addresses and sizes are numbers (see the convention in `bytes.ts`). */
export interface ElfSymbol {
  /**
   * Name as `nm` prints it: for `.dynsym`, the string-table name plus `@VER`/`@@VER` from the
   * version sections; for `.symtab`, the string-table name as is (GNU ld already writes versioned
   * names such as `printf@GLIBC_2.2.5` there).
   */
  readonly name: string;
  /** {@link ElfSymbol.name} without any `@VER` / `@@VER` suffix. */
  readonly baseName: string;
  /** Version name ("GLIBC_2.2.5"), or `undefined` for unversioned symbols. */
  readonly version: string | undefined;
  /** True when versioned with a single `@` (non-default or referenced version). */
  readonly versionHidden: boolean;
  /**
   * `st_value`: a link-time virtual address in executables and shared objects (a section-relative
   * offset in ET_REL objects).
   */
  readonly value: number;
  /** `st_size` in bytes (0 when unknown). */
  readonly size: number;
  /** Symbol type. */
  readonly type: SymbolType;
  /** Symbol binding. */
  readonly bind: SymbolBind;
  /** Symbol visibility. */
  readonly visibility: SymbolVisibility;
  /** Section index (`st_shndx`, with SHN_XINDEX resolved); SHN_UNDEF (0), SHN_ABS (0xfff1), ... */
  readonly sectionIndex: number;
  /** False for undefined (imported) symbols, i.e. `sectionIndex === SHN_UNDEF`. */
  readonly defined: boolean;
  /** Table the symbol came from. */
  readonly table: SymbolTableName;
  /** Index of the entry in its table. */
  readonly index: number;
}

/** Splits `foo@@V` / `foo@V` / `foo` into base name, version and hidden flag. */
export function splitVersionedName(
  name: string,
): { base: string; version: string | undefined; hidden: boolean } {
  const at = name.indexOf("@");
  if (at <= 0) return { base: name, version: undefined, hidden: false };
  const dbl = name.charCodeAt(at + 1) === 0x40;
  return { base: name.slice(0, at), version: name.slice(at + (dbl ? 2 : 1)), hidden: !dbl };
}

/** Whether a symbol is code: FUNC or IFUNC (GNU indirect function). */
export function isFunctionSymbol(s: ElfSymbol): boolean {
  return s.type === "FUNC" || s.type === "IFUNC";
}

/** Inputs of {@link parseSymbols}. */
export interface SymbolTableInput {
  /** Bytes of the `.symtab` / `.dynsym` section. */
  bytes: Uint8Array;
  /** Linked string table. */
  strings: StringTable;
  /** Which table this is. */
  table: SymbolTableName;
  /** File path for messages. */
  path: string;
  /** `.symtab_shndx` bytes (u32 per symbol), when the table has SHN_XINDEX entries. */
  shndx?: Uint8Array;
  /** Per-entry versions (`.dynsym` only), from `parseSymbolVersions`. */
  versions?: ReadonlyArray<SymbolVersion | undefined>;
}

/**
 * Decodes every entry but the null entry 0. Entries whose value or size does not fit a safe
 * integer (only possible for SHN_ABS oddities) are skipped.
 */
export function parseSymbols(t: SymbolTableInput): ElfSymbol[] {
  const r = new ByteReader(t.bytes, t.path);
  const count = Math.floor(t.bytes.byteLength / SYM64_SIZE);
  const shndxView = t.shndx
    ? new DataView(t.shndx.buffer, t.shndx.byteOffset, t.shndx.byteLength)
    : undefined;
  const out: ElfSymbol[] = [];
  for (let i = 1; i < count; i++) {
    const o = i * SYM64_SIZE;
    const value = r.u64OrUndefined(o + 8);
    const size = r.u64OrUndefined(o + 16);
    if (value === undefined || size === undefined) continue;
    const info = r.u8(o + 4);
    let shndx = r.u16(o + 6);
    if (shndx === SHN_XINDEX && shndxView !== undefined && (i + 1) * 4 <= shndxView.byteLength) {
      shndx = shndxView.getUint32(i * 4, true);
    }
    const raw = t.strings.get(r.u32(o));
    let name = raw;
    let baseName = raw;
    let version: string | undefined;
    let hidden = false;
    const v = t.versions?.[i];
    // The ABS symbol a version definition creates (named like the version) prints bare.
    if (v !== undefined && v.name !== raw) {
      version = v.name;
      hidden = v.hidden;
      name = raw + (hidden ? "@" : "@@") + version;
    } else if (raw.indexOf("@") > 0) {
      const split = splitVersionedName(raw);
      baseName = split.base;
      version = split.version;
      hidden = split.hidden;
    }
    out.push({
      name,
      baseName,
      version,
      versionHidden: hidden,
      value,
      size,
      type: TYPES[info & 0xf] ?? "OTHER",
      bind: BINDS[info >> 4] ?? "OTHER",
      visibility: VISIBILITIES[r.u8(o + 5) & 3],
      sectionIndex: shndx,
      defined: shndx !== SHN_UNDEF,
      table: t.table,
      index: i,
    });
  }
  return out;
}
