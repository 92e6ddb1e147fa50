/**
 * Range lists (`.debug_ranges` v4, `.debug_rnglists` v5) and location lists (`.debug_loc` v4,
 * `.debug_loclists` v5).
 * @module
 */

import * as C from "./constants.ts";
import { addrIndex, type FormUnit, type StringSections } from "./forms.ts";
import { corrupt, isTombstone, Reader } from "./reader.ts";

/** Sections needed for list decoding. */
export interface ListSections extends StringSections {
  ranges?: Uint8Array;
  rnglists?: Uint8Array;
  loc?: Uint8Array;
  loclists?: Uint8Array;
}

/** Unit parameters for list decoding. */
export interface ListUnit extends FormUnit {
  /** The unit's base address (DW_AT_low_pc of the unit DIE, or 0). */
  baseAddress: number;
  rnglistsBase: number;
  loclistsBase: number;
  readonly sections: ListSections;
}

/** One entry of a location list: the expression is valid for pc in [lo, hi). */
export interface LocListEntry {
  lo: number;
  hi: number;
  expr: Uint8Array;
}

/**
 * A usable [lo, hi): non-empty, not at address 0 and not a tombstone (both mean the linker
 * discarded the code).
 */
export function validRange(lo: number, hi: number, addrSize: number): boolean {
  return hi > lo && lo !== 0 && !isTombstone(lo, addrSize);
}

/** Resolves a DW_FORM_rnglistx / DW_FORM_loclistx index through the offsets table at `base`. */
function listIndex(sec: Uint8Array, base: number, index: number, offsetSize: number): number {
  const r = new Reader(sec, base + index * offsetSize);
  if (r.pos + offsetSize > sec.length) corrupt(`list index ${index} out of range`);
  return base + r.offset(offsetSize);
}

/**
 * Address ranges of a DW_AT_ranges value as a flat array `[lo0, hi0, lo1, hi1, ...]`. Empty and
 * linker-discarded (tombstone) ranges are dropped.
 */
export function readRanges(u: ListUnit, value: number, form: number): number[] {
  const out: number[] = [];
  if (u.version < 5) {
    const sec = u.sections.ranges;
    if (!sec) corrupt("DW_AT_ranges used but there is no .debug_ranges section");
    const r = new Reader(sec, value);
    let base = u.baseAddress;
    const size = u.addrSize;
    for (;;) {
      if (r.pos + 2 * size > sec.length) corrupt("range list runs past .debug_ranges");
      const a = r.addr(size);
      const b = r.addr(size);
      if (a === 0 && b === 0) break;
      if (isTombstone(a, size) && !isTombstone(b, size)) {
        base = b;
        continue;
      }
      const lo = base + a;
      const hi = base + b;
      if (validRange(lo, hi, size)) out.push(lo, hi);
    }
    return out;
  }
  const sec = u.sections.rnglists;
  if (!sec) corrupt("DW_AT_ranges used but there is no .debug_rnglists section");
  const start = form === C.DW_FORM_rnglistx
    ? listIndex(sec, u.rnglistsBase, value, u.offsetSize)
    : value;
  const r = new Reader(sec, start);
  let base = u.baseAddress;
  for (;;) {
    const kind = r.u8();
    let lo: number;
    let hi: number;
    switch (kind) {
      case C.DW_RLE_end_of_list:
        return out;
      case C.DW_RLE_base_addressx:
        base = addrIndex(u, r.uleb());
        continue;
      case C.DW_RLE_base_address:
        base = r.addr(u.addrSize);
        continue;
      case C.DW_RLE_startx_endx:
        lo = addrIndex(u, r.uleb());
        hi = addrIndex(u, r.uleb());
        break;
      case C.DW_RLE_startx_length:
        lo = addrIndex(u, r.uleb());
        hi = lo + r.uleb();
        break;
      case C.DW_RLE_offset_pair:
        lo = base + r.uleb();
        hi = base + r.uleb();
        break;
      case C.DW_RLE_start_end:
        lo = r.addr(u.addrSize);
        hi = r.addr(u.addrSize);
        break;
      case C.DW_RLE_start_length:
        lo = r.addr(u.addrSize);
        hi = lo + r.uleb();
        break;
      default:
        return corrupt(`unknown range list entry kind ${kind} at 0x${(r.pos - 1).toString(16)}`);
    }
    if (validRange(lo, hi, u.addrSize)) out.push(lo, hi);
  }
}

/** Entries of a location list given a DW_AT_location (or frame_base) value of list class. */
export function readLocList(u: ListUnit, value: number, form: number): LocListEntry[] {
  const out: LocListEntry[] = [];
  if (u.version < 5) {
    const sec = u.sections.loc;
    if (!sec) corrupt("location list used but there is no .debug_loc section");
    const r = new Reader(sec, value);
    let base = u.baseAddress;
    const size = u.addrSize;
    for (;;) {
      const a = r.addr(size);
      const b = r.addr(size);
      if (a === 0 && b === 0) break;
      if (isTombstone(a, size) && !isTombstone(b, size)) {
        base = b;
        continue;
      }
      const len = r.u16();
      const expr = r.bytesView(len);
      if (validRange(base + a, base + b, size)) out.push({ lo: base + a, hi: base + b, expr });
    }
    return out;
  }
  const sec = u.sections.loclists;
  if (!sec) corrupt("location list used but there is no .debug_loclists section");
  const start = form === C.DW_FORM_loclistx
    ? listIndex(sec, u.loclistsBase, value, u.offsetSize)
    : value;
  const r = new Reader(sec, start);
  let base = u.baseAddress;
  for (;;) {
    const kind = r.u8();
    let lo: number;
    let hi: number;
    switch (kind) {
      case C.DW_LLE_end_of_list:
        return out;
      case C.DW_LLE_base_addressx:
        base = addrIndex(u, r.uleb());
        continue;
      case C.DW_LLE_base_address:
        base = r.addr(u.addrSize);
        continue;
      case C.DW_LLE_GNU_view_pair:
        r.skipLeb();
        r.skipLeb();
        continue;
      case C.DW_LLE_startx_endx:
        lo = addrIndex(u, r.uleb());
        hi = addrIndex(u, r.uleb());
        break;
      case C.DW_LLE_startx_length:
        lo = addrIndex(u, r.uleb());
        hi = lo + r.uleb();
        break;
      case C.DW_LLE_offset_pair:
        lo = base + r.uleb();
        hi = base + r.uleb();
        break;
      case C.DW_LLE_default_location:
        lo = 0;
        hi = Number.POSITIVE_INFINITY;
        break;
      case C.DW_LLE_start_end:
        lo = r.addr(u.addrSize);
        hi = r.addr(u.addrSize);
        break;
      case C.DW_LLE_start_length:
        lo = r.addr(u.addrSize);
        hi = lo + r.uleb();
        break;
      default:
        return corrupt(`unknown location list entry kind ${kind} at 0x${(r.pos - 1).toString(16)}`);
    }
    const expr = r.bytesView(r.uleb());
    if (kind === C.DW_LLE_default_location || validRange(lo, hi, u.addrSize)) {
      out.push({ lo, hi, expr });
    }
  }
}

/** True when `pc` falls in one of the flat `[lo, hi)` pairs. */
export function rangesContain(ranges: readonly number[], pc: number): boolean {
  for (let i = 0; i < ranges.length; i += 2) {
    if (pc >= ranges[i] && pc < ranges[i + 1]) return true;
  }
  return false;
}
