/**
 * The DWARF data of one module: unit list (headers scanned once, cheaply), DIE references and
 * attribute helpers that follow DW_AT_abstract_origin / DW_AT_specification, pc ranges, line
 * programs and the pc → unit map. Everything is computed on first use and cached.
 * @module
 */

import type { AbbrevTable } from "./abbrev.ts";
import { CallFrames } from "./cfa.ts";
import * as C from "./constants.ts";
import { isConstantForm, isLocalRefForm } from "./forms.ts";
import { LineProgram } from "./line.ts";
import { readRanges, validRange } from "./lists.ts";
import { corrupt, Reader } from "./reader.ts";
import { type Attr, type DwarfSections, parseUnitHeader, readAttrAt, type Unit } from "./unit.ts";

/** A DIE: its unit and its number in the unit's {@link DieTree}. */
export interface DieRef {
  unit: Unit;
  i: number;
}

/** Shared state for one module's DWARF. */
export class DwarfFile {
  readonly sections: DwarfSections;
  readonly frames: CallFrames;
  private unitList: Unit[] | undefined;
  private readonly abbrevCache = new Map<number, AbbrevTable>();
  private readonly lines = new Map<number, LineProgram | null>();
  private pcMap: { lo: Float64Array; hi: Float64Array; unit: Uint32Array } | undefined;
  private signatures: Map<bigint, Unit> | undefined;

  constructor(sections: DwarfSections) {
    if (!sections.info || !sections.abbrev) {
      corrupt("missing .debug_info or .debug_abbrev");
    }
    this.sections = sections;
    this.frames = new CallFrames(
      sections.ehFrame,
      sections.ehFrameAddr ?? 0,
      sections.debugFrame,
    );
  }

  /** All units, in section order (headers and unit DIEs only). */
  units(): Unit[] {
    if (this.unitList) return this.unitList;
    const out: Unit[] = [];
    const info = this.sections.info;
    let off = 0;
    while (off + 11 <= info.length) {
      const u = parseUnitHeader(this.sections, off, out.length, this.abbrevCache);
      out.push(u);
      off = u.end;
    }
    this.unitList = out;
    return out;
  }

  /** The unit containing `.debug_info` offset `offset`. */
  unitContaining(offset: number): Unit | undefined {
    const us = this.units();
    let lo = 0;
    let hi = us.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const u = us[mid];
      if (offset < u.offset) hi = mid - 1;
      else if (offset >= u.end) lo = mid + 1;
      else return u;
    }
    return undefined;
  }

  /** The DIE at absolute offset `offset` (parses its unit's tree). */
  die(offset: number): DieRef | undefined {
    const unit = this.unitContaining(offset);
    if (!unit) return undefined;
    const i = unit.dies().indexOf(offset);
    return i < 0 ? undefined : { unit, i };
  }

  tag(d: DieRef): number {
    return d.unit.dies().abbrevs[d.i].tag;
  }

  offsetOf(d: DieRef): number {
    return d.unit.dies().offsets[d.i];
  }

  /** Attribute `at` of the DIE itself (no origin following). */
  attr(d: DieRef, at: number): Attr | undefined {
    const t = d.unit.dies();
    return readAttrAt(d.unit, t.attrPos[d.i], t.abbrevs[d.i], at);
  }

  /** True when the DIE's abbreviation lists `at`. */
  has(d: DieRef, at: number): boolean {
    return d.unit.dies().abbrevs[d.i].names.indexOf(at) >= 0;
  }

  /** The DIE referenced by attribute `at`, if any. */
  ref(d: DieRef, at: number): DieRef | undefined {
    const a = this.attr(d, at);
    if (!a || !isLocalRefForm(a.form)) return undefined;
    return this.die(a.value as number);
  }

  /** Attribute `at`, following DW_AT_abstract_origin and DW_AT_specification links. */
  attrFollow(d: DieRef, at: number): Attr | undefined {
    let cur: DieRef | undefined = d;
    for (let depth = 0; cur && depth < 8; depth++) {
      const a = this.attr(cur, at);
      if (a) return a;
      cur = this.ref(cur, C.DW_AT_abstract_origin) ?? this.ref(cur, C.DW_AT_specification);
    }
    return undefined;
  }

  /** DW_AT_name, following origins. */
  name(d: DieRef): string | undefined {
    const a = this.attrFollow(d, C.DW_AT_name);
    return a && typeof a.value === "string" ? a.value : undefined;
  }

  /** Numeric attribute value (constants, flags as 0/1), following origins. */
  num(d: DieRef, at: number, follow = true): number | undefined {
    const a = follow ? this.attrFollow(d, at) : this.attr(d, at);
    if (!a) return undefined;
    if (typeof a.value === "number") return a.value;
    if (typeof a.value === "boolean") return a.value ? 1 : 0;
    return undefined;
  }

  /** True for a flag attribute that is present and set, following origins. */
  flag(d: DieRef, at: number): boolean {
    const a = this.attrFollow(d, at);
    return a !== undefined && a.value !== false && a.value !== 0;
  }

  /** The DIE named by DW_AT_type, following origins; undefined means `void`. */
  typeRef(d: DieRef): DieRef | undefined {
    const a = this.attrFollow(d, C.DW_AT_type);
    if (!a) return undefined;
    if (a.form === C.DW_FORM_ref_sig8) return this.typeUnitDie(a.value as bigint);
    if (!isLocalRefForm(a.form)) return undefined;
    return this.die(a.value as number);
  }

  /** The type DIE of the type unit with signature `sig` (DWARF 5 type units in .debug_info). */
  typeUnitDie(sig: bigint): DieRef | undefined {
    if (!this.signatures) {
      this.signatures = new Map();
      for (const u of this.units()) {
        if (u.typeSignature !== undefined) this.signatures.set(u.typeSignature, u);
      }
    }
    const u = this.signatures.get(sig);
    return u ? this.die(u.typeOffset) : undefined;
  }

  /** For a declaration that only names a type unit (DW_AT_signature): that unit's type DIE. */
  signatureTarget(d: DieRef): DieRef | undefined {
    const a = this.attr(d, C.DW_AT_signature);
    return a && a.form === C.DW_FORM_ref_sig8 ? this.typeUnitDie(a.value as bigint) : undefined;
  }

  /** Code ranges of a DIE as flat [lo, hi) pairs (empty when it has none). */
  pcRanges(d: DieRef): number[] {
    const t = d.unit.dies();
    const a = t.abbrevs[d.i];
    const names = a.names;
    if (names.indexOf(C.DW_AT_ranges) >= 0) {
      const r = this.attr(d, C.DW_AT_ranges)!;
      return readRanges(d.unit, r.value as number, r.form);
    }
    if (names.indexOf(C.DW_AT_low_pc) < 0) return [];
    const lo = this.attr(d, C.DW_AT_low_pc)!.value as number;
    const h = this.attr(d, C.DW_AT_high_pc);
    if (!h) return validRange(lo, lo + 1, d.unit.addrSize) ? [lo, lo + 1] : [];
    const hi = isConstantForm(h.form) ? lo + (h.value as number) : (h.value as number);
    return validRange(lo, hi, d.unit.addrSize) ? [lo, hi] : [];
  }

  /** True when the DIE has DW_AT_low_pc or DW_AT_ranges. */
  hasPcInfo(d: DieRef): boolean {
    const names = d.unit.dies().abbrevs[d.i].names;
    return names.indexOf(C.DW_AT_low_pc) >= 0 || names.indexOf(C.DW_AT_ranges) >= 0;
  }

  /**
   * Entry pc the way gdb (through version 15) defines a block's entry: DW_AT_low_pc, else the
   * start of the first DW_AT_ranges entry. DW_AT_entry_pc is deliberately not used here (see
   * {@link declaredEntryPc}).
   */
  entryPc(d: DieRef, ranges?: number[]): number | undefined {
    const low = this.attr(d, C.DW_AT_low_pc);
    if (low && typeof low.value === "number" && low.value !== 0) return low.value;
    const rs = ranges ?? this.pcRanges(d);
    return rs.length ? rs[0] : undefined;
  }

  /** DW_AT_entry_pc (address, or DWARF 5 offset from the DIE's base), if present. */
  declaredEntryPc(d: DieRef): number | undefined {
    const e = this.attr(d, C.DW_AT_entry_pc);
    if (!e || typeof e.value !== "number") return undefined;
    if (isConstantForm(e.form)) {
      const lowAttr = this.attr(d, C.DW_AT_low_pc);
      const rs = this.pcRanges(d);
      const base = lowAttr ? lowAttr.value as number : rs.length ? Math.min(...lowsOf(rs)) : 0;
      return base + e.value;
    }
    return e.value !== 0 ? e.value : undefined;
  }

  /** The unit's line program (cached), or undefined when the unit has none. */
  lineProgram(u: Unit): LineProgram | undefined {
    if (u.stmtList < 0 || !this.sections.line) return undefined;
    let lp = this.lines.get(u.stmtList);
    if (lp === undefined) {
      lp = new LineProgram(u, u.stmtList);
      this.lines.set(u.stmtList, lp);
    }
    return lp ?? undefined;
  }

  /** The compile unit whose ranges contain `pc`. */
  unitForPc(pc: number): Unit | undefined {
    if (!this.pcMap) {
      const los: number[] = [];
      const his: number[] = [];
      const us: number[] = [];
      for (const u of this.units()) {
        for (let k = 0; k < u.ranges.length; k += 2) {
          los.push(u.ranges[k]);
          his.push(u.ranges[k + 1]);
          us.push(u.index);
        }
      }
      const order = los.map((_, i) => i).sort((a, b) => los[a] - los[b]);
      this.pcMap = {
        lo: Float64Array.from(order, (i) => los[i]),
        hi: Float64Array.from(order, (i) => his[i]),
        unit: Uint32Array.from(order, (i) => us[i]),
      };
    }
    const { lo, hi, unit } = this.pcMap;
    let a = 0;
    let b = lo.length - 1;
    let best = -1;
    while (a <= b) {
      const mid = (a + b) >>> 1;
      if (lo[mid] <= pc) {
        best = mid;
        a = mid + 1;
      } else b = mid - 1;
    }
    // Ranges of different units may nest oddly; look back a little.
    for (let k = best; k >= 0 && k > best - 16; k--) {
      if (pc >= lo[k] && pc < hi[k]) return this.units()[unit[k]];
    }
    return undefined;
  }

  /** Name of the DIE at `offset` (following origins) without building DIE trees. */
  quickName(offset: number, depth = 0): string | undefined {
    const unit = this.unitContaining(offset);
    if (!unit || depth > 8) return undefined;
    const r = new Reader(this.sections.info, offset);
    const a = unit.abbrevAt(r);
    if (!a) return undefined;
    const pos = r.pos;
    const n = readAttrAt(unit, pos, a, C.DW_AT_name);
    if (n && typeof n.value === "string") return n.value;
    const o = readAttrAt(unit, pos, a, C.DW_AT_abstract_origin) ??
      readAttrAt(unit, pos, a, C.DW_AT_specification);
    if (o && isLocalRefForm(o.form)) return this.quickName(o.value as number, depth + 1);
    return undefined;
  }
}

function lowsOf(rs: number[]): number[] {
  const out: number[] = [];
  for (let k = 0; k < rs.length; k += 2) out.push(rs[k]);
  return out;
}
