/**
 * GNU symbol versioning (`.gnu.version`, `.gnu.version_d`, `.gnu.version_r`): turns the version
 * index of each `.dynsym` entry into the `@VERSION` / `@@VERSION` suffix that `nm -D` prints,
 * e.g. `fopen@@GLIBC_2.2.5` (default version) or `memcpy@GLIBC_2.2.5` (hidden/old version).
 *
 * @module
 */

import { ByteReader } from "./bytes.ts";
import { VER_FLG_BASE, VERSYM_HIDDEN, VERSYM_VERSION } from "./constants.ts";
import type { StringTable } from "./strtab.ts";

/** The version attached to one dynamic symbol. */
export interface SymbolVersion {
  /** Version name, e.g. "GLIBC_2.2.5". */
  readonly name: string;
  /**
   * True for `name@V` (a non-default version definition, or a reference to a version another
   * file defines); false for `name@@V` (the default version this file defines).
   */
  readonly hidden: boolean;
}

/** Inputs of {@link parseSymbolVersions}; absent sections are simply omitted. */
export interface VersionSections {
  /** `.gnu.version`: one u16 per `.dynsym` entry. */
  versym: Uint8Array;
  /** `.gnu.version_d` bytes and its `sh_info` entry count. */
  verdef?: { bytes: Uint8Array; count: number };
  /** `.gnu.version_r` bytes and its `sh_info` entry count. */
  verneed?: { bytes: Uint8Array; count: number };
  /** The string table the version sections link to (`.dynstr`). */
  strings: StringTable;
  /** File path for messages. */
  path: string;
}

interface VersionDef {
  name: string;
  base: boolean;
  needed: boolean;
}

/** Upper bound on entries walked, so a looping `vd_next` chain in a corrupt file terminates. */
const MAX_ENTRIES = 1 << 16;

function readVerdef(
  bytes: Uint8Array,
  count: number,
  strings: StringTable,
  path: string,
  out: Map<number, VersionDef>,
): void {
  const r = new ByteReader(bytes, path);
  let off = 0;
  for (let i = 0; i < Math.min(count || MAX_ENTRIES, MAX_ENTRIES); i++) {
    if (off + 20 > r.length) break;
    const flags = r.u16(off + 2);
    const ndx = r.u16(off + 4);
    const cnt = r.u16(off + 6);
    const aux = r.u32(off + 12);
    const next = r.u32(off + 16);
    if (cnt > 0 && off + aux + 8 <= r.length) {
      out.set(ndx, {
        name: strings.get(r.u32(off + aux)),
        base: (flags & VER_FLG_BASE) !== 0,
        needed: false,
      });
    }
    if (next === 0) break;
    off += next;
  }
}

function readVerneed(
  bytes: Uint8Array,
  count: number,
  strings: StringTable,
  path: string,
  out: Map<number, VersionDef>,
): void {
  const r = new ByteReader(bytes, path);
  let off = 0;
  let walked = 0;
  for (let i = 0; i < Math.min(count || MAX_ENTRIES, MAX_ENTRIES); i++) {
    if (off + 16 > r.length) break;
    const cnt = r.u16(off + 2);
    const auxStart = r.u32(off + 8);
    const next = r.u32(off + 12);
    let aoff = off + auxStart;
    for (let j = 0; j < cnt && walked++ < MAX_ENTRIES; j++) {
      if (aoff + 16 > r.length) break;
      const other = r.u16(aoff + 6);
      out.set(other & VERSYM_VERSION, {
        name: strings.get(r.u32(aoff + 8)),
        base: false,
        needed: true,
      });
      const anext = r.u32(aoff + 12);
      if (anext === 0) break;
      aoff += anext;
    }
    if (next === 0) break;
    off += next;
  }
}

/**
 * Decodes the version of every `.dynsym` entry. Entry `i` of the result belongs to `.dynsym`
 * index `i`; it is `undefined` for local and unversioned global symbols and for the file's own
 * base version (which `nm -D` does not print).
 */
export function parseSymbolVersions(s: VersionSections): Array<SymbolVersion | undefined> {
  const defs = new Map<number, VersionDef>();
  if (s.verdef) readVerdef(s.verdef.bytes, s.verdef.count, s.strings, s.path, defs);
  if (s.verneed) readVerneed(s.verneed.bytes, s.verneed.count, s.strings, s.path, defs);
  const n = s.versym.byteLength >>> 1;
  const dv = new DataView(s.versym.buffer, s.versym.byteOffset, n * 2);
  const out = new Array<SymbolVersion | undefined>(n);
  const cache = new Map<number, SymbolVersion>();
  for (let i = 0; i < n; i++) {
    const raw = dv.getUint16(i * 2, true);
    const idx = raw & VERSYM_VERSION;
    const def = idx > 1 ? defs.get(idx) : undefined;
    if (def === undefined || def.base) {
      out[i] = undefined;
      continue;
    }
    const hidden = def.needed || (raw & VERSYM_HIDDEN) !== 0;
    const key = raw | (hidden ? 0x10000 : 0);
    let v = cache.get(key);
    if (v === undefined) {
      v = { name: def.name, hidden };
      cache.set(key, v);
    }
    out[i] = v;
  }
  return out;
}
