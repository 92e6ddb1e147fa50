/**
 * Parser for `/proc/<pid>/cgroup` (see cgroups(7)). Each line is
 * `hierarchy-ID:controller-list:cgroup-path`. cgroup v2 uses the single line `0::<path>`; cgroup v1
 * hierarchies have a non-zero id and a comma-separated controller list (or `name=...`).
 * The path may contain `:`, so only the first two colons split the line.
 *
 * @module
 */

import { ProcFormatError } from "./errors.ts";
import { DEFAULT_PROC_ROOT, parseDecimal, procPath, type ProcPid } from "./path.ts";

/** Hierarchy id of the unified (v2) hierarchy. */
const UNIFIED_HIERARCHY_ID = 0;

/** One line of a cgroup file. */
export interface CgroupEntry {
  hierarchyId: number;
  /** Controllers of a v1 hierarchy (e.g. ["cpu", "cpuacct"] or ["name=systemd"]); [] for v2. */
  controllers: string[];
  /** Path of the cgroup relative to the reader's cgroup-namespace root. */
  path: string;
}

/** Which cgroup layout the file shows. */
export enum CgroupLayout {
  /** Only the `0::` line. */
  V2 = "v2",
  /** Only v1 hierarchies. */
  V1 = "v1",
  /** v1 hierarchies plus the `0::` line (systemd "hybrid"). */
  Hybrid = "hybrid",
  /** No lines at all. */
  Empty = "empty",
}

/** Parses one line. */
export function parseCgroupLine(line: string, path = "cgroup"): CgroupEntry {
  const first = line.indexOf(":");
  const second = first < 0 ? -1 : line.indexOf(":", first + 1);
  if (second < 0) throw new ProcFormatError(path, `bad cgroup line '${line}'`);
  const hierarchyId = parseDecimal(line.slice(0, first));
  if (hierarchyId === undefined) throw new ProcFormatError(path, `bad hierarchy id in '${line}'`);
  const list = line.slice(first + 1, second);
  return {
    hierarchyId,
    controllers: list === "" ? [] : list.split(","),
    path: line.slice(second + 1),
  };
}

/** Parses a whole cgroup file (empty lines ignored). */
export function parseCgroup(text: string, path = "cgroup"): CgroupEntry[] {
  return text.split("\n").filter((l) => l.length > 0).map((l) => parseCgroupLine(l, path));
}

/** Classifies the layout of parsed entries. */
export function cgroupLayout(entries: CgroupEntry[]): CgroupLayout {
  const unified = entries.some((e) => e.hierarchyId === UNIFIED_HIERARCHY_ID);
  const legacy = entries.some((e) => e.hierarchyId !== UNIFIED_HIERARCHY_ID);
  if (unified && legacy) return CgroupLayout.Hybrid;
  if (unified) return CgroupLayout.V2;
  if (legacy) return CgroupLayout.V1;
  return CgroupLayout.Empty;
}

/** The path of the unified hierarchy, if there is a `0::` line. */
export function unifiedCgroupPath(entries: CgroupEntry[]): string | undefined {
  return entries.find((e) => e.hierarchyId === UNIFIED_HIERARCHY_ID)?.path;
}

/** Reads and parses `<procRoot>/<pid>/cgroup`. */
export function readCgroup(pid: ProcPid, procRoot: string = DEFAULT_PROC_ROOT): CgroupEntry[] {
  const path = procPath(procRoot, pid, "cgroup");
  return parseCgroup(Deno.readTextFileSync(path), path);
}
