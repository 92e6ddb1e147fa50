/**
 * Fails early, in one line, when the process cannot load BPF programs or attach uprobes: missing
 * privileges, or (container_requirements.ts) no sysfs at /sys.
 */
import { RuntimeFailure } from "../errors.ts";
import { readStatus } from "../proc/status.ts";
import { CONTAINER_HINT, ensureSysfs } from "./container_requirements.ts";

/** Linux capability numbers (include/uapi/linux/capability.h). */
enum Capability {
  SysAdmin = 21,
}

/**
 * Root works, and so does CAP_SYS_ADMIN alone for processes of the same privileges: the kernel's
 * uprobe PMU demands CAP_SYS_ADMIN itself (`perf_uprobe_event_init`), so CAP_BPF with
 * CAP_PERFMON is not enough (checked: perf_event_open then fails with EACCES). Reading the maps
 * and namespaces of a more privileged process (a host process, from a container) additionally
 * needs CAP_SYS_PTRACE, which root has; without it those reads fail later with their own message.
 */
export function ensurePrivileges(procRoot = "/proc"): void {
  const caps = readStatus("self", procRoot).capEff ?? 0n;
  if ((caps & (1n << BigInt(Capability.SysAdmin))) === 0n) {
    throw new RuntimeFailure(
      "root privileges (CAP_SYS_ADMIN, which uprobes need) are needed to load eBPF programs and " +
        `attach uprobes: run ghostscope with sudo (in a container: ${CONTAINER_HINT.capabilities})`,
    );
  }
  // Then what must be mounted: a container without /sys is told so, not that uprobes are missing.
  ensureSysfs();
}
