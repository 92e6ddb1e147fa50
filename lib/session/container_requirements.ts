/**
 * What a run needs mounted, checked at start so a container that lacks it is told what to mount,
 * in one line, before anything else fails in a confusing way. Uprobes attach through sysfs's
 * uprobe PMU (`/sys/bus/event_source/devices/uprobe`, no tracefs needed); `-t` (the process
 * monitor) also needs tracefs (its own message, lib/sysmon/tracepoint_format.ts). ghostscope pins
 * nothing, so `/sys/fs/bpf` is not needed.
 *
 * @module
 */
import { RuntimeFailure } from "../errors.ts";
import { pathExists } from "../fs_checks.ts";

/** The PMU directory uprobes are opened through. */
export const UPROBE_PMU_DIR = "/sys/bus/event_source/devices/uprobe";

/** What to add to a container for the piece that is missing (for the messages). */
export const CONTAINER_HINT = {
  sysfs: "docker run -v /sys:/sys:ro, or --privileged",
  tracefs: "-v /sys/kernel/tracing:/sys/kernel/tracing",
  capabilities: "--privileged, or --cap-add SYS_ADMIN --cap-add SYS_PTRACE",
} as const;

/**
 * Throws the one-line reason when /proc is not mounted: every run reads it (and without it Deno
 * itself aborts on the first `Deno.execPath()`), so this is checked before anything else.
 */
export function ensureProc(exists: (path: string) => boolean = pathExists): void {
  if (exists("/proc/self/stat")) return;
  throw new RuntimeFailure("/proc is not mounted: mount it (mount -t proc proc /proc)");
}

/**
 * Throws the one-line reason when sysfs is not mounted at /sys (a container started without it):
 * without this, the missing uprobe PMU would read as a kernel built without uprobes.
 */
export function ensureSysfs(exists: (path: string) => boolean = pathExists): void {
  if (exists("/sys/bus/event_source/devices")) return;
  throw new RuntimeFailure(
    "sysfs is not mounted at /sys (uprobes attach through " + UPROBE_PMU_DIR + "): mount it " +
      `(mount -t sysfs sysfs /sys; in a container: ${CONTAINER_HINT.sysfs})`,
  );
}
