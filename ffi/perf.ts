/**
 * perf events that BPF programs attach to: uprobes (through the `uprobe` PMU, no tracefs needed)
 * and tracepoints (id from tracefs), plus linking a program to one with `bpf_link_create`.
 * Closing the returned fds detaches (closing a uprobe perf fd takes ~100 ms).
 */
import { BpfError, Errno, NotSupportedError } from "./errors.ts";
import { AttachType } from "./bpf_types.ts";
import { checkLibc, libc, Syscall, syscall } from "./libc.ts";
import { checkLibbpf, libbpf } from "./libbpf.ts";
import { cString, CStruct } from "./pointers.ts";

/** Where a uprobe goes. */
export interface UprobeSpec {
  /** Path of the ELF file (resolved by the kernel in the caller's mount namespace). */
  path: string;
  /** File offset of the probed instruction (not the virtual address). */
  offset: bigint | number;
  /** Only this process (a pid in the caller's pid namespace); omitted = every process. */
  pid?: number;
  /** Fire on function return instead of entry. */
  retprobe?: boolean;
}

/** A tracepoint, as named under `events/` in tracefs (`sched`, `sched_process_exec`). */
export interface TracepointSpec {
  category: string;
  name: string;
}

/** `perf_event_attr.type` values. */
enum PerfType {
  Tracepoint = 2,
}

/** `PERF_SAMPLE_*` bits. */
enum PerfSample {
  Raw = 1 << 10,
}

/** `perf_event_open` flags. */
enum PerfFlag {
  FdCloexec = 1 << 3,
}

/** perf ioctl requests. */
enum PerfIoctl {
  Enable = 0x2400,
  Disable = 0x2401,
}

// struct perf_event_attr, PERF_ATTR_SIZE_VER7 (kernel-recipes.md).
const ATTR = {
  size: 128,
  type: 0,
  sizeField: 4,
  config: 8,
  samplePeriod: 16,
  sampleType: 24,
  wakeupEvents: 48,
  config1: 56,
  config2: 64,
} as const;
const LINK_CREATE_OPTS_SIZE = 64;
const UPROBE_PMU = "/sys/bus/event_source/devices/uprobe";
const TRACEFS_ROOTS = ["/sys/kernel/tracing", "/sys/kernel/debug/tracing"];

interface UprobePmu {
  type: number;
  retprobeBit: number;
}

let uprobePmu: UprobePmu | undefined;

function readUprobePmu(): UprobePmu {
  if (uprobePmu !== undefined) return uprobePmu;
  let type: number;
  try {
    type = Number(Deno.readTextFileSync(`${UPROBE_PMU}/type`).trim());
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
    // No PMU directory at all: sysfs is not mounted (a container), not a kernel without uprobes.
    const why = pathPresent("/sys/bus/event_source/devices")
      ? "kernel built without CONFIG_UPROBE_EVENTS?"
      : "sysfs is not mounted at /sys: mount it, or in a container add -v /sys:/sys:ro";
    throw new NotSupportedError(
      "uprobe PMU",
      `uprobes are not available: ${UPROBE_PMU}/type is missing (${why})`,
    );
  }
  // `format/retprobe` reads "config:0"; bit 0 is the long-standing value.
  let retprobeBit = 0;
  try {
    const match = /config:(\d+)/.exec(Deno.readTextFileSync(`${UPROBE_PMU}/format/retprobe`));
    if (match) retprobeBit = Number(match[1]);
  } catch {
    // Keep bit 0.
  }
  uprobePmu = { type, retprobeBit };
  return uprobePmu;
}

function pathPresent(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** `pid=-1, cpu=0` watches every process; `pid=N, cpu=-1` one process on any CPU. */
function scope(pid: number | undefined): { pid: number; cpu: number } {
  return pid === undefined ? { pid: -1, cpu: 0 } : { pid, cpu: -1 };
}

function perfEventOpen(op: string, attr: CStruct, pid: number, cpu: number): number {
  const groupFd = -1;
  const rc = syscall(Syscall.PerfEventOpen, attr.address(), pid, cpu, groupFd, PerfFlag.FdCloexec);
  attr.keepAlive();
  return checkLibc(op, rc);
}

function uprobeAttr(spec: UprobeSpec): CStruct {
  const pmu = readUprobePmu();
  return new CStruct(ATTR.size)
    .u32(ATTR.type, pmu.type)
    .u32(ATTR.sizeField, ATTR.size)
    .u64(ATTR.config, spec.retprobe ? 1n << BigInt(pmu.retprobeBit) : 0n)
    .u64(ATTR.samplePeriod, 1)
    .u32(ATTR.wakeupEvents, 1)
    .pointer(ATTR.config1, cString(spec.path))
    .u64(ATTR.config2, BigInt(spec.offset));
}

/**
 * Opens a uprobe perf event and returns its fd (enabled at open).
 * @throws {BpfError} ENOENT for a missing file, ESRCH for a pid that is gone, EINVAL for a bad
 *   offset, EPERM/EACCES without privileges
 * @throws {NotSupportedError} when the kernel has no uprobe PMU
 */
export function openUprobe(spec: UprobeSpec): number {
  const kind = spec.retprobe ? "uretprobe" : "uprobe";
  const target = spec.pid === undefined ? "" : ` pid ${spec.pid}`;
  const op = `perf_event_open(${kind} ${spec.path}+0x${BigInt(spec.offset).toString(16)}${target})`;
  const attr = uprobeAttr(spec);
  const { pid, cpu } = scope(spec.pid);
  return perfEventOpen(op, attr, pid, cpu);
}

/**
 * {@link openUprobe} on an FFI worker thread. `perf_event_open(uprobe)` mostly waits in the kernel
 * (8-30 ms here, without using the CPU), so a caller can overlap it with its own work and open
 * several at once. A failed attempt is repeated with {@link openUprobe} (errno is thread-local),
 * so failures reject with exactly the error {@link openUprobe} throws.
 */
export async function openUprobeAsync(spec: UprobeSpec): Promise<number> {
  const attr = uprobeAttr(spec);
  const { pid, cpu } = scope(spec.pid);
  const rc = await libc().syscall_nb(
    BigInt(Syscall.PerfEventOpen),
    attr.address(),
    BigInt(pid),
    BigInt(cpu),
    -1n,
    BigInt(PerfFlag.FdCloexec),
    0n,
  );
  attr.keepAlive();
  return rc >= 0n ? Number(rc) : openUprobe(spec);
}

/** The tracefs directory holding `events/`, or `null` when tracefs is not mounted. */
export function tracefsRoot(): string | null {
  for (const root of TRACEFS_ROOTS) {
    try {
      if (Deno.statSync(`${root}/events`).isDirectory) return root;
    } catch (err) {
      // Absent: try the next one. Anything else (no permission) is worth seeing.
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return null;
}

/**
 * Id of a tracepoint, read from tracefs.
 * @throws {NotSupportedError} when tracefs is not mounted
 * @throws {BpfError} ENOENT when the tracepoint does not exist
 */
export function tracepointId(spec: TracepointSpec): number {
  const root = tracefsRoot();
  if (root === null) {
    throw new NotSupportedError(
      "tracefs",
      "tracefs is not mounted: run `mount -t tracefs nodev /sys/kernel/tracing` " +
        "(in a container: -v /sys/kernel/tracing:/sys/kernel/tracing)",
    );
  }
  const path = `${root}/events/${spec.category}/${spec.name}/id`;
  try {
    return Number(Deno.readTextFileSync(path).trim());
  } catch (err) {
    const op = `tracepoint ${spec.category}:${spec.name} (${path})`;
    if (err instanceof Deno.errors.NotFound) throw new BpfError(op, Errno.ENOENT);
    throw err;
  }
}

/**
 * Opens a tracepoint perf event (every process, every CPU) and returns its fd.
 * @throws {NotSupportedError} when tracefs is not mounted
 * @throws {BpfError} ENOENT for an unknown tracepoint, EPERM/EACCES without privileges
 */
export function openTracepoint(spec: TracepointSpec): number {
  const id = tracepointId(spec);
  const attr = new CStruct(ATTR.size)
    .u32(ATTR.type, PerfType.Tracepoint)
    .u32(ATTR.sizeField, ATTR.size)
    .u64(ATTR.config, id)
    .u64(ATTR.samplePeriod, 1)
    .u64(ATTR.sampleType, PerfSample.Raw)
    .u32(ATTR.wakeupEvents, 1);
  const { pid, cpu } = scope(undefined);
  return perfEventOpen(`perf_event_open(tracepoint ${spec.category}:${spec.name})`, attr, pid, cpu);
}

/**
 * Links `progFd` to the perf event `perfFd` (`bpf_link_create(BPF_PERF_EVENT)`) and returns the
 * link fd. Closing the link fd (and the perf fd) detaches.
 * @throws {BpfError} e.g. EINVAL when the program type does not fit the event
 */
export function attachBpf(perfFd: number, progFd: number): number {
  const opts = new CStruct(LINK_CREATE_OPTS_SIZE).u64(0, LINK_CREATE_OPTS_SIZE);
  const fd = libbpf().bpf_link_create(progFd, perfFd, AttachType.PerfEvent, opts.bytes);
  return checkLibbpf(`bpf_link_create(prog fd ${progFd}, perf fd ${perfFd})`, fd);
}

/**
 * Enables a perf event (`PERF_EVENT_IOC_ENABLE`). Events opened here start enabled; this is for
 * symmetry with {@link disable} and harmless to repeat.
 */
export function enable(perfFd: number): void {
  checkLibc(
    `ioctl(${perfFd}, PERF_EVENT_IOC_ENABLE)`,
    libc().ioctl(perfFd, BigInt(PerfIoctl.Enable), 0n),
  );
}

/** Disables a perf event (`PERF_EVENT_IOC_DISABLE`): the program stops firing, stays attached. */
export function disable(perfFd: number): void {
  checkLibc(
    `ioctl(${perfFd}, PERF_EVENT_IOC_DISABLE)`,
    libc().ioctl(perfFd, BigInt(PerfIoctl.Disable), 0n),
  );
}
