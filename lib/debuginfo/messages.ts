/**
 * One-line wording of failed lookups, for the {@link UsageError} at the boundary.
 * @module
 */

import type { LineLookup } from "../dwarf/index.ts";
import type { DebugLookup, DebugMismatch } from "./types.ts";

/** Message for a lookup that found nothing usable; `purpose` (`trace x.c:3`) is prefixed. */
export function lookupFailureMessage(
  lookup: DebugLookup & { ok: false },
  purpose?: string,
): string {
  const prefix = purpose ? `${purpose}: ` : "";
  if (lookup.reason === "mismatch") {
    return prefix + mismatchMessage(lookup.modulePath, lookup.mismatches[0]);
  }
  const parts = ["no .debug_info"];
  if (lookup.debugLink === undefined) parts.push("no .gnu_debuglink");
  else parts.push(`.gnu_debuglink ${lookup.debugLink} not found`);
  if (lookup.buildId === undefined) parts.push("no build-id");
  else parts.push(`build-id ${lookup.buildId} not under .build-id/`);
  parts.push(...lookup.problems);
  return `${prefix}no DWARF debug info for ${lookup.modulePath} (${parts.join(", ")}): ` +
    "install its -dbgsym/-dbg package, rebuild it with -g, or give --debug-file PATH";
}

/** Message for a debug file that belongs to another build. */
export function mismatchMessage(modulePath: string, m: DebugMismatch): string {
  const what = m.kind === "crc" ? ".gnu_debuglink CRC32" : "build-id";
  return `debug file ${m.path} does not match ${modulePath}: ${what} ${m.expected} expected, ` +
    `the file has ${m.actual} (rebuilt since? use --allow-debug-mismatch to use it anyway)`;
}

/** Notice printed when a mismatched file is used anyway. */
export function mismatchNotice(modulePath: string, m: DebugMismatch): string {
  const what = m.kind === "crc" ? ".gnu_debuglink CRC32" : "build-id";
  return `using debug file ${m.path} for ${modulePath} despite a ${what} mismatch ` +
    `(${m.expected} expected, the file has ${m.actual}): addresses and variables may be wrong`;
}

/** Message for a `file:line` that did not resolve; `where` names the module(s) searched. */
export function lineFailureMessage(
  lookup: LineLookup & { ok: false },
  purpose: string,
  where: string,
): string {
  switch (lookup.reason) {
    case "no-code": {
      const near = lookup.nearest.length > 0
        ? `nearest lines with code: ${lookup.nearest.join(", ")}`
        : "no line of that file has code";
      return `${purpose}: line ${lookup.line} of ${lookup.resolvedFile} has no code (${near})`;
    }
    case "ambiguous-file": {
      const shown = lookup.candidates.slice(0, 8).join(", ");
      const more = lookup.candidates.length > 8 ? `, and ${lookup.candidates.length - 8} more` : "";
      return `${purpose}: source file '${lookup.file}' is ambiguous in ${where}: it matches ` +
        `${shown}${more} (give more of the path)`;
    }
    case "no-file": {
      const hint = lookup.suggestions.length > 0
        ? ` (did you mean ${lookup.suggestions.join(", ")}?)`
        : "";
      return `${purpose}: no source file '${lookup.file}' in the debug info of ${where}${hint}`;
    }
  }
}
