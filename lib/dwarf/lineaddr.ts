/**
 * `file:line` → statement addresses, the way gdb's `break file:line` picks them: every is_stmt
 * row for the line, one (the lowest) per innermost block, moved past the prologue when it lands
 * in one. A line without code is an error value listing the nearest lines that have code.
 * @module
 */

import * as C from "./constants.ts";
import type { DwarfFile } from "./file.ts";
import {
  endsWithComponent,
  joinPath,
  normalizePath,
  ROW_DISCRIMINATED,
  ROW_END_SEQUENCE,
  ROW_STMT,
} from "./line.ts";
import type { Scopes } from "./scope.ts";
import { closeNames } from "./suggest.ts";
import type { Unit } from "./unit.ts";

/** One resolved location of a `file:line`. */
export interface LineLocation {
  /** Address to probe. */
  address: number;
  /** Address of the line-table row before any prologue adjustment. */
  lineAddress: number;
  /** The out-of-line function containing the address. */
  function?: string;
  /** When the address is inside inlined code: the innermost inlined function's name. */
  inlined?: string;
  /** True when the row was in the function's prologue and the address moved past it. */
  afterPrologue: boolean;
  /**
   * True when the line has no code of its own and the address is the entry of a function
   * inlined by a call on that line (DW_TAG_inlined_subroutine call_file/call_line).
   */
  callSite?: boolean;
}

/** Result of a `file:line` lookup. */
export type LineLookup =
  | {
    ok: true;
    /** Full path of the matched source file. */
    resolvedFile: string;
    line: number;
    /** Distinct addresses, ascending. */
    addresses: number[];
    locations: LineLocation[];
  }
  | { ok: false; reason: "no-file"; file: string; suggestions: string[] }
  | { ok: false; reason: "ambiguous-file"; file: string; candidates: string[] }
  | {
    ok: false;
    reason: "no-code";
    resolvedFile: string;
    line: number;
    /** Closest lines that have code: at most one before and one after `line`. */
    nearest: number[];
  };

interface FileHit {
  unit: Unit;
  files: number[];
}

const encoder = new TextEncoder();

/** Resolves `file:line`. */
export function lineAddresses(
  file: DwarfFile,
  scopes: Scopes,
  query: string,
  line: number,
): LineLookup {
  const qn = normalizePath(query);
  const base = qn.slice(qn.lastIndexOf("/") + 1);
  const baseBytes = encoder.encode(base);
  const absolute = query.startsWith("/");

  // 1. Which file entries of which units name the file? Strong = exact or comp_dir-relative.
  const byPath = new Map<string, { strong: boolean; hits: FileHit[] }>();
  const seenPrograms = new Set<unknown>();
  for (const u of file.units()) {
    // Type units share their compile unit's line table; scan each program once, for a CU.
    if (u.tag !== C.DW_TAG_compile_unit && u.tag !== C.DW_TAG_partial_unit) continue;
    const lp = file.lineProgram(u);
    if (!lp || seenPrograms.has(lp)) continue;
    seenPrograms.add(lp);
    let local: Map<string, { strong: boolean; files: number[] }> | undefined;
    const n = lp.fileCount;
    for (let i = lp.firstFile; i < n; i++) {
      // Cheap byte comparison first: the entry's name must end with the query's basename.
      if (!lp.fileNameEndsWith(i, baseBytes)) continue;
      const full = lp.filePath(i);
      let strong: boolean;
      if (absolute) {
        if (full !== qn) continue;
        strong = true;
      } else if (full === qn || normalizePath(joinPath(u.compDir, query)) === full) {
        strong = true;
      } else if (endsWithComponent(full, qn)) {
        strong = false;
      } else continue;
      local ??= new Map();
      const e = local.get(full);
      if (e) e.files.push(i);
      else local.set(full, { strong, files: [i] });
    }
    if (!local) continue;
    for (const [full, e] of local) {
      const entry = byPath.get(full);
      if (entry) {
        entry.strong ||= e.strong;
        entry.hits.push({ unit: u, files: e.files });
      } else byPath.set(full, { strong: e.strong, hits: [{ unit: u, files: e.files }] });
    }
  }
  if (byPath.size === 0) {
    return { ok: false, reason: "no-file", file: query, suggestions: fileSuggestions(file, base) };
  }
  let paths = [...byPath.keys()];
  if (paths.length > 1) {
    const strong = paths.filter((p) => byPath.get(p)!.strong);
    if (strong.length === 1) paths = strong;
    else return { ok: false, reason: "ambiguous-file", file: query, candidates: paths.sort() };
  }
  const resolvedFile = paths[0];
  const hits = byPath.get(resolvedFile)!.hits;

  // 2. Rows of the file, filtered the way gdb builds its line table: a row at the address where
  //    the sequence ends or switches to another file is dropped (it has no code), a non-stmt row
  //    that switches file at an unchanged address is ignored, and so are line-0 rows. Then keep
  //    the is_stmt rows of the line, and the nearest lines with code.
  let before = 0;
  let after = Infinity;
  const candidates: { unit: Unit; address: number }[] = [];
  const kept: number[] = [];
  // Units where a row of the line was dropped (an inlined call's row shadowed by the callee's).
  const droppedIn = new Set<FileHit>();
  for (const h of hits) {
    const lp = file.lineProgram(h.unit)!;
    const rows = lp.rows();
    const mask = new Uint8Array(lp.fileCount + 1);
    for (const f of h.files) mask[f] = 1;
    const { address, file: rf, line: rl, flags } = rows;
    kept.length = 0;
    let lastIn = -1; // -1: start of a sequence
    let lastAddr = -1;
    let lastLine = -1;
    let stmtAtAddr = false;
    for (let r = 0; r < rows.count; r++) {
      const fl = flags[r];
      const a = address[r];
      if (fl & ROW_END_SEQUENCE) {
        if (lastIn === 1 && popAt(kept, address, rl, a, line)) droppedIn.add(h);
        lastIn = -1;
        lastAddr = -1;
        stmtAtAddr = false;
        continue;
      }
      const fi = rf[r];
      const isIn = fi < mask.length && mask[fi] === 1 ? 1 : 0;
      const changed = lastIn !== -1 && isIn !== lastIn;
      if (a !== lastAddr) {
        stmtAtAddr = false;
        lastAddr = a;
      }
      if (fl & ROW_STMT) stmtAtAddr = true;
      const ignore = (changed && !(fl & ROW_STMT) && stmtAtAddr) || rl[r] === 0;
      if (ignore) continue;
      if (changed && lastIn === 1 && popAt(kept, address, rl, a, line)) droppedIn.add(h);
      // A repeat of the same line whose line had a discriminator is not recorded.
      const repeat = !changed && lastIn !== -1 && rl[r] === lastLine && (fl & ROW_DISCRIMINATED);
      lastIn = isIn;
      lastLine = rl[r];
      if (isIn && !repeat && (fl & ROW_STMT) && a !== 0) kept.push(r);
    }
    for (const r of kept) {
      const l = rl[r];
      if (l === line) candidates.push({ unit: h.unit, address: address[r] });
      else if (l < line) {
        if (l > before) before = l;
      } else if (l < after) after = l;
    }
  }
  if (candidates.length === 0) {
    // A line whose only code is an inlined call: probe each inlined copy's entry.
    const calls = inlinedCalls(file, scopes, [...droppedIn], line);
    if (calls.length) {
      return {
        ok: true,
        resolvedFile,
        line,
        addresses: calls.map((l) => l.address),
        locations: calls,
      };
    }
    const nearest: number[] = [];
    if (before > 0) nearest.push(before);
    if (after !== Infinity) nearest.push(after);
    return { ok: false, reason: "no-code", resolvedFile, line, nearest };
  }

  // 3. One address per innermost block (the lowest), then skip prologues.
  candidates.sort((a, b) => a.address - b.address);
  const seenBlocks = new Set<string>();
  const locations: LineLocation[] = [];
  const seenAddr = new Set<number>();
  for (const c of candidates) {
    const chain = scopes.chainAt(c.unit, c.address);
    let block = -1;
    for (let k = chain.length - 1; k >= 0 && block < 0; k--) {
      if (scopes.isScope(c.unit, chain[k])) block = chain[k];
    }
    const key = block >= 0 ? `${c.unit.index}:${block}` : `${c.unit.index}:@${c.address}`;
    if (seenBlocks.has(key)) continue;
    seenBlocks.add(key);
    let addr = c.address;
    let fnName: string | undefined;
    let inlined: string | undefined;
    let moved = false;
    if (chain.length) {
      const tree = c.unit.dies();
      const fi = scopes.functionInfo(c.unit, chain[0]);
      fnName = fi.name;
      if (addr >= fi.entry && addr < fi.postPrologue) {
        addr = fi.postPrologue;
        moved = true;
      }
      for (let k = chain.length - 1; k > 0; k--) {
        if (tree.abbrevs[chain[k]].tag === C.DW_TAG_inlined_subroutine) {
          inlined = file.name({ unit: c.unit, i: chain[k] });
          break;
        }
      }
    }
    if (seenAddr.has(addr)) continue;
    seenAddr.add(addr);
    locations.push({
      address: addr,
      lineAddress: c.address,
      function: fnName,
      inlined,
      afterPrologue: moved,
    });
  }
  locations.sort((a, b) => a.address - b.address);
  return { ok: true, resolvedFile, line, addresses: locations.map((l) => l.address), locations };
}

/**
 * Entries of the inlined subroutines called from `line` of the matched file, ascending. Only
 * units where the line had a row that gdb's rules drop are searched (building their DIE trees).
 */
function inlinedCalls(
  file: DwarfFile,
  scopes: Scopes,
  hits: FileHit[],
  line: number,
): LineLocation[] {
  const out: LineLocation[] = [];
  const seen = new Set<number>();
  for (const h of hits) {
    const tree = h.unit.dies();
    for (let i = 0; i < tree.count; i++) {
      if (tree.abbrevs[i].tag !== C.DW_TAG_inlined_subroutine) continue;
      const d = { unit: h.unit, i };
      if (file.num(d, C.DW_AT_call_line, false) !== line) continue;
      const cf = file.num(d, C.DW_AT_call_file, false);
      if (cf === undefined || !h.files.includes(cf)) continue;
      const entry = file.entryPc(d, scopes.ranges(h.unit, i));
      if (entry === undefined || seen.has(entry)) continue;
      seen.add(entry);
      const fn = scopes.functionIndexAt(h.unit, entry);
      out.push({
        address: entry,
        lineAddress: entry,
        function: fn >= 0 ? file.name({ unit: h.unit, i: fn }) : undefined,
        inlined: file.name(d),
        afterPrologue: false,
        callSite: true,
      });
    }
  }
  return out.sort((a, b) => a.address - b.address);
}

/**
 * Drops trailing kept rows at address `a` (gdb's end-of-file-run marker deletes them). Returns
 * true when one of them was for `line`.
 */
function popAt(
  kept: number[],
  address: Float64Array,
  lines: Uint32Array,
  a: number,
  line: number,
): boolean {
  let hit = false;
  while (kept.length && address[kept[kept.length - 1]] === a) {
    if (lines[kept.pop()!] === line) hit = true;
  }
  return hit;
}

function fileSuggestions(file: DwarfFile, base: string): string[] {
  const names = new Set<string>();
  for (const u of file.units()) {
    const lp = file.lineProgram(u);
    if (!lp) continue;
    for (let i = lp.firstFile; i < lp.fileCount; i++) {
      const n = lp.fileName(i);
      names.add(n.slice(n.lastIndexOf("/") + 1));
    }
  }
  return closeNames(base, names);
}
