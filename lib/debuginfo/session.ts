/**
 * The debug-info loader of the current run, shared by everything that needs DWARF (trace
 * targets, script variables) so that each module is found, read and indexed once.
 *
 * `lib/session/pipeline.ts` installs one built from the CLI options with {@link useDebugInfo};
 * anything else gets it with {@link sessionDebugInfo} (a default loader — embedded DWARF,
 * `.gnu_debuglink`, build-id, no `--debug-file` — when none was installed, e.g. in tests).
 * @module
 */

import { lookupFailureMessage } from "./messages.ts";
import { DebugInfoLoader } from "./loader.ts";
import type { DwarfInfo } from "../dwarf/index.ts";
import type { DebugModule } from "./types.ts";

let current: DebugInfoLoader | undefined;

/** Makes `loader` the run's loader; returns it. */
export function useDebugInfo(loader: DebugInfoLoader): DebugInfoLoader {
  current = loader;
  return loader;
}

/** The run's loader (created with default options on first use when none was installed). */
export function sessionDebugInfo(): DebugInfoLoader {
  return current ??= new DebugInfoLoader();
}

/** Result of {@link moduleDwarf}. */
export type ModuleDwarfResult = { ok: true; dwarf: DwarfInfo } | { ok: false; message: string };

/**
 * The DWARF of `module` through the run's loader, or the one-line message saying what is
 * missing (or mismatched) and how to fix it. `purpose` (`trace x.c:3`) prefixes the message.
 */
export function moduleDwarf(module: DebugModule, purpose?: string): ModuleDwarfResult {
  const r = sessionDebugInfo().load(module);
  return r.ok
    ? { ok: true, dwarf: r.info.dwarf }
    : { ok: false, message: lookupFailureMessage(r, purpose) };
}
