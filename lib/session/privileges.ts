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
  SysPtrace = 19,
  Perfmon = 38,
  Bpf = 39,
}

/**
 * Root works; so does CAP_SYS_ADMIN, or CAP_BPF with CAP_PERFMON (uprobes through perf need
 * PERFMON). Reading another process's maps and memory additionally needs CAP_SYS_PTRACE, which
 * root has; without it /proc/PID/maps reads fail later with their own message.
 */
export function ensurePrivileges(procRoot = "/proc"): void {
  const caps = readStatus("self", procRoot).capEff ?? 0n;
  const has = (cap: Capability) => (caps & (1n << BigInt(cap))) !== 0n;
  if (!has(Capability.SysAdmin) && !(has(Capability.Bpf) && has(Capability.Perfmon))) {
    throw new RuntimeFailure(
      "root privileges (or CAP_BPF and CAP_PERFMON) are needed to load eBPF programs and attach " +
        `uprobes: run ghostscope with sudo (in a container: ${CONTAINER_HINT.capabilities})`,
    );
  }
  // Then what must be mounted: a container without /sys is told so, not that uprobes are missing.
  ensureSysfs();
}
