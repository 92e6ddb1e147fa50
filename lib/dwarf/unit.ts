/**
 * Unit headers (DWARF 2-5, 32- and 64-bit formats), the unit DIE's attributes, and the lazily
 * built per-unit DIE tree (flat typed arrays: offset, attribute position, parent, next sibling).
 * @module
 */

import { type Abbrev, type AbbrevTable, parseAbbrevTable } from "./abbrev.ts";
import * as C from "./constants.ts";
import { type AttrValue, readForm, skipForm } from "./forms.ts";
import { type ListSections, type ListUnit, readRanges, validRange } from "./lists.ts";
import { corrupt, Reader } from "./reader.ts";

/** The raw section bytes a DWARF reader needs. Only `info` and `abbrev` are required. */
export interface DwarfSections {
  info: Uint8Array;
  abbrev: Uint8Array;
  str?: Uint8Array;
  lineStr?: Uint8Array;
  strOffsets?: Uint8Array;
  addr?: Uint8Array;
  ranges?: Uint8Array;
  rnglists?: Uint8Array;
  loc?: Uint8Array;
  loclists?: Uint8Array;
  line?: Uint8Array;
  ehFrame?: Uint8Array;
  /** Virtual address of `.eh_frame` (needed for pc-relative pointer encodings). */
  ehFrameAddr?: number;
  debugFrame?: Uint8Array;
}

/** An attribute read from a DIE: its form and decoded value. */
export interface Attr {
  form: number;
  value: AttrValue;
}

/** The DIE tree of one unit, as parallel arrays indexed by DIE number (0 = the unit DIE). */
export class DieTree {
  /** Absolute `.debug_info` offset of each DIE (ascending). */
  readonly offsets: number[] = [];
  /** Offset of each DIE's first attribute byte. */
  readonly attrPos: number[] = [];
  readonly abbrevs: Abbrev[] = [];
  /** Parent DIE number, -1 for the unit DIE. */
  readonly parent: number[] = [];
  /** Next sibling DIE number, or -1. */
  readonly next: number[] = [];

  get count(): number {
    return this.offsets.length;
  }

  tag(i: number): number {
    return this.abbrevs[i].tag;
  }

  /** First child DIE number, or -1. */
  firstChild(i: number): number {
    if (!this.abbrevs[i].hasChildren) return -1;
    const c = i + 1;
    return c < this.offsets.length && this.parent[c] === i ? c : -1;
  }

  /** Child DIE numbers of `i`. */
  children(i: number): number[] {
    const out: number[] = [];
    for (let c = this.firstChild(i); c >= 0; c = this.next[c]) out.push(c);
    return out;
  }

  /** DIE number at absolute offset `offset`, or -1. */
  indexOf(offset: number): number {
    const a = this.offsets;
    let lo = 0;
    let hi = a.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = a[mid];
      if (v === offset) return mid;
      if (v < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }
}

/** One unit of `.debug_info` (compile, partial or type unit). */
export class Unit implements ListUnit {
  /** Position in the file's unit list. */
  readonly index: number;
  /** Offset of the unit header. */
  readonly offset: number;
  /** Offset one past the unit's last byte. */
  readonly end: number;
  readonly version: number;
  readonly unitType: number;
  readonly addrSize: number;
  readonly offsetSize: number;
  readonly abbrevOffset: number;
  /** Offset of the unit DIE. */
  readonly dieOffset: number;
  readonly sections: DwarfSections & ListSections;
  readonly abbrevs: AbbrevTable;

  strOffsetsBase = 0;
  addrBase = 0;
  /** Type units: the type signature and the absolute offset of the type's DIE. */
  typeSignature: bigint | undefined;
  typeOffset = 0;
  rnglistsBase = 0;
  loclistsBase = 0;
  baseAddress = 0;

  /** Unit DIE attributes (filled by {@link readUnitDie}). */
  tag = 0;
  name = "";
  compDir = "";
  producer = "";
  language = 0;
  stmtList = -1;
  lowPc = 0;
  /** Flat [lo, hi) pairs covered by the unit, from low/high pc or DW_AT_ranges. */
  ranges: number[] = [];

  private tree: DieTree | undefined;

  constructor(
    index: number,
    offset: number,
    end: number,
    version: number,
    unitType: number,
    addrSize: number,
    offsetSize: number,
    abbrevOffset: number,
    dieOffset: number,
    sections: DwarfSections,
    abbrevs: AbbrevTable,
  ) {
    this.index = index;
    this.offset = offset;
    this.end = end;
    this.version = version;
    this.unitType = unitType;
    this.addrSize = addrSize;
    this.offsetSize = offsetSize;
    this.abbrevOffset = abbrevOffset;
    this.dieOffset = dieOffset;
    this.sections = sections;
    this.abbrevs = abbrevs;
  }

  /** The unit's DIE tree, parsed on first use. */
  dies(): DieTree {
    if (!this.tree) this.tree = parseDieTree(this);
    return this.tree;
  }

  /** True once {@link dies} has been called. */
  get parsed(): boolean {
    return this.tree !== undefined;
  }

  /** Abbreviation for the code at `pos`, moving `r` past the code. Undefined for a null entry. */
  abbrevAt(r: Reader): Abbrev | undefined {
    const code = r.uleb();
    if (code === 0) return undefined;
    const a = this.abbrevs.get(code);
    if (!a) corrupt(`unknown abbreviation code ${code} at 0x${(r.pos - 1).toString(16)}`);
    return a;
  }
}

/** Skips all attributes of a DIE with abbreviation `a`. */
export function skipAttrs(r: Reader, a: Abbrev, u: Unit): void {
  const fixed = a.fixedSize(u.addrSize, u.offsetSize, u.version);
  if (fixed >= 0) {
    r.pos += fixed;
    return;
  }
  const forms = a.forms;
  for (let i = 0; i < forms.length; i++) skipForm(r, forms[i], u);
}

/**
 * Reads attribute `at` of the DIE whose attributes start at `attrPos` (abbreviation `a`).
 * Returns undefined when absent.
 */
export function readAttrAt(u: Unit, attrPos: number, a: Abbrev, at: number): Attr | undefined {
  const names = a.names;
  const idx = names.indexOf(at);
  if (idx < 0) return undefined;
  const r = new Reader(u.sections.info, attrPos);
  const forms = a.forms;
  for (let i = 0; i < idx; i++) skipForm(r, forms[i], u);
  const form = forms[idx];
  return { form, value: readForm(r, form, u, a.implicit ? a.implicit[idx] : 0) };
}

/** Reads every attribute of a DIE into a map keyed by attribute name. */
export function readAllAttrs(u: Unit, attrPos: number, a: Abbrev): Map<number, Attr> {
  const out = new Map<number, Attr>();
  const r = new Reader(u.sections.info, attrPos);
  const names = a.names;
  const forms = a.forms;
  for (let i = 0; i < names.length; i++) {
    const form = forms[i];
    out.set(names[i], { form, value: readForm(r, form, u, a.implicit ? a.implicit[i] : 0) });
  }
  return out;
}

/** Parses one unit header at `offset`; abbreviation tables are shared through `abbrevCache`. */
export function parseUnitHeader(
  sections: DwarfSections,
  offset: number,
  index: number,
  abbrevCache: Map<number, AbbrevTable>,
): Unit {
  const info = sections.info;
  const r = new Reader(info, offset);
  if (offset + 4 > info.length) corrupt(`truncated unit header at 0x${offset.toString(16)}`);
  const { length, offsetSize } = r.initialLength();
  const end = r.pos + length;
  if (end > info.length) {
    corrupt(
      `unit at 0x${offset.toString(16)} claims ${length} bytes but .debug_info has only ${
        info.length - r.pos
      } left`,
    );
  }
  const version = r.u16();
  if (version < 2 || version > 5) {
    corrupt(`unsupported DWARF version ${version} in unit at 0x${offset.toString(16)}`);
  }
  let unitType = C.DW_UT_compile;
  let addrSize: number;
  let abbrevOffset: number;
  let typeSignature: bigint | undefined;
  let typeOffset = 0;
  if (version >= 5) {
    unitType = r.u8();
    addrSize = r.u8();
    abbrevOffset = r.offset(offsetSize);
    switch (unitType) {
      case C.DW_UT_skeleton:
      case C.DW_UT_split_compile:
        r.skip(8);
        break;
      case C.DW_UT_type:
      case C.DW_UT_split_type:
        typeSignature = r.u64big();
        typeOffset = r.offset(offsetSize);
        break;
    }
  } else {
    abbrevOffset = r.offset(offsetSize);
    addrSize = r.u8();
  }
  if (addrSize !== 4 && addrSize !== 8) {
    corrupt(`unit at 0x${offset.toString(16)} has address size ${addrSize}`);
  }
  let abbrevs = abbrevCache.get(abbrevOffset);
  if (!abbrevs) {
    abbrevs = parseAbbrevTable(sections.abbrev, abbrevOffset);
    abbrevCache.set(abbrevOffset, abbrevs);
  }
  const u = new Unit(
    index,
    offset,
    end,
    version,
    unitType,
    addrSize,
    offsetSize,
    abbrevOffset,
    r.pos,
    sections,
    abbrevs,
  );
  if (typeSignature !== undefined) {
    u.typeSignature = typeSignature;
    u.typeOffset = offset + typeOffset;
  }
  if (version >= 5) {
    if (sections.strOffsets) u.strOffsetsBase = offsetSize === 8 ? 16 : 8;
    if (sections.addr) u.addrBase = offsetSize === 8 ? 16 : 8;
  }
  readUnitDie(u);
  return u;
}

/** Reads the unit DIE: bases first (strx/addrx/rnglistx depend on them), then the rest. */
function readUnitDie(u: Unit): void {
  const r = new Reader(u.sections.info, u.dieOffset);
  const a = u.abbrevAt(r);
  if (!a) return;
  u.tag = a.tag;
  const start = r.pos;
  const names = a.names;
  const forms = a.forms;
  // Pass 1: the base attributes.
  for (let i = 0; i < names.length; i++) {
    const at = names[i];
    if (
      at === C.DW_AT_str_offsets_base || at === C.DW_AT_addr_base ||
      at === C.DW_AT_GNU_addr_base || at === C.DW_AT_rnglists_base ||
      at === C.DW_AT_loclists_base || at === C.DW_AT_low_pc
    ) {
      if (at === C.DW_AT_low_pc) {
        // low_pc may be an addrx: read it after the bases.
        skipForm(r, forms[i], u);
        continue;
      }
      const v = readForm(r, forms[i], u) as number;
      if (at === C.DW_AT_str_offsets_base) u.strOffsetsBase = v;
      else if (at === C.DW_AT_addr_base || at === C.DW_AT_GNU_addr_base) u.addrBase = v;
      else if (at === C.DW_AT_rnglists_base) u.rnglistsBase = v;
      else u.loclistsBase = v;
    } else {
      skipForm(r, forms[i], u);
    }
  }
  // Pass 2: everything else.
  r.pos = start;
  let highPc: Attr | undefined;
  let ranges: Attr | undefined;
  for (let i = 0; i < names.length; i++) {
    const at = names[i];
    const form = forms[i];
    switch (at) {
      case C.DW_AT_name:
        u.name = String(readForm(r, form, u));
        break;
      case C.DW_AT_comp_dir:
        u.compDir = String(readForm(r, form, u));
        break;
      case C.DW_AT_producer:
        u.producer = String(readForm(r, form, u));
        break;
      case C.DW_AT_language:
        u.language = Number(readForm(r, form, u, a.implicit ? a.implicit[i] : 0));
        break;
      case C.DW_AT_stmt_list:
        u.stmtList = Number(readForm(r, form, u));
        break;
      case C.DW_AT_low_pc:
        u.lowPc = Number(readForm(r, form, u));
        break;
      case C.DW_AT_high_pc:
        highPc = { form, value: readForm(r, form, u, a.implicit ? a.implicit[i] : 0) };
        break;
      case C.DW_AT_ranges:
        ranges = { form, value: readForm(r, form, u) };
        break;
      default:
        skipForm(r, form, u);
    }
  }
  u.baseAddress = u.lowPc;
  if (ranges) {
    u.ranges = readRanges(u, ranges.value as number, ranges.form);
  } else if (highPc) {
    const hi = highPc.form === C.DW_FORM_addr || highPc.form === C.DW_FORM_addrx ||
        (highPc.form >= C.DW_FORM_addrx1 && highPc.form <= C.DW_FORM_addrx4)
      ? highPc.value as number
      : u.lowPc + (highPc.value as number);
    if (validRange(u.lowPc, hi, u.addrSize)) u.ranges = [u.lowPc, hi];
  }
}

/** Walks all DIEs of a unit into a {@link DieTree}. */
function parseDieTree(u: Unit): DieTree {
  const t = new DieTree();
  const r = new Reader(u.sections.info, u.dieOffset);
  const end = u.end;
  const stackParent: number[] = [];
  const stackPrev: number[] = [];
  let parent = -1;
  let prev = -1;
  const { offsets, attrPos, abbrevs, parent: parents, next } = t;
  const addrSize = u.addrSize;
  const offsetSize = u.offsetSize;
  const version = u.version;
  while (r.pos < end) {
    const dieOffset = r.pos;
    const code = r.uleb();
    if (code === 0) {
      if (stackParent.length === 0) continue; // padding after the unit DIE
      parent = stackParent.pop()!;
      prev = stackPrev.pop()!;
      continue;
    }
    const a = u.abbrevs.get(code);
    if (!a) corrupt(`unknown abbreviation code ${code} at 0x${dieOffset.toString(16)}`);
    const idx = offsets.length;
    offsets.push(dieOffset);
    attrPos.push(r.pos);
    abbrevs.push(a);
    parents.push(parent);
    next.push(-1);
    if (prev >= 0) next[prev] = idx;
    const fixed = a.fixedSize(addrSize, offsetSize, version);
    if (fixed >= 0) r.pos += fixed;
    else {
      const forms = a.forms;
      for (let i = 0; i < forms.length; i++) skipForm(r, forms[i], u);
    }
    if (a.hasChildren) {
      stackParent.push(parent);
      stackPrev.push(idx);
      parent = idx;
      prev = -1;
    } else {
      prev = idx;
    }
    if (parent === -1 && idx === 0 && !a.hasChildren) break;
  }
  if (r.pos > end) corrupt(`DIEs of unit at 0x${u.offset.toString(16)} run past its end`);
  return t;
}
