/**
 * Finds the file holding a module's DWARF, in this order:
 *
 * 1. `--debug-file PATH`, for the module whose build-id it carries, else for the main module;
 * 2. the module itself, when it has `.debug_info`;
 * 3. its `.gnu_debuglink` name, next to the module, in `.debug/`, or under `/usr/lib/debug/<dir>/`,
 *    accepted only when the file's CRC32 is the one the link records;
 * 4. `/usr/lib/debug/.build-id/xx/rest.debug`, accepted only when its build-id is the module's.
 *
 * A module in another mount namespace has each path tried under `/proc/PID/root` first. A
 * candidate that exists but does not match is remembered: when nothing matches, the answer is a
 * `mismatch` (or, with `allowMismatch`, that file). Nothing found is a `missing` answer.
 * @module
 */

import { type ElfFile, parseElf } from "../elf/mod.ts";
import { UsageError } from "../errors.ts";
import { buildIdPaths, debugLinkPaths, DEFAULT_DEBUG_DIRS, withRoot } from "./paths.ts";
import { crcHex, readCandidate } from "./read.ts";
import type {
  DebugInfoOptions,
  DebugLookup,
  DebugMismatch,
  DebugModule,
  DebugSourceKind,
} from "./types.ts";

/** Progress of reading candidate files: bytes done of the current file's total. */
export type ReadProgress = (done: number, total: number) => void;

/** One candidate that was read and parsed. */
type Candidate =
  | { ok: true; elf: ElfFile; crc?: number }
  | { ok: false; reason: "missing" | "not-a-file" | "unreadable" | "not-elf"; message: string };

/** Reads and parses candidates; keeps the `--debug-file` (shared by every module) once read. */
export class DebugFinder {
  readonly #options: DebugInfoOptions;
  readonly #dirs: readonly string[];
  readonly #onRead: ReadProgress | undefined;
  #explicit: Candidate | undefined;

  constructor(options: DebugInfoOptions = {}, onRead?: ReadProgress) {
    this.#options = options;
    this.#dirs = options.debugDirs ?? DEFAULT_DEBUG_DIRS;
    this.#onRead = onRead;
  }

  /** Looks up the debug file of `module` (see the module comment for the order). */
  find(module: DebugModule): DebugLookup {
    const elf = module.elf();
    const buildId = elf.buildId;
    const mismatches: { mismatch: DebugMismatch; elf?: ElfFile; kind: DebugSourceKind }[] = [];
    const tried: string[] = [];
    const problems: string[] = [];

    const explicit = this.#explicitFor(module, buildId);
    if (explicit !== undefined) return explicit;
    if (elf.hasDebugInfo) {
      return { ok: true, file: { kind: "embedded", path: module.hostPath, elf } };
    }

    const link = elf.debugLink;
    const candidates: { kind: DebugSourceKind; path: string }[] = [];
    if (link !== undefined) {
      for (
        const path of withRoot(debugLinkPaths(module.path, link.name, this.#dirs), module.root)
      ) {
        if (path !== module.hostPath) candidates.push({ kind: "debuglink", path });
      }
    }
    if (buildId !== undefined) {
      for (const path of withRoot(buildIdPaths(buildId, this.#dirs), module.root)) {
        candidates.push({ kind: "build-id", path });
      }
    }
    for (const { kind, path } of candidates) {
      tried.push(path);
      const c = this.#read(path, kind === "debuglink");
      if (!c.ok) {
        if (c.reason !== "missing") problems.push(c.message);
        continue;
      }
      const mismatch = kind === "debuglink"
        ? crcMismatch(path, link!.crc, c.crc ?? 0)
        : buildIdMismatch(path, buildId!, c.elf.buildId);
      if (mismatch !== undefined) mismatches.push({ kind, elf: c.elf, mismatch });
      else if (c.elf.hasDebugInfo) return { ok: true, file: { kind, path, elf: c.elf } };
      else problems.push(`${path} has no .debug_info`);
    }

    if (mismatches.length > 0) {
      const usable = mismatches.find((m) => m.elf?.hasDebugInfo);
      if (this.#options.allowMismatch && usable !== undefined) {
        const { kind, elf: file, mismatch } = usable;
        return { ok: true, file: { kind, path: mismatch.path, elf: file!, mismatch } };
      }
      return {
        ok: false,
        reason: "mismatch",
        modulePath: module.path,
        mismatches: mismatches.map((m) => m.mismatch),
      };
    }
    return {
      ok: false,
      reason: "missing",
      modulePath: module.path,
      buildId,
      debugLink: link?.name,
      tried,
      problems,
    };
  }

  /** The `--debug-file` answer for `module`, or undefined when the option does not apply to it. */
  #explicitFor(module: DebugModule, buildId: string | undefined): DebugLookup | undefined {
    const path = this.#options.debugFile;
    if (path === undefined) return undefined;
    this.#explicit ??= this.#read(path, true);
    const c = this.#explicit;
    if (!c.ok) {
      // A bad --debug-file is the user's mistake whichever module it was meant for.
      throw new UsageError(`--debug-file ${path}: ${c.message}`);
    }
    const fileId = c.elf.buildId;
    const sameBuild = buildId !== undefined && fileId === buildId;
    if (!sameBuild && !module.main) return undefined;
    const mismatch = sameBuild ? undefined : this.#explicitMismatch(module, path, c, buildId);
    if (mismatch !== undefined && !this.#options.allowMismatch) {
      return { ok: false, reason: "mismatch", modulePath: module.path, mismatches: [mismatch] };
    }
    if (!c.elf.hasDebugInfo) {
      throw new UsageError(`--debug-file ${path} has no DWARF debug info (no .debug_info section)`);
    }
    return { ok: true, file: { kind: "debug-file", path, elf: c.elf, mismatch } };
  }

  /** Why `--debug-file` does not belong to `module`, if it does not. */
  #explicitMismatch(
    module: DebugModule,
    path: string,
    c: Candidate & { ok: true },
    buildId: string | undefined,
  ): DebugMismatch | undefined {
    if (buildId !== undefined && c.elf.buildId !== undefined) {
      return buildIdMismatch(path, buildId, c.elf.buildId);
    }
    const link = module.elf().debugLink;
    if (link !== undefined && c.crc !== undefined) return crcMismatch(path, link.crc, c.crc);
    return undefined; // nothing to compare: trust the user
  }

  #read(path: string, withCrc: boolean): Candidate {
    const r = readCandidate(path, withCrc, this.#onRead);
    if (!r.ok) return r;
    try {
      return { ok: true, elf: parseElf(r.file.bytes, path), crc: r.file.crc };
    } catch (e) {
      if (!(e instanceof UsageError)) throw e;
      return { ok: false, reason: "not-elf", message: `${path} is not a usable ELF file` };
    }
  }
}

/** The CRC mismatch of a debuglink candidate, or undefined when it matches. */
function crcMismatch(path: string, expected: number, actual: number): DebugMismatch | undefined {
  if (expected === actual) return undefined;
  return { kind: "crc", path, expected: crcHex(expected), actual: crcHex(actual) };
}

/** The build-id mismatch of a candidate, or undefined when it matches. */
function buildIdMismatch(
  path: string,
  expected: string,
  actual: string | undefined,
): DebugMismatch | undefined {
  if (expected === actual) return undefined;
  return { kind: "build-id", path, expected, actual: actual ?? "none" };
}
