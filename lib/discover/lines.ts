/**
 * `ghostscope lines FILE`: the lines of a source file that have code (so `trace FILE:LINE`
 * attaches), each with its probe addresses and function, from the DWARF line table of the
 * first module that has the file (executable first). The source text is shown when the file is
 * readable here.
 * @module
 */
import { type DebugInfoLoader, lineFailureMessage } from "../debuginfo/mod.ts";
import type { LineLookup } from "../dwarf/index.ts";
import { UsageError } from "../errors.ts";
import { readsAsElf } from "../session/locate.ts";
import type { ProcessModule } from "../session/process_modules.ts";

/** One line with code. */
export interface LineEntry {
  line: number;
  /** Link-time probe addresses of the line (gdb's `break FILE:LINE` choices). */
  addresses: number[];
  /** Functions the addresses are in (inlined ones as `caller/inlined`). */
  functions: string[];
  /** The source line, when the file is readable. */
  source?: string;
}

/** `lines` for one file. */
export interface LinesReport {
  /** The source file's full path as DWARF names it. */
  file: string;
  module: string;
  lines: LineEntry[];
}

/** Lists the lines of `file` that have code. */
export function linesWithCode(
  file: string,
  modules: ProcessModule[],
  debugInfo: DebugInfoLoader,
): LinesReport {
  let noFile: (LineLookup & { ok: false }) | undefined;
  for (const module of modules) {
    if (!module.main && !readsAsElf(module)) continue;
    const dwarf = debugInfo.optionalDwarf(module, `lines ${file}`);
    if (dwarf === undefined) continue;
    const first = dwarf.lineAddresses(file, 1);
    if (!first.ok && first.reason !== "no-code") {
      if (first.reason !== "no-file") {
        throw new UsageError(lineFailureMessage(first, `lines ${file}`, module.path));
      }
      noFile ??= first;
      continue;
    }
    const lines: LineEntry[] = [];
    let resolved = first.resolvedFile;
    let at: LineLookup = first;
    for (let line = 1;;) {
      if (at.ok) {
        resolved = at.resolvedFile;
        lines.push({
          line,
          addresses: at.addresses,
          functions: [
            ...new Set(
              at.locations.map((l) => l.inlined ? `${l.function}/${l.inlined}` : l.function ?? "?"),
            ),
          ],
        });
        line++;
      } else if (at.reason === "no-code") {
        const next = at.nearest.find((n) => n > line);
        if (next === undefined) break;
        line = next;
      } else break;
      at = dwarf.lineAddresses(file, line);
    }
    debugInfo.settle();
    const text = sourceLines(resolved, module);
    for (const l of lines) l.source = text?.[l.line - 1];
    return { file: resolved, module: module.path, lines };
  }
  debugInfo.settle();
  const where = modules.length === 1 ? modules[0].path : `${modules[0].path} or its libraries`;
  if (noFile !== undefined) {
    throw new UsageError(lineFailureMessage(noFile, `lines ${file}`, where));
  }
  throw new UsageError(`lines ${file}: no module of ${where} has DWARF debug info`);
}

function sourceLines(path: string, module: ProcessModule): string[] | undefined {
  for (const candidate of [module.root === undefined ? undefined : module.root + path, path]) {
    if (candidate === undefined) continue;
    try {
      return Deno.readTextFileSync(candidate).split("\n");
    } catch {
      // not readable here
    }
  }
  return undefined;
}
