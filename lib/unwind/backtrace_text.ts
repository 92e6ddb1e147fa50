/**
 * A backtrace as the user reads it: the text lines of `bt` / `bt full` / `bt raw` (each with or
 * without inline frames) and the frame objects of JSON output.
 *
 * ```text
 * backtrace: complete, 4 frames (max 128)
 *   #0.inline add3 at bt.c:21:12
 *   #0 on_callback at bt.c:27:10 [bt+0x1189]
 *   #1 lib_apply at btlib.c:9:12 [libbtlib.so+0x1105]
 *   ...
 * ```
 *
 * A walk that stopped early ends with `  stopped: <reason>` and its header says `stopped`.
 * @module
 */
import type { SourcePosition } from "../dwarf/index.ts";
import type { Symbolizer } from "./symbolize.ts";
import { type Backtrace, UnwindEnd } from "./unwind.ts";

/** The statement's modes: `bt` = inline; `full` adds parameters; `raw` adds ids, no symbols. */
export interface BacktraceMode {
  inline: boolean;
  full: boolean;
  raw: boolean;
}

/** One frame in JSON output. */
export interface BacktraceFrameJson {
  index: number;
  inline: boolean;
  function: string | null;
  file: string | null;
  line: number | null;
  column: number | null;
  module: string | null;
  offset: string | null;
  pc: string;
}

/** A backtrace in JSON output. */
export interface BacktraceJson {
  status: UnwindEnd;
  maxDepth: number;
  reason?: string;
  frames: BacktraceFrameJson[];
}

const UNKNOWN_FUNCTION = "<unknown function>";

/** The header line: `backtrace: complete, 3 frames (max 128)`. */
export function backtraceHeader(bt: Backtrace): string {
  const n = bt.frames.length;
  return `backtrace: ${bt.end}, ${n} frame${n === 1 ? "" : "s"} (max ${bt.maxDepth})`;
}

/** The lines of `bt` in `mode`, header first. */
export function backtraceLines(bt: Backtrace, mode: BacktraceMode, sym: Symbolizer): string[] {
  const lines = [backtraceHeader(bt)];
  bt.frames.forEach((frame, index) => {
    const module = frame.module;
    const at = module === undefined || frame.linkPc === undefined
      ? `0x${frame.pc.toString(16)}`
      : `${module.image.name}+0x${frame.linkPc.toString(16)}`;
    const raw = mode.raw
      ? ` raw=0x${frame.pc.toString(16)} cookie=0x${
        (module?.image.cookie() ?? 0n).toString(16).padStart(16, "0")
      }`
      : "";
    if (mode.raw && !mode.full) {
      const off = frame.linkPc ?? frame.pc;
      lines.push(`  #${index} 0x${off.toString(16)} [${at}]${raw}`);
      return;
    }
    const described = sym.describe(frame, index === 0);
    for (const f of described) {
      const name = f.name ?? UNKNOWN_FUNCTION;
      const fn = mode.full && f.parameters !== undefined && f.name !== undefined
        ? `${name}(${f.parameters.join(", ")})`
        : name;
      const where = positionText(f.position);
      if (f.inlined) {
        if (mode.inline) lines.push(`  #${index}.inline ${fn} at ${where}`);
      } else {
        lines.push(`  #${index} ${fn} at ${where} [${at}]${raw}`);
      }
    }
  });
  if (bt.end === UnwindEnd.Stopped) lines.push(`  stopped: ${bt.reason ?? "unknown"}`);
  return lines;
}

/** The JSON form: every frame (inline ones flagged) as an object. */
export function backtraceJson(bt: Backtrace, mode: BacktraceMode, sym: Symbolizer): BacktraceJson {
  const frames: BacktraceFrameJson[] = [];
  bt.frames.forEach((frame, index) => {
    const described = mode.raw && !mode.full
      ? [{ inlined: false, name: undefined, position: undefined }]
      : sym.describe(frame, index === 0);
    for (const f of described) {
      if (f.inlined && !mode.inline) continue;
      frames.push({
        index,
        inline: f.inlined,
        function: f.name ?? null,
        file: f.position?.file ?? null,
        line: f.position?.line || null,
        column: f.position?.column || null,
        module: frame.module?.image.path ?? null,
        offset: frame.linkPc === undefined ? null : `0x${frame.linkPc.toString(16)}`,
        pc: `0x${frame.pc.toString(16)}`,
      });
    }
  });
  return {
    status: bt.end,
    maxDepth: bt.maxDepth,
    ...(bt.reason === undefined ? {} : { reason: bt.reason }),
    frames,
  };
}

/** `file.c:12:5` (base name), `file.c:12`, or `??`. */
function positionText(p: SourcePosition | undefined): string {
  if (p === undefined || p.line === 0) return "??";
  const base = p.file.slice(p.file.lastIndexOf("/") + 1);
  return p.column > 0 ? `${base}:${p.line}:${p.column}` : `${base}:${p.line}`;
}
