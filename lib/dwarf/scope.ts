/**
 * Scopes at a pc: the subprogram → lexical block / inlined subroutine chain, variables visible
 * there with their location plans, function details (entry and post-prologue addresses).
 * @module
 */

import * as C from "./constants.ts";
import {
  evaluateLocation,
  evaluateValue,
  type ExprContext,
  type LocationPlan,
  type Node,
  plus,
  regName,
  type Symbolic,
} from "./expr.ts";
import type { DieRef, DwarfFile } from "./file.ts";
import { isBlockForm, isConstantForm } from "./forms.ts";
import { ROW_END_SEQUENCE, ROW_PROLOGUE_END, ROW_STMT } from "./line.ts";
import { readLocList } from "./lists.ts";
import { describeType, type DwarfType, type TypeResolver } from "./types.ts";
import type { Attr, Unit } from "./unit.ts";

/** Where a variable is declared. */
export type VariableKind = "parameter" | "local" | "static-local" | "global";

/** A variable visible at a pc (or a global), with its type and location plan. */
export interface VariableInfo {
  name: string;
  kind: VariableKind;
  type: DwarfType;
  /** C spelling of the type (`const char *`). */
  typeName: string;
  location: LocationPlan;
  /** Declaring file (full path) and line, when recorded. */
  declFile?: string;
  declLine?: number;
  /** True for `extern`-visible globals (DW_AT_external). */
  external?: boolean;
  /** Scope depth: 0 = innermost block at the pc; globals have -1. */
  depth: number;
  dieOffset: number;
}

/** Unit DIE summary. */
export interface CompileUnitInfo {
  offset: number;
  version: number;
  unitType: number;
  name: string;
  compDir: string;
  producer: string;
  language: number;
  /** Flat [lo, hi) pairs covered by the unit. */
  ranges: number[];
}

/** An out-of-line function. */
export interface FunctionInfo {
  name: string;
  linkageName?: string;
  /** Lowest address (DW_AT_low_pc or lowest range start). */
  lowPc: number;
  /** Code ranges as flat [lo, hi) pairs. */
  ranges: number[];
  /** Entry address: DW_AT_low_pc, or the first range's start (gdb's block entry). */
  entry: number;
  /**
   * Address after the prologue, where gdb's `break func` stops: the first row marked
   * prologue_end; else, for optimized GCC units (those with location lists, where gdb trusts
   * locations at the entry), the entry; else the address of the function's second line-table
   * address (the end of the line holding the entry).
   */
  postPrologue: number;
  external: boolean;
  declFile?: string;
  declLine?: number;
  unit: CompileUnitInfo;
  dieOffset: number;
}

/** An inlined copy of a function. */
export interface InlinedInstance {
  name: string;
  /** Where gdb's `break name` stops: low_pc or the first range's start. */
  entry: number;
  /** DW_AT_entry_pc as recorded by the compiler (may differ from {@link entry}). */
  declaredEntry?: number;
  ranges: number[];
  callFile?: string;
  callLine?: number;
  /** The out-of-line function the copy was inlined into. */
  caller?: string;
  dieOffset: number;
}

/** Child tags that give a lexical block a symbol of its own (so gdb makes it a block). */
const SYMBOL_TAGS = new Set([
  C.DW_TAG_variable,
  C.DW_TAG_formal_parameter,
  C.DW_TAG_label,
  C.DW_TAG_typedef,
  C.DW_TAG_structure_type,
  C.DW_TAG_union_type,
  C.DW_TAG_class_type,
  C.DW_TAG_enumeration_type,
  C.DW_TAG_subprogram,
]);

const SCOPE_TAGS = new Set([
  C.DW_TAG_subprogram,
  C.DW_TAG_lexical_block,
  C.DW_TAG_inlined_subroutine,
]);

/** Summary of a unit. */
export function unitInfo(u: Unit): CompileUnitInfo {
  return {
    offset: u.offset,
    version: u.version,
    unitType: u.unitType,
    name: u.name,
    compDir: u.compDir,
    producer: u.producer,
    language: u.language,
    ranges: u.ranges,
  };
}

/** Shared machinery for scope queries over one {@link DwarfFile}. */
export class Scopes {
  private readonly fnTables = new WeakMap<Unit, { lo: number[]; hi: number[]; idx: number[] }>();
  private readonly optimized = new WeakMap<Unit, boolean>();
  private readonly rangeCache = new WeakMap<Unit, Map<number, number[]>>();

  constructor(readonly file: DwarfFile, readonly types: TypeResolver) {}

  /** Ranges of DIE `i` of `unit` (cached). */
  ranges(unit: Unit, i: number): number[] {
    let m = this.rangeCache.get(unit);
    if (!m) {
      m = new Map();
      this.rangeCache.set(unit, m);
    }
    let r = m.get(i);
    if (!r) {
      r = this.file.pcRanges({ unit, i });
      m.set(i, r);
    }
    return r;
  }

  private contains(unit: Unit, i: number, pc: number): boolean {
    const r = this.ranges(unit, i);
    for (let k = 0; k < r.length; k += 2) if (pc >= r[k] && pc < r[k + 1]) return true;
    return false;
  }

  /** Sorted table of the unit's out-of-line subprograms (including nested ones). */
  private functionTable(unit: Unit): { lo: number[]; hi: number[]; idx: number[] } {
    let t = this.fnTables.get(unit);
    if (t) return t;
    const tree = unit.dies();
    const rows: [number, number, number][] = [];
    for (let i = 0; i < tree.count; i++) {
      if (tree.abbrevs[i].tag !== C.DW_TAG_subprogram) continue;
      if (!this.file.hasPcInfo({ unit, i })) continue;
      const r = this.ranges(unit, i);
      for (let k = 0; k < r.length; k += 2) rows.push([r[k], r[k + 1], i]);
    }
    rows.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    t = { lo: rows.map((x) => x[0]), hi: rows.map((x) => x[1]), idx: rows.map((x) => x[2]) };
    this.fnTables.set(unit, t);
    return t;
  }

  /** The outermost out-of-line subprogram of `unit` containing `pc`, or -1. */
  functionIndexAt(unit: Unit, pc: number): number {
    const t = this.functionTable(unit);
    let a = 0;
    let b = t.lo.length - 1;
    let best = -1;
    while (a <= b) {
      const mid = (a + b) >>> 1;
      if (t.lo[mid] <= pc) {
        best = mid;
        a = mid + 1;
      } else b = mid - 1;
    }
    let found = -1;
    for (let k = best; k >= 0 && k > best - 64; k--) {
      if (pc >= t.lo[k] && pc < t.hi[k]) {
        const i = t.idx[k];
        // Prefer the outermost (nested GNU C functions sit inside their parent).
        if (found < 0 || this.isAncestor(unit, i, found)) found = i;
      }
    }
    return found;
  }

  private isAncestor(unit: Unit, a: number, b: number): boolean {
    const parent = unit.dies().parent;
    for (let p = parent[b]; p >= 0; p = parent[p]) if (p === a) return true;
    return false;
  }

  /**
   * The scope chain at `pc`: DIE numbers from the outermost subprogram to the innermost block
   * (subprogram / lexical block / inlined subroutine) containing pc. Empty when none.
   */
  chainAt(unit: Unit, pc: number): number[] {
    const fn = this.functionIndexAt(unit, pc);
    if (fn < 0) return [];
    const chain = [fn];
    let cur = fn;
    for (let guard = 0; guard < 256; guard++) {
      const next = this.childBlockAt(unit, cur, pc);
      if (next < 0) break;
      chain.push(next);
      cur = next;
    }
    return chain;
  }

  private childBlockAt(unit: Unit, parent: number, pc: number): number {
    const tree = unit.dies();
    for (let c = tree.firstChild(parent); c >= 0; c = tree.next[c]) {
      const tag = tree.abbrevs[c].tag;
      if (!SCOPE_TAGS.has(tag)) continue;
      if (this.file.hasPcInfo({ unit, i: c })) {
        if (this.contains(unit, c, pc)) return c;
      } else if (tag === C.DW_TAG_lexical_block) {
        // A block without pc info: gdb treats its children as part of the enclosing block.
        const inner = this.childBlockAt(unit, c, pc);
        if (inner >= 0) return inner;
      }
    }
    return -1;
  }

  /** True when the unit has location lists (gdb then trusts locations at function entry). */
  unitOptimized(unit: Unit): boolean {
    let v = this.optimized.get(unit);
    if (v !== undefined) return v;
    v = false;
    const seen = new Set<unknown>();
    for (const a of unit.dies().abbrevs) {
      if (seen.has(a)) continue;
      seen.add(a);
      const k = a.names.indexOf(C.DW_AT_location);
      if (k < 0) continue;
      const form = a.forms[k];
      if (
        form === C.DW_FORM_sec_offset || form === C.DW_FORM_loclistx ||
        (unit.version < 4 && (form === C.DW_FORM_data4 || form === C.DW_FORM_data8))
      ) {
        v = true;
        break;
      }
    }
    this.optimized.set(unit, v);
    return v;
  }

  /** Details of the out-of-line function DIE `i` of `unit`. */
  functionInfo(unit: Unit, i: number): FunctionInfo {
    const f = this.file;
    const d = { unit, i };
    const ranges = this.ranges(unit, i);
    let lowPc = ranges.length ? ranges[0] : 0;
    for (let k = 0; k < ranges.length; k += 2) lowPc = Math.min(lowPc, ranges[k]);
    const entry = f.entryPc(d, ranges) ?? lowPc;
    const link = f.attrFollow(d, C.DW_AT_linkage_name) ??
      f.attrFollow(d, C.DW_AT_MIPS_linkage_name);
    return {
      name: f.name(d) ?? "<anonymous>",
      linkageName: link && typeof link.value === "string" ? link.value : undefined,
      lowPc,
      ranges,
      entry,
      postPrologue: this.postPrologue(unit, entry, ranges),
      external: f.flag(d, C.DW_AT_external),
      ...this.declOf(d),
      unit: unitInfo(unit),
      dieOffset: f.offsetOf(d),
    };
  }

  /** Declaring file and line of a DIE (following origins). */
  declOf(d: DieRef): { declFile?: string; declLine?: number } {
    const f = this.file;
    const line = f.num(d, C.DW_AT_decl_line);
    const fileAttr = f.attrFollow(d, C.DW_AT_decl_file);
    let declFile: string | undefined;
    if (fileAttr && typeof fileAttr.value === "number") {
      // decl_file indexes the line table of the unit holding the attribute.
      const holder = this.holderOf(d, C.DW_AT_decl_file) ?? d;
      const lp = f.lineProgram(holder.unit);
      if (lp && fileAttr.value < lp.fileCount) declFile = lp.filePath(fileAttr.value);
    }
    return { declFile, declLine: line };
  }

  /** The DIE (d or one of its origins) that carries attribute `at`. */
  holderOf(d: DieRef, at: number): DieRef | undefined {
    const f = this.file;
    let cur: DieRef | undefined = d;
    for (let k = 0; cur && k < 8; k++) {
      if (f.has(cur, at)) return cur;
      cur = f.ref(cur, C.DW_AT_abstract_origin) ?? f.ref(cur, C.DW_AT_specification);
    }
    return undefined;
  }

  /** The gdb-like post-prologue address of a function (see {@link FunctionInfo.postPrologue}). */
  postPrologue(unit: Unit, entry: number, ranges: number[]): number {
    const lp = this.file.lineProgram(unit);
    if (!lp) return entry;
    const rows = lp.rows();
    let hi = entry;
    for (let k = 0; k < ranges.length; k += 2) {
      if (entry >= ranges[k] && entry < ranges[k + 1]) hi = ranges[k + 1];
    }
    let second = -1;
    let prologueEnd = -1;
    for (let r = 0; r < rows.count; r++) {
      const a = rows.address[r];
      if (a < entry || a >= hi || (rows.flags[r] & ROW_END_SEQUENCE)) continue;
      if ((rows.flags[r] & ROW_PROLOGUE_END) && (prologueEnd < 0 || a < prologueEnd)) {
        prologueEnd = a;
      }
      if (a > entry && (rows.flags[r] & ROW_STMT) && (second < 0 || a < second)) second = a;
    }
    if (prologueEnd >= 0) return prologueEnd;
    if (this.unitOptimized(unit) && /^GNU /.test(unit.producer)) return entry;
    return second >= 0 ? second : entry;
  }

  /** The canonical frame address at `pc`, symbolically. */
  cfaAt(unit: Unit, pc: number): Symbolic {
    const row = this.file.frames.rowAt(pc);
    if (!row) {
      return {
        error: this.file.frames.available
          ? `no call frame information covers 0x${pc.toString(16)}`
          : "no .eh_frame or .debug_frame section",
      };
    }
    if (row.cfa.kind === "reg-offset") {
      const node: Node = plus({ t: "reg", reg: row.cfa.reg }, {
        t: "const",
        v: BigInt(row.cfa.offset),
      });
      return {
        node,
        text: `${regName(row.cfa.reg)}${row.cfa.offset >= 0 ? "+" : ""}${row.cfa.offset}`,
      };
    }
    return evaluateValue(row.cfa.expr, { unit, pc });
  }

  /** Expression context for locations inside out-of-line function `fn` at `pc`. */
  context(unit: Unit, fn: number, pc: number): ExprContext {
    const f = this.file;
    const d = { unit, i: fn };
    let entry: number | undefined;
    let fb: Symbolic | undefined;
    let cfa: Symbolic | undefined;
    const ctx: ExprContext = {
      unit,
      pc,
      cfa: () => cfa ??= this.cfaAt(unit, pc),
      frameBase: () => {
        if (fb) return fb;
        const a = f.attr(d, C.DW_AT_frame_base);
        if (!a) return fb = { error: "function has no DW_AT_frame_base" };
        const expr = this.exprAt(unit, a, pc);
        if (!expr) return fb = { error: "frame base not available at this pc" };
        return fb = evaluateValue(expr, { ...ctx, frameBase: undefined });
      },
    };
    if (fn >= 0) {
      entry = f.entryPc(d, this.ranges(unit, fn));
      ctx.functionEntry = entry;
    }
    return ctx;
  }

  /** The expression of a location-class attribute at `pc` (list entries selected), if any. */
  exprAt(unit: Unit, a: Attr, pc: number): Uint8Array | undefined {
    if (isBlockForm(a.form)) return a.value as Uint8Array;
    if (
      a.form === C.DW_FORM_sec_offset || a.form === C.DW_FORM_loclistx ||
      (unit.version < 4 && (a.form === C.DW_FORM_data4 || a.form === C.DW_FORM_data8))
    ) {
      for (const e of readLocList(unit, a.value as number, a.form)) {
        if (pc >= e.lo && pc < e.hi) return e.expr;
      }
    }
    return undefined;
  }

  /** Location plan of variable DIE `d` at `pc`. */
  locationOf(d: DieRef, ctx: ExprContext): LocationPlan {
    const f = this.file;
    const loc = f.attr(d, C.DW_AT_location);
    if (loc) {
      const expr = this.exprAt(d.unit, loc, ctx.pc);
      if (!expr) {
        return isBlockForm(loc.form) ? { kind: "optimized-out", text: "<optimized out>" } : {
          kind: "optimized-out",
          text: "<optimized out> (no location list entry covers this pc)",
        };
      }
      return evaluateLocation(expr, ctx);
    }
    const cv = f.attrFollow(d, C.DW_AT_const_value);
    if (cv) return constPlan(cv);
    return { kind: "optimized-out", text: "<optimized out>" };
  }

  /** Builds a {@link VariableInfo}. */
  variable(d: DieRef, kind: VariableKind, depth: number, ctx: ExprContext): VariableInfo {
    const f = this.file;
    const type = this.types.typeOf(d);
    const location = this.locationOf(d, ctx);
    return {
      name: f.name(d) ?? "",
      kind,
      type,
      typeName: describeType(type),
      location,
      ...this.declOf(d),
      external: f.flag(d, C.DW_AT_external) || undefined,
      depth,
      dieOffset: f.offsetOf(d),
    };
  }

  /**
   * Variable DIEs of scope `block`: its formal parameters and variables plus those of nested
   * lexical blocks that have no pc info (which gdb folds into the enclosing block). When the
   * block is a concrete instance (DW_AT_abstract_origin), variables of the abstract block that
   * have no concrete counterpart are included too (gdb shows them as optimized out).
   */
  scopeVariables(unit: Unit, block: number): DieRef[] {
    const out: DieRef[] = [];
    const concreteOrigins = new Set<number>();
    this.collectVariables(unit, block, out, concreteOrigins);
    const origin = this.file.ref({ unit, i: block }, C.DW_AT_abstract_origin);
    if (origin) this.inheritAbstract(origin.unit, origin.i, out, concreteOrigins, 0);
    return out;
  }

  /**
   * Variables of abstract scope `i` that the concrete instance does not describe, including
   * those of abstract lexical blocks without a concrete counterpart (gdb's inherit_abstract_dies:
   * such blocks have no pc range, so their variables belong to the enclosing block).
   */
  private inheritAbstract(
    unit: Unit,
    i: number,
    out: DieRef[],
    concrete: Set<number>,
    depth: number,
  ): void {
    if (depth > 32) return;
    const tree = unit.dies();
    for (let c = tree.firstChild(i); c >= 0; c = tree.next[c]) {
      const tag = tree.abbrevs[c].tag;
      if (concrete.has(tree.offsets[c])) continue;
      if (tag === C.DW_TAG_formal_parameter || tag === C.DW_TAG_variable) out.push({ unit, i: c });
      else if (tag === C.DW_TAG_lexical_block) {
        this.inheritAbstract(unit, c, out, concrete, depth + 1);
      }
    }
  }

  private collectVariables(unit: Unit, block: number, out: DieRef[], origins: Set<number>): void {
    const tree = unit.dies();
    for (let c = tree.firstChild(block); c >= 0; c = tree.next[c]) {
      const tag = tree.abbrevs[c].tag;
      const d = { unit, i: c };
      if (tag === C.DW_TAG_formal_parameter || tag === C.DW_TAG_variable) out.push(d);
      const names = tree.abbrevs[c].names;
      if (names.indexOf(C.DW_AT_abstract_origin) >= 0) {
        const o = this.file.attr(d, C.DW_AT_abstract_origin);
        if (o && typeof o.value === "number") origins.add(o.value);
      }
      if (tag === C.DW_TAG_lexical_block && !this.file.hasPcInfo(d)) {
        this.collectVariables(unit, c, out, origins);
      }
    }
  }

  /**
   * True when gdb would make a block of DIE `i`: subprograms and inlined subroutines always,
   * lexical blocks only when they declare something (variables, types, labels, ...).
   */
  isScope(unit: Unit, i: number): boolean {
    const tree = unit.dies();
    if (tree.abbrevs[i].tag !== C.DW_TAG_lexical_block) return true;
    if (this.declares(unit, i)) return true;
    const origin = this.file.ref({ unit, i }, C.DW_AT_abstract_origin);
    return origin !== undefined && this.declares(origin.unit, origin.i);
  }

  private declares(unit: Unit, i: number): boolean {
    const tree = unit.dies();
    for (let c = tree.firstChild(i); c >= 0; c = tree.next[c]) {
      const tag = tree.abbrevs[c].tag;
      if (SYMBOL_TAGS.has(tag)) return true;
      if (
        tag === C.DW_TAG_lexical_block && !this.file.hasPcInfo({ unit, i: c }) &&
        this.declares(unit, c)
      ) {
        return true;
      }
    }
    return false;
  }

  /** Inlined copies of the abstract function DIE at `abstractOffset` within `unit`. */
  inlinedInstances(unit: Unit, abstractOffset: number): InlinedInstance[] {
    const f = this.file;
    const tree = unit.dies();
    const out: InlinedInstance[] = [];
    for (let i = 0; i < tree.count; i++) {
      if (tree.abbrevs[i].tag !== C.DW_TAG_inlined_subroutine) continue;
      const d = { unit, i };
      const o = f.attr(d, C.DW_AT_abstract_origin);
      if (!o || o.value !== abstractOffset) continue;
      const ranges = this.ranges(unit, i);
      if (!ranges.length) continue;
      const entry = f.entryPc(d, ranges) ?? ranges[0];
      const callFileIdx = f.num(d, C.DW_AT_call_file, false);
      const lp = f.lineProgram(unit);
      let caller: string | undefined;
      for (let p = tree.parent[i]; p >= 0; p = tree.parent[p]) {
        if (tree.abbrevs[p].tag === C.DW_TAG_subprogram) {
          caller = f.name({ unit, i: p });
          break;
        }
      }
      out.push({
        name: f.name(d) ?? "",
        entry,
        declaredEntry: f.declaredEntryPc(d),
        ranges,
        callFile: lp && callFileIdx !== undefined && callFileIdx < lp.fileCount
          ? lp.filePath(callFileIdx)
          : undefined,
        callLine: f.num(d, C.DW_AT_call_line, false),
        caller,
        dieOffset: f.offsetOf(d),
      });
    }
    return out;
  }
}

/** Plan for a DW_AT_const_value. */
export function constPlan(cv: Attr): LocationPlan {
  if (typeof cv.value === "number") {
    const v = BigInt(cv.value);
    return { kind: "value", steps: [{ op: "const", value: v }], rebase: false, text: `value ${v}` };
  }
  if (cv.value instanceof Uint8Array && isBlockForm(cv.form) || cv.form === C.DW_FORM_data16) {
    const b = cv.value as Uint8Array;
    if (b.length <= 8) {
      let v = 0n;
      for (let k = b.length - 1; k >= 0; k--) v = (v << 8n) | BigInt(b[k]);
      return {
        kind: "value",
        steps: [{ op: "const", value: v }],
        rebase: false,
        text: `value ${v}`,
      };
    }
    return {
      kind: "unsupported",
      reason: `constant of ${b.length} bytes`,
      text: `<unsupported: constant of ${b.length} bytes>`,
    };
  }
  if (isConstantForm(cv.form)) {
    return { kind: "value", steps: [{ op: "const", value: 0n }], rebase: false, text: "value 0" };
  }
  return {
    kind: "unsupported",
    reason: "non-numeric constant value",
    text: "<unsupported: constant>",
  };
}
