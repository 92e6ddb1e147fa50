/**
 * DWARF 4/5 reader for the tracer: functions, `file:line` addresses, variables in scope at a pc
 * with symbolic location plans, types, and CFA rules.
 *
 * ```ts
 * const dwarf = loadDwarf({ info, abbrev, str, lineStr, line, loclists, rnglists, ehFrame, ehFrameAddr });
 * const where = dwarf.lineAddresses("server.c", 212);      // gdb `break server.c:212` addresses
 * if (where.ok) for (const pc of where.addresses) dwarf.variablesAt(pc);
 * ```
 *
 * Everything is lazy: {@link loadDwarf} only stores the sections. The first query scans unit
 * headers; name queries skim top-level DIEs once (except `findFunctionAt`, which skims only the
 * unit holding the symbol's address when that unit alone decides the answer); a unit's full DIE
 * tree and line program are parsed only when a query needs that unit. "Not found" answers are result values (`ok: false`)
 * carrying what a caller needs to word the message; corrupt data throws a `UsageError`.
 *
 * Addresses are link-time (file) virtual addresses as `number`s; rebase at runtime.
 * @module
 */

import { type TypeKind, typesNamed } from "./type_names.ts";
import { UsageError } from "../errors.ts";
import type { CfaRow } from "./cfa.ts";
import * as C from "./constants.ts";
import { type DieRef, DwarfFile } from "./file.ts";
import { regName } from "./expr.ts";
import { isBlockForm } from "./forms.ts";
import { lineAddresses, type LineLookup } from "./lineaddr.ts";
import { type SourceFrame, sourceFramesAt } from "./pc_source.ts";
import {
  buildNameIndex,
  buildUnitNameIndex,
  type NameEntry,
  type NameIndex,
  NE_CODE,
  NE_DECLARATION,
  NE_DECLARED_INLINE,
  NE_INLINE,
  NE_LOCATION,
} from "./names.ts";
import {
  type CompileUnitInfo,
  type FunctionInfo,
  type InlinedInstance,
  Scopes,
  unitInfo,
  type VariableInfo,
  type VariableKind,
} from "./scope.ts";
import { closeNames } from "./suggest.ts";
import { type DwarfType, TypeResolver } from "./types.ts";
import type { DwarfSections } from "./unit.ts";

export type { DwarfSections } from "./unit.ts";
export type { CfaRow, CfaRule, RegRule } from "./cfa.ts";
export { CallFrames } from "./cfa.ts";
export type { SourceFrame, SourcePosition } from "./pc_source.ts";
export type { LineLocation, LineLookup } from "./lineaddr.ts";
export type {
  CompileUnitInfo,
  FunctionInfo,
  InlinedInstance,
  VariableInfo,
  VariableKind,
} from "./scope.ts";
export {
  type AluOp,
  type LocationPlan,
  type LocStep,
  ptRegsOffset,
  regName,
  type RegPiece,
  X86_64_REGS,
} from "./expr.ts";
export {
  type BaseEncoding,
  describeType,
  type DwarfType,
  isSigned,
  type Member,
  type MemberLookup,
  memberNames,
  memberOf,
  stripType,
  typeSize,
} from "./types.ts";
export { closeNames } from "./suggest.ts";
export type { TypeKind } from "./type_names.ts";

/** Result of {@link DwarfInfo.findFunction}. */
export type FunctionLookup =
  | {
    ok: true;
    /** Out-of-line definitions (several for same-named `static` functions). */
    functions: FunctionInfo[];
    /** Inlined copies (of functions declared `inline` in the same unit). */
    inlined: InlinedInstance[];
  }
  | { ok: false; reason: "not-found"; name: string; suggestions: string[] };

/** Result of {@link DwarfInfo.variablesAt}. */
export type ScopeLookup =
  | {
    ok: true;
    pc: number;
    /** The out-of-line function containing pc. */
    function: FunctionInfo;
    /** Inlined functions containing pc, innermost first (empty when not in inlined code). */
    inlineChain: string[];
    /**
     * Parameters and locals visible at pc, innermost scope first; an inner name hides outer ones.
     * Inside inlined code only the inlined function's own variables are visible (like gdb).
     */
    variables: VariableInfo[];
    /** Globals defined in pc's compile unit (not hidden by a local). */
    globals: VariableInfo[];
  }
  | { ok: false; reason: "no-debug-info" | "no-function"; pc: number };

/** Result of {@link DwarfInfo.globalVariable}. */
export type GlobalLookup =
  | { ok: true; variables: VariableInfo[] }
  | { ok: false; reason: "declaration-only"; name: string }
  | { ok: false; reason: "not-found"; name: string; suggestions: string[] };

/** Result of {@link DwarfInfo.cfaAt}. */
export type CfaLookup =
  | { ok: true; row: CfaRow; text: string }
  | { ok: false; reason: "no-cfi"; pc: number };

/** Queries over one module's DWARF. */
export interface DwarfInfo {
  /** Every unit's summary (name, comp_dir, producer, ranges), in section order. */
  compileUnits(): CompileUnitInfo[];
  /** Names of all functions with code or inlined copies, sorted. */
  functionNames(): string[];
  /** Out-of-line definitions and inlined copies of `name` (DW_AT_name or linkage name). */
  findFunction(name: string): FunctionLookup;
  /**
   * {@link findFunction}'s answer for `name` when `address` (its ELF symbol's value) shows where
   * it is defined, found by parsing only the compile unit holding `address` instead of indexing
   * every unit. Undefined when one unit cannot vouch for the whole answer: no unit or no
   * definition of `name` starting at `address` there, a non-C unit, or a function that is
   * `static` or declared `inline` (other units may have their own copies); then call
   * {@link findFunction}.
   */
  findFunctionAt(name: string, address: number): (FunctionLookup & { ok: true }) | undefined;
  /** The out-of-line function containing `pc` (use for ELF symbol aliases like `fopen`). */
  functionAt(pc: number): FunctionInfo | undefined;
  /** The return type of the out-of-line function containing `pc` (`void` when it has none). */
  returnTypeAt(pc: number): DwarfType | undefined;
  /**
   * Addresses for `file:line`. `file` may be a full path, a path relative to the unit's
   * comp_dir, or a unique basename / path suffix.
   */
  lineAddresses(file: string, line: number): LineLookup;
  /** Parameters, locals and unit globals visible at `pc`, with location plans for `pc`. */
  variablesAt(pc: number): ScopeLookup;
  /** A global (static or extern) variable by name, with its address plan. */
  globalVariable(name: string): GlobalLookup;
  /** Visible variable and global names close to `name` (for "did you mean"). */
  closeVariableNames(pc: number, name: string): string[];
  /** The call frame row at `pc` (CFA rule and saved registers). */
  cfaAt(pc: number): CfaLookup;
  /** Inlined calls containing `pc` (innermost first), then its function, with positions. */
  sourceFramesAt(pc: number): SourceFrame[];
  /** Types named `name` (DW_AT_name, without `struct`), of `kind`; definitions first. */
  typesNamed(name: string, kind: TypeKind): DwarfType[];
}

/** Creates a lazy reader over the given sections (see {@link DwarfSections}). */
export function loadDwarf(sections: DwarfSections): DwarfInfo {
  return new Dwarf(sections);
}

/** Runs `fn`, turning low-level range errors on truncated data into a `UsageError`. */
function guard<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RangeError) {
      throw new UsageError(`corrupt DWARF: read past the end of a section (${e.message})`);
    }
    throw e;
  }
}

class Dwarf implements DwarfInfo {
  private readonly file: DwarfFile;
  private readonly types: TypeResolver;
  private readonly scopes: Scopes;
  private names: NameIndex | undefined;

  constructor(sections: DwarfSections) {
    this.file = new DwarfFile(sections);
    this.types = new TypeResolver(this.file);
    this.scopes = new Scopes(this.file, this.types);
  }

  private index(): NameIndex {
    return this.names ??= buildNameIndex(this.file);
  }

  compileUnits(): CompileUnitInfo[] {
    return guard(() => this.file.units().map(unitInfo));
  }

  functionNames(): string[] {
    return guard(() => {
      const out: string[] = [];
      for (const [name, entries] of this.index().functions) {
        if (entries.some((e) => e.flags & (NE_CODE | NE_INLINE))) out.push(name);
      }
      return out.sort();
    });
  }

  findFunction(name: string): FunctionLookup {
    return guard(() => {
      const found = this.functionsOf(functionEntries(this.index(), name));
      if (found.functions.length === 0 && found.inlined.length === 0) {
        return {
          ok: false,
          reason: "not-found",
          name,
          suggestions: closeNames(name, this.functionNames()),
        };
      }
      return found;
    });
  }

  findFunctionAt(name: string, address: number): (FunctionLookup & { ok: true }) | undefined {
    return guard(() => {
      if (this.names) {
        // The full index is built already: the exact answer is as cheap.
        const found = this.findFunction(name);
        return found.ok ? found : undefined;
      }
      const unit = this.file.unitForPc(address);
      if (!unit || unit.tag !== C.DW_TAG_compile_unit || !C_LANGUAGES.has(unit.language)) {
        return undefined;
      }
      const entries = functionEntries(buildUnitNameIndex(this.file, unit), name);
      if (entries.length === 0) return undefined;
      // Only an external, not-inline C function is defined in one unit alone: a `static` or
      // `inline` one (a header's `static inline`, C99 `inline`) may have same-named copies in
      // other units, which only the full index finds.
      for (const e of entries) {
        if (e.unit !== unit || (e.flags & NE_DECLARED_INLINE)) return undefined;
        const i = unit.dies().indexOf(e.offset);
        if (i < 0) return undefined;
        const d = { unit, i };
        for (const at of [C.DW_AT_abstract_origin, C.DW_AT_specification]) {
          const o = this.file.attr(d, at);
          if (o && (typeof o.value !== "number" || o.value < unit.offset || o.value >= unit.end)) {
            return undefined;
          }
        }
        const inline = this.file.num(d, C.DW_AT_inline);
        if (inline === 2 || inline === 3) return undefined;
        if (!this.file.flag(d, C.DW_AT_external)) return undefined;
      }
      const found = this.functionsOf(entries);
      const atSymbol = found.functions.some((f) => f.lowPc === address || f.entry === address);
      return atSymbol ? found : undefined;
    });
  }

  /** Definitions and inlined copies from name-index entries (findFunction's core). */
  private functionsOf(entries: NameEntry[]): FunctionLookup & { ok: true } {
    const functions: FunctionInfo[] = [];
    const inlined: InlinedInstance[] = [];
    const seen = new Set<number>();
    for (const e of entries) {
      if (seen.has(e.offset)) continue;
      seen.add(e.offset);
      const i = e.unit.dies().indexOf(e.offset);
      if (i < 0) continue;
      if ((e.flags & NE_CODE) && !(e.flags & NE_DECLARATION)) {
        const info = this.scopes.functionInfo(e.unit, i);
        if (info.ranges.length) functions.push(info); // all ranges discarded by the linker
      }
      if (e.flags & NE_INLINE) inlined.push(...this.scopes.inlinedInstances(e.unit, e.offset));
    }
    functions.sort((a, b) => a.lowPc - b.lowPc);
    inlined.sort((a, b) => a.entry - b.entry);
    return { ok: true, functions, inlined };
  }

  functionAt(pc: number): FunctionInfo | undefined {
    return guard(() => {
      const unit = this.file.unitForPc(pc);
      if (!unit) return undefined;
      const fn = this.scopes.functionIndexAt(unit, pc);
      return fn < 0 ? undefined : this.scopes.functionInfo(unit, fn);
    });
  }

  returnTypeAt(pc: number): DwarfType | undefined {
    return guard(() => {
      const unit = this.file.unitForPc(pc);
      if (!unit) return undefined;
      const fn = this.scopes.functionIndexAt(unit, pc);
      return fn < 0 ? undefined : this.types.typeOf({ unit, i: fn });
    });
  }

  lineAddresses(file: string, line: number): LineLookup {
    return guard(() => lineAddresses(this.file, this.scopes, file, line));
  }

  variablesAt(pc: number): ScopeLookup {
    return guard(() => {
      const f = this.file;
      const unit = f.unitForPc(pc);
      if (!unit) return { ok: false, reason: "no-debug-info", pc };
      const chain = this.scopes.chainAt(unit, pc);
      if (chain.length === 0) return { ok: false, reason: "no-function", pc };
      const tree = unit.dies();
      const ctx = this.scopes.context(unit, chain[0], pc);
      const inlineChain: string[] = [];
      for (let k = chain.length - 1; k > 0; k--) {
        if (tree.abbrevs[chain[k]].tag === C.DW_TAG_inlined_subroutine) {
          inlineChain.push(f.name({ unit, i: chain[k] }) ?? "");
        }
      }
      const seen = new Set<string>();
      const variables: VariableInfo[] = [];
      for (let k = chain.length - 1; k >= 0; k--) {
        const block = chain[k];
        for (const d of this.scopes.scopeVariables(unit, block)) {
          if (f.flag(d, C.DW_AT_declaration) && !f.has(d, C.DW_AT_location)) continue;
          const name = f.name(d);
          if (!name || seen.has(name)) continue;
          seen.add(name);
          const kind: VariableKind = f.tag(d) === C.DW_TAG_formal_parameter
            ? "parameter"
            : isStaticLocation(f, d)
            ? "static-local"
            : "local";
          variables.push(this.scopes.variable(d, kind, chain.length - 1 - k, ctx));
        }
        // Stop at the innermost function boundary (an inlined copy or the real function).
        const tag = tree.abbrevs[block].tag;
        if (tag === C.DW_TAG_inlined_subroutine || tag === C.DW_TAG_subprogram) break;
      }
      const globals: VariableInfo[] = [];
      for (let c = tree.firstChild(0); c >= 0; c = tree.next[c]) {
        if (tree.abbrevs[c].tag !== C.DW_TAG_variable) continue;
        const d = { unit, i: c };
        if (!f.has(d, C.DW_AT_location) && !f.has(d, C.DW_AT_const_value)) continue;
        const name = f.name(d);
        if (!name || seen.has(name)) continue;
        seen.add(name);
        globals.push(this.scopes.variable(d, "global", -1, { unit, pc }));
      }
      return {
        ok: true,
        pc,
        function: this.scopes.functionInfo(unit, chain[0]),
        inlineChain,
        variables,
        globals,
      };
    });
  }

  globalVariable(name: string): GlobalLookup {
    return guard(() => {
      const idx = this.index();
      const entries: NameEntry[] = [
        ...(idx.variables.get(name) ?? []),
        ...(idx.linkageNames.get(name) ?? []),
      ];
      const variables: VariableInfo[] = [];
      let declared = false;
      for (const e of entries) {
        if (!(e.flags & NE_LOCATION) || (e.flags & NE_DECLARATION)) {
          declared = true;
          continue;
        }
        const i = e.unit.dies().indexOf(e.offset);
        if (i < 0) continue;
        const d = { unit: e.unit, i };
        if (this.file.tag(d) !== C.DW_TAG_variable) continue;
        variables.push(this.scopes.variable(d, "global", -1, { unit: e.unit, pc: 0 }));
      }
      if (variables.length) return { ok: true, variables };
      if (declared) return { ok: false, reason: "declaration-only", name };
      return {
        ok: false,
        reason: "not-found",
        name,
        suggestions: closeNames(name, idx.variables.keys()),
      };
    });
  }

  closeVariableNames(pc: number, name: string): string[] {
    return guard(() => {
      const names: string[] = [];
      const scope = this.variablesAt(pc);
      if (scope.ok) {
        for (const v of scope.variables) names.push(v.name);
        for (const v of scope.globals) names.push(v.name);
      }
      const local = closeNames(name, names);
      if (local.length >= 5) return local;
      const global = closeNames(name, this.index().variables.keys());
      return [...new Set([...local, ...global])].slice(0, 5);
    });
  }

  sourceFramesAt(pc: number): SourceFrame[] {
    return guard(() => sourceFramesAt(this.file, this.scopes, pc));
  }

  cfaAt(pc: number): CfaLookup {
    return guard(() => {
      const row = this.file.frames.rowAt(pc);
      if (!row) return { ok: false, reason: "no-cfi", pc };
      const text = row.cfa.kind === "reg-offset"
        ? `CFA=${regName(row.cfa.reg)}${row.cfa.offset >= 0 ? "+" : ""}${row.cfa.offset}`
        : "CFA=<expression>";
      return { ok: true, row, text };
    });
  }

  private typeNames = new Map<string, DwarfType[]>();

  typesNamed(name: string, kind: TypeKind): DwarfType[] {
    const key = `${kind} ${name}`;
    let hit = this.typeNames.get(key);
    if (!hit) {
      hit = guard(() => typesNamed(this.file, this.types, name, kind));
      this.typeNames.set(key, hit);
    }
    return hit;
  }
}

/** DW_LANG_C89, DW_LANG_C, DW_LANG_C99, DW_LANG_C11, DW_LANG_C17. */
const C_LANGUAGES = new Set([0x1, 0x2, 0xc, 0x1d, 0x2c]);

/** Name-index entries of functions called `name` (DW_AT_name or linkage name). */
function functionEntries(idx: NameIndex, name: string): NameEntry[] {
  return [...(idx.functions.get(name) ?? []), ...(idx.linkageNames.get(name) ?? [])];
}

function isStaticLocation(f: DwarfFile, d: DieRef): boolean {
  const a = f.attr(d, C.DW_AT_location);
  if (!a || !isBlockForm(a.form)) return false;
  const b = a.value as Uint8Array;
  return b.length > 0 &&
    (b[0] === C.DW_OP_addr || b[0] === C.DW_OP_addrx || b[0] === C.DW_OP_GNU_addr_index);
}
