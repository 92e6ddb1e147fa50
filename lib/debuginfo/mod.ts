/**
 * `lib/debuginfo/`: finds and loads the DWARF of a module (embedded, `.gnu_debuglink`, build-id,
 * or `--debug-file`), refusing debug files of another build unless told otherwise, with a
 * progress line for slow loads. Import from here.
 *
 * ```ts
 * const debugInfo = new DebugInfoLoader({ debugFile, allowMismatch, notice });
 * const dwarf = debugInfo.dwarfFor(module, "trace server.c:42"); // UsageError when missing
 * const maybe = debugInfo.optionalDwarf(module);                 // undefined when missing
 * ```
 *
 * - `types.ts`: {@link DebugModule}, {@link DebugLookup}, {@link DebugFile}, options
 * - `discover.ts`: the search order; `paths.ts`: candidate paths; `read.ts`: chunked read + CRC
 * - `sections.ts`: DwarfSections from a debug file and its module; `loader.ts`: cache + progress
 * - `messages.ts`: user-facing wording; `progress.ts`: the stderr progress line
 * - `targets.ts`: function / `file:line` → addresses through DWARF (gdb's `break` choices)
 * - `session.ts`: the run's shared loader (`useDebugInfo`, `sessionDebugInfo`, `moduleDwarf`)
 *
 * @module
 */

export type {
  DebugFile,
  DebugInfoOptions,
  DebugLookup,
  DebugMismatch,
  DebugModule,
  DebugSourceKind,
} from "./types.ts";
export { DebugFinder } from "./discover.ts";
export {
  DebugInfoLoader,
  type DwarfLookup,
  type LoaderOptions,
  type ModuleDwarf,
} from "./loader.ts";
export {
  lineFailureMessage,
  lookupFailureMessage,
  mismatchMessage,
  mismatchNotice,
} from "./messages.ts";
export {
  type DwarfSite,
  type FunctionSites,
  functionSites,
  lineSites,
  symbolSite,
} from "./targets.ts";
export {
  NO_PROGRESS,
  type ProgressFactory,
  type ProgressOptions,
  type ProgressSink,
  terminalProgress,
} from "./progress.ts";
export { DEFAULT_DEBUG_DIRS } from "./paths.ts";
export { dwarfSections } from "./sections.ts";
export { readCandidate, type ReadResult } from "./read.ts";
export { moduleDwarf, type ModuleDwarfResult, sessionDebugInfo, useDebugInfo } from "./session.ts";
export { isPattern, matchNames, patternRegExp } from "./name_pattern.ts";
export { moduleFunctionsMatching } from "./function_names.ts";
