/**
 * pc → source frames, as gdb's `bt` shows them: the inlined calls containing the pc (innermost
 * first) and then the out-of-line function, each with its source position. The innermost frame's
 * position is the line-table row of the pc; each outer frame's position is the call site of the
 * inlined call it contains (`DW_AT_call_file/line/column`).
 * @module
 */
import * as C from "./constants.ts";
import type { DwarfFile } from "./file.ts";
import type { Unit } from "./unit.ts";
import { ROW_END_SEQUENCE } from "./line.ts";
import type { Scopes } from "./scope.ts";
import { describeType } from "./types.ts";

/** A position in a source file (`line`/`column` 0 when unknown). */
export interface SourcePosition {
  file: string;
  line: number;
  column: number;
}

/** One frame of {@link sourceFramesAt}'s answer. */
export interface SourceFrame {
  /** Function name (`DW_AT_name` of the subprogram or the inlined copy's origin). */
  name: string;
  /** True for an inlined call (a `DW_TAG_inlined_subroutine`). */
  inlined: boolean;
  /** Where this frame is: the pc's line (innermost) or the call site of the inner frame. */
  position?: SourcePosition;
  /** Its parameters in C spelling (`int argc`, `char **argv`). */
  parameters: string[];
}

/** The source frames at `pc`, innermost first; empty when no unit or function covers it. */
export function sourceFramesAt(file: DwarfFile, scopes: Scopes, pc: number): SourceFrame[] {
  const unit = file.unitForPc(pc);
  if (!unit) return [];
  const chain = scopes.chainAt(unit, pc);
  if (chain.length === 0) return [];
  const tree = unit.dies();
  const lp = file.lineProgram(unit);
  const fileName = (idx: number | undefined): string | undefined =>
    lp && idx !== undefined && idx < lp.fileCount ? lp.filePath(idx) : undefined;
  const frames: SourceFrame[] = [];
  let position = linePositionAt(file, unit, pc);
  for (let k = chain.length - 1; k >= 0; k--) {
    const i = chain[k];
    const tag = tree.abbrevs[i].tag;
    if (tag !== C.DW_TAG_inlined_subroutine && tag !== C.DW_TAG_subprogram) continue;
    const d = { unit, i };
    frames.push({
      name: file.name(d) ?? "",
      inlined: tag === C.DW_TAG_inlined_subroutine,
      position,
      parameters: parametersOf(file, scopes, unit, i),
    });
    if (tag === C.DW_TAG_subprogram) break;
    const callFile = fileName(file.num(d, C.DW_AT_call_file, false));
    position = callFile === undefined ? undefined : {
      file: callFile,
      line: file.num(d, C.DW_AT_call_line, false) ?? 0,
      column: file.num(d, C.DW_AT_call_column, false) ?? 0,
    };
  }
  return frames;
}

/** The formal parameters of function (or inlined call) DIE `i`. */
function parametersOf(file: DwarfFile, scopes: Scopes, unit: Unit, i: number): string[] {
  const tree = unit.dies();
  const out: string[] = [];
  for (let c = tree.firstChild(i); c >= 0; c = tree.next[c]) {
    if (tree.abbrevs[c].tag !== C.DW_TAG_formal_parameter) continue;
    const d = { unit, i: c };
    const name = file.name(d) ?? "";
    try {
      out.push(describeType(scopes.types.typeOf(d), name));
    } catch {
      out.push(name);
    }
  }
  return out;
}

/** The line-table position of `pc` in `unit` (the row whose range contains it). */
function linePositionAt(file: DwarfFile, unit: Unit, pc: number): SourcePosition | undefined {
  const lp = file.lineProgram(unit);
  if (!lp) return undefined;
  const rows = lp.rows();
  let best = -1;
  for (let i = 0; i + 1 < rows.count; i++) {
    if (rows.flags[i] & ROW_END_SEQUENCE) continue;
    if (rows.address[i] <= pc && pc < rows.address[i + 1]) {
      // Several rows can share an address: the last one at that address describes it.
      best = i;
    }
  }
  if (best < 0) return undefined;
  return { file: lp.filePath(rows.file[best]), line: rows.line[best], column: rows.column[best] };
}
