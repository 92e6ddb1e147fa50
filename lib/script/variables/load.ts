/**
 * The DWARF of a module for the variable resolver, through the session's debug-info loader
 * (lib/debuginfo: embedded, `.gnu_debuglink`, build-id under `/usr/lib/debug`, `--debug-file`),
 * so a module is found, read and indexed once per run. When there is none, the message says what
 * is missing and how to get it.
 * @module
 */

import { type DebugModule, moduleDwarf } from "../../debuginfo/mod.ts";
import type { DwarfInfo } from "../../dwarf/index.ts";

/** A module whose DWARF may be loaded (lib/session's `ProcessModule` has this shape). */
export type DwarfSource = DebugModule;

/** Result of {@link loadModuleDwarf}. */
export type DwarfLoad =
  | { ok: true; dwarf: DwarfInfo }
  | { ok: false; message: string };

/** Loads the DWARF of `module`; `purpose` (`trace add`) starts the failure message. */
export function loadModuleDwarf(module: DwarfSource, purpose?: string): DwarfLoad {
  return moduleDwarf(module, purpose);
}
