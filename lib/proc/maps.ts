/**
 * Parser for `/proc/<pid>/maps` (see proc(5)).
 *
 * Line shape: `start-end perms offset major:minor inode [padding] [path]`. The path is everything
 * after the padding and may contain spaces. The kernel appends ` (deleted)` to files that were
 * unlinked; we strip it and set {@link MapsEntry.deleted}. The kernel escapes a newline in a path
 * as `\012`; we keep the path as printed (a literal backslash is not escaped, so decoding would be
 * ambiguous). Leading spaces of a path cannot be told apart from the padding and are lost.
 *
 * @module
 */

import { ProcFormatError } from "./errors.ts";
import { DEFAULT_PROC_ROOT, procPath, type ProcPid } from "./path.ts";

/** Suffix the kernel appends to mappings of unlinked files (fs/d_path.c). */
const DELETED_SUFFIX = " (deleted)";

/** What the path column names. */
export enum MapsPathKind {
  /** A file (absolute path). */
  File = "file",
  /** A kernel pseudo mapping such as `[heap]`, `[stack]`, `[vdso]`, `[vvar]`, `[vsyscall]`. */
  Pseudo = "pseudo",
  /** No path: an anonymous mapping. */
  Anonymous = "anonymous",
  /** Anything else without a leading slash, for example `anon_inode:[perf_event]`. */
  Other = "other",
}

/** Permission column, decoded. */
export interface MapsPerms {
  read: boolean;
  write: boolean;
  exec: boolean;
  /** `s` (shared) vs `p` (private, copy-on-write). */
  shared: boolean;
}

/** One line of /proc/<pid>/maps. */
export interface MapsEntry {
  /** Start address (inclusive). bigint: kernel-space pseudo mappings exceed 2^53. */
  start: bigint;
  /** End address (exclusive). */
  end: bigint;
  /** The permission column as printed, for example `r-xp`. */
  permsText: string;
  perms: MapsPerms;
  /** File offset of `start`. */
  offset: bigint;
  /** Device major (hex in the file). */
  devMajor: number;
  /** Device minor (hex in the file). */
  devMinor: number;
  /** Inode number (decimal in the file); 0 for anonymous mappings. */
  inode: bigint;
  /** The path without the ` (deleted)` marker; "" for anonymous mappings. */
  path: string;
  pathKind: MapsPathKind;
  /** True when the kernel marked the file as deleted. */
  deleted: boolean;
}

const LINE_RE =
  /^([0-9a-f]+)-([0-9a-f]+)\s+([r-][w-][x-][sp])\s+([0-9a-f]+)\s+([0-9a-f]+):([0-9a-f]+)\s+([0-9]+)(?:\s+(.*))?$/;

function classify(path: string): MapsPathKind {
  if (path === "") return MapsPathKind.Anonymous;
  if (path.startsWith("/")) return MapsPathKind.File;
  if (path.startsWith("[") && path.endsWith("]")) return MapsPathKind.Pseudo;
  return MapsPathKind.Other;
}

/**
 * Parses one maps line.
 *
 * @throws ProcFormatError when the line does not have the documented shape
 */
export function parseMapsLine(line: string, path = "maps"): MapsEntry {
  const m = LINE_RE.exec(line);
  if (!m) throw new ProcFormatError(path, `bad maps line '${line}'`);
  const [, start, end, permsText, offset, major, minor, inode, rest] = m;
  let mapped = rest ?? "";
  const kind = classify(mapped);
  let deleted = false;
  if (kind === MapsPathKind.File && mapped.endsWith(DELETED_SUFFIX)) {
    deleted = true;
    mapped = mapped.slice(0, -DELETED_SUFFIX.length);
  }
  return {
    start: BigInt(`0x${start}`),
    end: BigInt(`0x${end}`),
    permsText,
    perms: {
      read: permsText[0] === "r",
      write: permsText[1] === "w",
      exec: permsText[2] === "x",
      shared: permsText[3] === "s",
    },
    offset: BigInt(`0x${offset}`),
    devMajor: parseInt(major, 16),
    devMinor: parseInt(minor, 16),
    inode: BigInt(inode),
    path: mapped,
    pathKind: kind,
    deleted,
  };
}

/** Parses a whole maps file (empty lines ignored). */
export function parseMaps(text: string, path = "maps"): MapsEntry[] {
  return text.split("\n").filter((l) => l.length > 0).map((l) => parseMapsLine(l, path));
}

/** Reads and parses `<procRoot>/<pid>/maps`. */
export function readMaps(pid: ProcPid, procRoot: string = DEFAULT_PROC_ROOT): MapsEntry[] {
  const path = procPath(procRoot, pid, "maps");
  return parseMaps(Deno.readTextFileSync(path), path);
}
