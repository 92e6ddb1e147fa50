/**
 * `trace file.c:LINE` → one probe site per statement address of the line (inlined copies
 * included), from the DWARF line tables of the executable, then of its libraries.
 */
import { UsageError } from "../errors.ts";
import {
  type DebugInfoLoader,
  type DebugLookup,
  lineFailureMessage,
  lineSites,
  lookupFailureMessage,
} from "../debuginfo/mod.ts";
import type { LineLookup } from "../dwarf/index.ts";
import { readsAsElf, sitesAt } from "./locate.ts";
import type { ProbeSite } from "./probe_site.ts";
import type { ProcessModule } from "./process_modules.ts";

/**
 * Finds `file:line` in the first module whose DWARF has that source file (executable first).
 * `file` may be a full path, a path relative to the unit's comp_dir, or a unique basename or
 * path suffix. A line without code, an ambiguous file name, a file no module knows, or no debug
 * info at all are {@link UsageError}s saying so (nearest lines with code, the candidates, close
 * file names, how to get debug info).
 */
export function locateLine(
  file: string,
  line: number,
  targetText: string,
  modules: ProcessModule[],
  debugInfo: DebugInfoLoader,
): ProbeSite[] {
  const purpose = `trace ${targetText}`;
  let mainMissing: (DebugLookup & { ok: false }) | undefined;
  let noFile: (LineLookup & { ok: false }) | undefined;
  for (const module of modules) {
    if (!module.main && !readsAsElf(module)) continue;
    const r = debugInfo.query(module, (dwarf) => dwarf.lineAddresses(file, line));
    if (!r.ok) {
      // A library's stale debug file is skipped; the executable's is refused outright.
      if (module.main && r.reason === "mismatch") {
        throw new UsageError(lookupFailureMessage(r, purpose));
      }
      if (module.main) mainMissing = r;
      continue;
    }
    const found = r.value;
    if (found.ok) return sitesAt(module, lineSites(found), targetText);
    if (found.reason !== "no-file") {
      throw new UsageError(lineFailureMessage(found, purpose, module.path));
    }
    if (module.main || noFile === undefined) noFile = found;
  }
  // The file is most likely the executable's own: say that it has no debug info.
  if (mainMissing !== undefined) throw new UsageError(lookupFailureMessage(mainMissing, purpose));
  const where = modules.length === 1 ? modules[0].path : `${modules[0].path} or its libraries`;
  if (noFile !== undefined) throw new UsageError(lineFailureMessage(noFile, purpose, where));
  throw new UsageError(`${purpose}: no module of ${where} has DWARF debug info`);
}
