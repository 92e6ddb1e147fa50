/**
 * Attribute forms: fixed sizes, skipping, and decoding into {@link AttrValue}s.
 * @module
 */

import * as C from "./constants.ts";
import { corrupt, cstringAt, Reader } from "./reader.ts";

/**
 * A decoded attribute value. By form class:
 * - address (`addr`, `addrx*`): number (already resolved through `.debug_addr`)
 * - constant (`data*`, `sdata`, `udata`, `implicit_const`): number (`data16`: Uint8Array)
 * - flag: boolean
 * - string (`string`, `strp`, `line_strp`, `strx*`): string
 * - reference (`ref*`): number, an absolute `.debug_info` offset (`ref_sig8`: bigint)
 * - `sec_offset`, `loclistx`, `rnglistx`: number (offset or index; check the form)
 * - block / `exprloc`: Uint8Array view
 */
export type AttrValue = number | string | Uint8Array | boolean | bigint;

/** The section bytes the form decoder needs. */
export interface StringSections {
  str?: Uint8Array;
  lineStr?: Uint8Array;
  strOffsets?: Uint8Array;
  addr?: Uint8Array;
}

/** Per-unit parameters for decoding forms. */
export interface FormUnit {
  readonly version: number;
  readonly addrSize: number;
  readonly offsetSize: number;
  /** Offset of the unit header in `.debug_info` (base of CU-relative references). */
  readonly offset: number;
  strOffsetsBase: number;
  addrBase: number;
  readonly sections: StringSections;
}

/** Size in bytes of a fixed-size form, or -1 when the size depends on the data. */
export function fixedFormSize(
  form: number,
  addrSize: number,
  offsetSize: number,
  version: number,
): number {
  switch (form) {
    case C.DW_FORM_flag_present:
    case C.DW_FORM_implicit_const:
      return 0;
    case C.DW_FORM_data1:
    case C.DW_FORM_ref1:
    case C.DW_FORM_flag:
    case C.DW_FORM_strx1:
    case C.DW_FORM_addrx1:
      return 1;
    case C.DW_FORM_data2:
    case C.DW_FORM_ref2:
    case C.DW_FORM_strx2:
    case C.DW_FORM_addrx2:
      return 2;
    case C.DW_FORM_strx3:
    case C.DW_FORM_addrx3:
      return 3;
    case C.DW_FORM_data4:
    case C.DW_FORM_ref4:
    case C.DW_FORM_strx4:
    case C.DW_FORM_addrx4:
    case C.DW_FORM_ref_sup4:
      return 4;
    case C.DW_FORM_data8:
    case C.DW_FORM_ref8:
    case C.DW_FORM_ref_sig8:
    case C.DW_FORM_ref_sup8:
      return 8;
    case C.DW_FORM_data16:
      return 16;
    case C.DW_FORM_addr:
      return addrSize;
    case C.DW_FORM_strp:
    case C.DW_FORM_line_strp:
    case C.DW_FORM_sec_offset:
    case C.DW_FORM_strp_sup:
    case C.DW_FORM_GNU_strp_alt:
    case C.DW_FORM_GNU_ref_alt:
      return offsetSize;
    case C.DW_FORM_ref_addr:
      return version <= 2 ? addrSize : offsetSize;
    default:
      return -1;
  }
}

/** Moves the reader past one attribute value of `form`. */
export function skipForm(r: Reader, form: number, u: FormUnit): void {
  const s = fixedFormSize(form, u.addrSize, u.offsetSize, u.version);
  if (s >= 0) {
    r.pos += s;
    return;
  }
  switch (form) {
    case C.DW_FORM_string:
      r.skipCstr();
      return;
    case C.DW_FORM_block1:
      r.skip(r.u8());
      return;
    case C.DW_FORM_block2:
      r.skip(r.u16());
      return;
    case C.DW_FORM_block4:
      r.skip(r.u32());
      return;
    case C.DW_FORM_block:
    case C.DW_FORM_exprloc:
      r.skip(r.uleb());
      return;
    case C.DW_FORM_sdata:
    case C.DW_FORM_udata:
    case C.DW_FORM_ref_udata:
    case C.DW_FORM_strx:
    case C.DW_FORM_addrx:
    case C.DW_FORM_loclistx:
    case C.DW_FORM_rnglistx:
    case C.DW_FORM_GNU_addr_index:
    case C.DW_FORM_GNU_str_index:
      r.skipLeb();
      return;
    case C.DW_FORM_indirect:
      skipForm(r, r.uleb(), u);
      return;
  }
  corrupt(`unknown attribute form 0x${form.toString(16)}`);
}

/** Reads entry `index` of `.debug_addr` for the unit. */
export function addrIndex(u: FormUnit, index: number): number {
  const sec = u.sections.addr;
  if (!sec) corrupt("DW_FORM_addrx used but there is no .debug_addr section");
  const r = new Reader(sec, u.addrBase + index * u.addrSize);
  if (r.pos + u.addrSize > sec.length) corrupt(`.debug_addr index ${index} out of range`);
  return r.addr(u.addrSize);
}

/** Resolves a string offsets index (DW_FORM_strx*) to the string. */
export function strIndex(u: FormUnit, index: number): string {
  const offs = u.sections.strOffsets;
  if (!offs) corrupt("DW_FORM_strx used but there is no .debug_str_offsets section");
  const r = new Reader(offs, u.strOffsetsBase + index * u.offsetSize);
  if (r.pos + u.offsetSize > offs.length) corrupt(`.debug_str_offsets index ${index} out of range`);
  return strAt(u.sections.str, r.offset(u.offsetSize), ".debug_str");
}

/** The string at `offset` in a string section. */
export function strAt(sec: Uint8Array | undefined, offset: number, name: string): string {
  if (!sec) corrupt(`string form used but there is no ${name} section`);
  if (offset >= sec.length) corrupt(`${name} offset 0x${offset.toString(16)} out of range`);
  return cstringAt(sec, offset);
}

/** Decodes one attribute value (see {@link AttrValue} for the representation). */
export function readForm(r: Reader, form: number, u: FormUnit, implicit = 0): AttrValue {
  switch (form) {
    case C.DW_FORM_addr:
      return r.addr(u.addrSize);
    case C.DW_FORM_data1:
    case C.DW_FORM_flag:
      return form === C.DW_FORM_flag ? r.u8() !== 0 : r.u8();
    case C.DW_FORM_data2:
      return r.u16();
    case C.DW_FORM_data4:
      return r.u32();
    case C.DW_FORM_data8:
      return r.u64();
    case C.DW_FORM_data16:
      return r.bytesView(16);
    case C.DW_FORM_sdata:
      return r.sleb();
    case C.DW_FORM_udata:
      return r.uleb();
    case C.DW_FORM_implicit_const:
      return implicit;
    case C.DW_FORM_flag_present:
      return true;
    case C.DW_FORM_string:
      return r.cstr();
    case C.DW_FORM_strp:
      return strAt(u.sections.str, r.offset(u.offsetSize), ".debug_str");
    case C.DW_FORM_line_strp:
      return strAt(u.sections.lineStr, r.offset(u.offsetSize), ".debug_line_str");
    case C.DW_FORM_strx:
    case C.DW_FORM_GNU_str_index:
      return strIndex(u, r.uleb());
    case C.DW_FORM_strx1:
      return strIndex(u, r.u8());
    case C.DW_FORM_strx2:
      return strIndex(u, r.u16());
    case C.DW_FORM_strx3:
      return strIndex(u, r.u24());
    case C.DW_FORM_strx4:
      return strIndex(u, r.u32());
    case C.DW_FORM_addrx:
    case C.DW_FORM_GNU_addr_index:
      return addrIndex(u, r.uleb());
    case C.DW_FORM_addrx1:
      return addrIndex(u, r.u8());
    case C.DW_FORM_addrx2:
      return addrIndex(u, r.u16());
    case C.DW_FORM_addrx3:
      return addrIndex(u, r.u24());
    case C.DW_FORM_addrx4:
      return addrIndex(u, r.u32());
    case C.DW_FORM_ref1:
      return u.offset + r.u8();
    case C.DW_FORM_ref2:
      return u.offset + r.u16();
    case C.DW_FORM_ref4:
      return u.offset + r.u32();
    case C.DW_FORM_ref8:
      return u.offset + r.u64();
    case C.DW_FORM_ref_udata:
      return u.offset + r.uleb();
    case C.DW_FORM_ref_addr:
      return u.version <= 2 ? r.addr(u.addrSize) : r.offset(u.offsetSize);
    case C.DW_FORM_ref_sig8:
      return r.u64big();
    case C.DW_FORM_ref_sup4:
      return r.u32();
    case C.DW_FORM_ref_sup8:
      return r.u64();
    case C.DW_FORM_sec_offset:
    case C.DW_FORM_strp_sup:
    case C.DW_FORM_GNU_strp_alt:
    case C.DW_FORM_GNU_ref_alt:
      return r.offset(u.offsetSize);
    case C.DW_FORM_loclistx:
    case C.DW_FORM_rnglistx:
      return r.uleb();
    case C.DW_FORM_exprloc:
    case C.DW_FORM_block:
      return r.bytesView(r.uleb());
    case C.DW_FORM_block1:
      return r.bytesView(r.u8());
    case C.DW_FORM_block2:
      return r.bytesView(r.u16());
    case C.DW_FORM_block4:
      return r.bytesView(r.u32());
    case C.DW_FORM_indirect:
      return readForm(r, r.uleb(), u, implicit);
  }
  return corrupt(`unknown attribute form 0x${form.toString(16)}`);
}

/** True for forms whose value is a reference to another DIE in this `.debug_info`. */
export function isLocalRefForm(form: number): boolean {
  return (form >= C.DW_FORM_ref1 && form <= C.DW_FORM_ref_udata) ||
    form === C.DW_FORM_ref_addr;
}

/** True for the constant-class forms. */
export function isConstantForm(form: number): boolean {
  switch (form) {
    case C.DW_FORM_data1:
    case C.DW_FORM_data2:
    case C.DW_FORM_data4:
    case C.DW_FORM_data8:
    case C.DW_FORM_sdata:
    case C.DW_FORM_udata:
    case C.DW_FORM_implicit_const:
      return true;
  }
  return false;
}

/** True for block / exprloc forms. */
export function isBlockForm(form: number): boolean {
  switch (form) {
    case C.DW_FORM_exprloc:
    case C.DW_FORM_block:
    case C.DW_FORM_block1:
    case C.DW_FORM_block2:
    case C.DW_FORM_block4:
      return true;
  }
  return false;
}
