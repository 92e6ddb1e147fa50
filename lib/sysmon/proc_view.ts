/**
 * What ghostscope's own /proc says about a process: whether it maps the module (matched by device
 * and inode, reaching files of other mount namespaces through `/proc/PID/root`), and who it is
 * (start time, PID namespace, TGID chain). A process that vanished answers `null`.
 * @module
 */

import { pathExists } from "../fs_checks.ts";
import { type MapsEntry, MapsPathKind, readMaps } from "../proc/maps.ts";
import { readPidNs } from "../proc/ns.ts";
import { procPath } from "../proc/path.ts";
import { readStat } from "../proc/stat.ts";
import { readStatus } from "../proc/status.ts";
import { fileIdentity, sameFile, type TargetModule } from "./module.ts";

/** Numeric entries of /proc: every process visible from here. */
export function listProcPids(procRoot: string): number[] {
  const pids: number[] = [];
  for (const entry of Deno.readDirSync(procRoot)) {
    if (/^[0-9]+$/.test(entry.name)) pids.push(Number(entry.name));
  }
  return pids;
}

/** True for errors that mean "the process is gone". */
export function isGone(err: unknown): boolean {
  return err instanceof Deno.errors.NotFound ||
    (err instanceof Error && /ESRCH|No such process/.test(err.message));
}

/**
 * The maps lines of `procPid` that map `module`'s file, `[]` when it does not map it (or its
 * maps cannot be read), `null` when the process is gone.
 *
 * Matching: device and inode as printed in maps. When only the inode matches (overlayfs reports
 * the real inode's device), the mapped path is stat'ed through `/proc/PID/root` and must be the
 * module's file.
 */
export function moduleMappings(
  procPid: number,
  module: TargetModule,
  procRoot: string,
): MapsEntry[] | null {
  let entries: MapsEntry[];
  try {
    entries = readMaps(procPid, procRoot);
  } catch (err) {
    if (isGone(err)) return null;
    return [];
  }
  const id = module.identity;
  const out: MapsEntry[] = [];
  let inodeOnly: MapsEntry[] | undefined;
  for (const e of entries) {
    if (e.pathKind !== MapsPathKind.File || e.inode !== id.ino) continue;
    if (e.devMajor === id.major && e.devMinor === id.minor) out.push(e);
    else (inodeOnly ??= []).push(e);
  }
  if (out.length > 0 || inodeOnly === undefined) return out;
  try {
    const info = Deno.statSync(procPath(procRoot, procPid, "root") + inodeOnly[0].path);
    return sameFile(fileIdentity(info), id) ? inodeOnly : [];
  } catch {
    return [];
  }
}

/**
 * True when the mappings include code: a process only "maps the module" (and can hit a uprobe in
 * it) once part of the file is mapped executable; a read-only mapping of the file (ld.so's first
 * look at a library, a tool reading the file) does not count.
 */
export function mapsCode(mappings: readonly MapsEntry[] | null): boolean {
  return mappings !== null && mappings.some((m) => m.perms.exec);
}

/** Who a process is, from ghostscope's /proc. */
export interface ProcIdentity {
  procPid: number;
  /** Start time (clock ticks after boot): with the PID, identifies the process over time. */
  startTime: bigint;
  /** One-letter state (`Z`: zombie, already exited). */
  state: string;
  comm: string;
  /** Its PID namespace: nsfs device (kernel encoding; undefined if unknown) and inode. */
  nsDev: bigint | undefined;
  nsIno: bigint;
  /** TGID in its own (innermost) namespace: the tail of `NStgid`. */
  nsTgid: number;
}

/**
 * Reads a process's identity, `null` when it is gone.
 * @throws when the process exists but its files cannot be read or parsed (the caller retries)
 */
export function readProcIdentity(procPid: number, procRoot: string): ProcIdentity | null {
  try {
    const stat = readStat(procPid, procRoot);
    const status = readStatus(procPid, procRoot);
    const ns = readPidNs(procPid, { procRoot });
    const chain = status.nsTgid ?? [status.tgid];
    return {
      procPid,
      startTime: stat.startTime,
      state: stat.state,
      comm: stat.comm,
      nsDev: ns.dev,
      nsIno: ns.ino,
      nsTgid: chain[chain.length - 1],
    };
  } catch (err) {
    // A process being reaped can leave a half-formed stat line behind: gone all the same.
    if (isGone(err) || !pathExists(procPath(procRoot, procPid))) return null;
    throw err;
  }
}

/** True while the process exists, has the given start time and has not exited (zombie). */
export function stillSameProcess(procPid: number, startTime: bigint, procRoot: string): boolean {
  try {
    const stat = readStat(procPid, procRoot);
    return stat.startTime === startTime && stat.state !== "Z" && stat.state !== "X";
  } catch {
    return false;
  }
}

/** The task id is a thread of another process (its `Tgid` differs), `null` when it is gone. */
export function threadOf(tid: number, procRoot: string): number | null {
  try {
    return readStatus(tid, procRoot).tgid;
  } catch {
    return null;
  }
}

/** Child PIDs of every thread of `procPid` (`/proc/PID/task/TID/children`). */
export function childrenOf(procPid: number, procRoot: string): number[] {
  const out: number[] = [];
  try {
    for (const task of Deno.readDirSync(procPath(procRoot, procPid, "task"))) {
      try {
        const text = Deno.readTextFileSync(
          procPath(procRoot, procPid, "task", task.name, "children"),
        );
        for (const t of text.trim().split(/\s+/)) if (/^[0-9]+$/.test(t)) out.push(Number(t));
      } catch {
        // thread gone
      }
    }
  } catch {
    // process gone
  }
  return out;
}
