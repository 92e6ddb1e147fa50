/**
 * Reader for `/proc/sys/kernel/osrelease` (the `uname -r` string) and the WSL check on it.
 *
 * @module
 */

import { DEFAULT_PROC_ROOT, procRootPath } from "./path.ts";

/** Substrings (lower case) that identify a Windows Subsystem for Linux kernel. */
const WSL_MARKERS = ["microsoft", "wsl"] as const;

/** Reads the kernel release string, trimmed. */
export function readOsRelease(procRoot: string = DEFAULT_PROC_ROOT): string {
  return Deno.readTextFileSync(procRootPath(procRoot, "sys", "kernel", "osrelease")).trim();
}

/** True when the release string names a WSL kernel (e.g. `5.15.153.1-microsoft-standard-WSL2`). */
export function isWslRelease(release: string): boolean {
  const lower = release.toLowerCase();
  return WSL_MARKERS.some((marker) => lower.includes(marker));
}
