/**
 * The dynamic section (`.dynamic` / PT_DYNAMIC): the few entries ghostscope needs to classify a
 * file and name its dependencies.
 *
 * @module
 */

import { ByteReader } from "./bytes.ts";
import {
  DT_FLAGS,
  DT_FLAGS_1,
  DT_NEEDED,
  DT_NULL,
  DT_RPATH,
  DT_RUNPATH,
  DT_SONAME,
  DT_STRSZ,
  DT_STRTAB,
  DYN64_SIZE,
} from "./constants.ts";

/** One raw `Elf64_Dyn` entry (values that do not fit a safe integer are dropped). */
export interface DynamicEntry {
  /** `d_tag`. */
  readonly tag: number;
  /** `d_val` / `d_ptr`. */
  readonly value: number;
}

/** Decoded dynamic information. */
export interface DynamicInfo {
  /** All entries up to DT_NULL. */
  readonly entries: readonly DynamicEntry[];
  /** DT_SONAME, e.g. "libc.so.6". */
  readonly soname: string | undefined;
  /** DT_NEEDED names in order. */
  readonly needed: readonly string[];
  /** DT_RUNPATH, or DT_RPATH when there is no DT_RUNPATH. */
  readonly runpath: string | undefined;
  /** DT_FLAGS (0 when absent). */
  readonly flags: number;
  /** DT_FLAGS_1 (0 when absent); DF_1_PIE marks position-independent executables. */
  readonly flags1: number;
}

/** Decodes the raw entries of a dynamic section, stopping at DT_NULL. */
export function parseDynamicEntries(bytes: Uint8Array, path: string): DynamicEntry[] {
  const r = new ByteReader(bytes, path);
  const out: DynamicEntry[] = [];
  for (let o = 0; o + DYN64_SIZE <= r.length; o += DYN64_SIZE) {
    const tag = r.i64OrUndefined(o);
    const value = r.u64OrUndefined(o + 8);
    if (tag === DT_NULL) break;
    if (tag === undefined || value === undefined) continue;
    out.push({ tag, value });
  }
  return out;
}

/** Address of the dynamic string table and its size (DT_STRTAB, DT_STRSZ), if present. */
export function dynamicStringTable(
  entries: readonly DynamicEntry[],
): { vaddr: number; size: number } | undefined {
  const vaddr = entries.find((e) => e.tag === DT_STRTAB)?.value;
  const size = entries.find((e) => e.tag === DT_STRSZ)?.value;
  return vaddr === undefined || size === undefined ? undefined : { vaddr, size };
}

/**
 * Builds {@link DynamicInfo} from raw entries.
 * @param str resolves a DT_STRTAB offset to a string
 */
export function interpretDynamic(
  entries: readonly DynamicEntry[],
  str: (offset: number) => string,
): DynamicInfo {
  let soname: string | undefined;
  let runpath: string | undefined;
  let rpath: string | undefined;
  let flags = 0;
  let flags1 = 0;
  const needed: string[] = [];
  for (const e of entries) {
    switch (e.tag) {
      case DT_NEEDED:
        needed.push(str(e.value));
        break;
      case DT_SONAME:
        soname = str(e.value);
        break;
      case DT_RUNPATH:
        runpath = str(e.value);
        break;
      case DT_RPATH:
        rpath = str(e.value);
        break;
      case DT_FLAGS:
        flags = e.value;
        break;
      case DT_FLAGS_1:
        flags1 = e.value;
        break;
    }
  }
  return { entries, soname, needed, runpath: runpath ?? rpath, flags, flags1 };
}
