/**
 * Container markers found in cgroup paths. Markers are EVIDENCE for reports and scenario labels
 * only; no filtering decision rests on them (decisions use PID-namespace inodes).
 *
 * @module
 */

import type { CgroupEntry } from "../proc/cgroup.ts";

/** Substrings of a cgroup path (lower case) that container runtimes leave behind. */
export const CONTAINER_CGROUP_MARKERS = [
  "docker",
  "containerd",
  "kubepods",
  "cri-containerd",
  "libpod",
] as const;

/** Files container runtimes create at the root of a container: Docker, Podman. */
export const CONTAINER_ROOT_MARKERS = ["/.dockerenv", "/run/.containerenv"] as const;

/** A marker found in a cgroup file. */
export interface CgroupMarkerHit {
  marker: string;
  /** The line's path that contained it. */
  path: string;
}

/** Returns the first container marker found in any path of the entries, if any. */
export function findCgroupMarker(entries: CgroupEntry[]): CgroupMarkerHit | undefined {
  for (const entry of entries) {
    const lower = entry.path.toLowerCase();
    // Prefer the most specific marker ("cri-containerd" over "containerd").
    const specific = [...CONTAINER_CGROUP_MARKERS].sort((a, b) => b.length - a.length);
    const marker = specific.find((m) => lower.includes(m));
    if (marker) return { marker, path: entry.path };
  }
  return undefined;
}
