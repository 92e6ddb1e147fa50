/**
 * The vocabulary of debug-info discovery: what a module looks like to the finder, where a debug
 * file came from, and the typed answers of a lookup ("not found" is a value, not an exception).
 * @module
 */

import type { ElfFile } from "../elf/mod.ts";

/**
 * A loaded module, as the finder needs it. `lib/session`'s `ProcessModule` has this shape.
 */
export interface DebugModule {
  /** Path as the target process sees it (in its own mount namespace). */
  path: string;
  /** Path that reaches the same file from here (may be `/proc/PID/root/...`). */
  hostPath: string;
  /**
   * Root of the target's mount namespace as reachable from here (`/proc/PID/root`), when it
   * differs from ours: debug files are looked up under it first, then on the host.
   */
  root?: string;
  /** The executable (or the `-t` target): `--debug-file` applies to it unless its build-id says otherwise. */
  main?: boolean;
  /** The module's parsed ELF file. */
  elf(): ElfFile;
}

/** How a debug file was found. */
export type DebugSourceKind =
  /** The module itself carries `.debug_info`. */
  | "embedded"
  /** `--debug-file PATH`. */
  | "debug-file"
  /** `.gnu_debuglink` name found next to the module, in `.debug/` or under `/usr/lib/debug`. */
  | "debuglink"
  /** `/usr/lib/debug/.build-id/xx/rest.debug`. */
  | "build-id";

/** A separate debug file that does not belong to the module. */
export interface DebugMismatch {
  /** What disagrees: the `.gnu_debuglink` CRC32 or the GNU build-id. */
  kind: "crc" | "build-id";
  /** The debug file (path as read from here). */
  path: string;
  /** The value the module expects (CRC as 8 hex digits, or the build-id). */
  expected: string;
  /** The value the debug file has. */
  actual: string;
}

/** The file holding a module's DWARF. */
export interface DebugFile {
  kind: DebugSourceKind;
  /** Path the file was read from (the module's host path when embedded). */
  path: string;
  /** The parsed file (the module's own {@link ElfFile} when embedded). */
  elf: ElfFile;
  /** Set when the file is used despite a mismatch (`--allow-debug-mismatch`). */
  mismatch?: DebugMismatch;
}

/** Answer of a debug-file lookup. */
export type DebugLookup =
  | { ok: true; file: DebugFile }
  | {
    ok: false;
    reason: "missing";
    /** The module (target view). */
    modulePath: string;
    /** The module's GNU build-id, when it has one. */
    buildId?: string;
    /** The module's `.gnu_debuglink` name, when it has one. */
    debugLink?: string;
    /** Every path that was looked at, in order. */
    tried: string[];
    /** Candidates that exist but cannot be used (unreadable, not ELF, no `.debug_info`). */
    problems: string[];
  }
  | {
    ok: false;
    reason: "mismatch";
    modulePath: string;
    /** Every candidate that existed but did not match (the first one is reported). */
    mismatches: DebugMismatch[];
  };

/** Options of debug-info discovery (from `--debug-file`, `--allow-debug-mismatch`). */
export interface DebugInfoOptions {
  /** `--debug-file PATH`: the debug file of the main module (or of the module whose build-id it has). */
  debugFile?: string;
  /** `--allow-debug-mismatch`: use a debug file whose CRC or build-id does not match. */
  allowMismatch?: boolean;
  /** Global debug directories (default `["/usr/lib/debug"]`); injectable for tests. */
  debugDirs?: string[];
}
