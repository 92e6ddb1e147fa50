/**
 * `file:line` → statement addresses, the way gdb's `break file:line` picks them: every is_stmt
 * row for the line, one (the lowest) per innermost block, moved past the prologue when it lands
 * in one. A line without code is an error value listing the nearest lines that have code.
 * @module
 */

import * as C from "./constants.ts";
import type { DwarfFile } from "./file.ts";
import { endsWithComponent, joinPath, normalizePath, ROW_END_SEQUENCE, ROW_STMT } from "./line.ts";
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
  for (const u of file.units()) {
    const lp = file.lineProgram(u);
    if (!lp) continue;
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

  // 2. Rows for the line; remember the nearest lines with code.
  let before = 0;
  let after = Infinity;
  const candidates: { unit: Unit; address: number }[] = [];
  for (const h of hits) {
    const lp = file.lineProgram(h.unit)!;
    const rows = lp.rows();
    const mask = new Uint8Array(lp.fileCount + 1);
    for (const f of h.files) mask[f] = 1;
    const { address, file: rf, line: rl, flags } = rows;
    for (let r = 0; r < rows.count; r++) {
      const fl = flags[r];
      if ((fl & (ROW_STMT | ROW_END_SEQUENCE)) !== ROW_STMT) continue;
      const fi = rf[r];
      if (fi >= mask.length || mask[fi] === 0 || address[r] === 0) continue;
      const l = rl[r];
      if (l === line) candidates.push({ unit: h.unit, address: address[r] });
      else if (l < line) {
        if (l > before) before = l;
      } else if (l < after) after = l;
    }
  }
  if (candidates.length === 0) {
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
    const key = chain.length
      ? `${c.unit.index}:${chain[chain.length - 1]}`
      : `${c.unit.index}:@${c.address}`;
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
    locations.push({ address: addr, lineAddress: c.address, function: fnName, inlined, afterPrologue: moved });
  }
  locations.sort((a, b) => a.address - b.address);
  return { ok: true, resolvedFile, line, addresses: locations.map((l) => l.address), locations };
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
