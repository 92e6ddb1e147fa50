/**
 * The kernel objects of one tracing run: the shared maps, one program per trace block, and one
 * uprobe link per probe site. Every object is registered with {@link Resources} as it is created,
 * so a failure half-way through attaching still releases everything.
 */
import { closeFd, loadProgram, mapLookup, possibleCpus, ProgType } from "../../ffi/bpf.ts";
import { VerifierError } from "../../ffi/errors.ts";
import { attachBpf, openUprobe, openUprobeAsync } from "../../ffi/perf.ts";
import {
  EVENTS_MAP,
  eventsMapSpec,
  LOST_MAP,
  lostMapSpec,
  SCRATCH_MAP,
  scratchMapSpec,
} from "../../bpf/maps.ts";
import { RuntimeFailure } from "../errors.ts";
import { createHeldMap } from "./held_map.ts";
import type { Resources } from "./resources.ts";
import type { ProbeSite } from "./probe_site.ts";

/** Lines of the verifier log shown when a program is rejected. */
const VERIFIER_TAIL_LINES = 12;

/** The shared maps of a run, by name (as the assembler's relocations name them). */
export interface SessionMaps {
  fds: Record<string, number>;
  eventsFd: number;
  lostFd: number;
}

/** Creates the event ring buffer and the loss counter. */
export function createSessionMaps(resources: Resources, ringbufSize: number): SessionMaps {
  const eventsFd = createHeldMap(resources, eventsMapSpec(ringbufSize));
  const lostFd = createHeldMap(resources, lostMapSpec());
  // buffers of byte-string comparisons larger than the stack (bpf/bytes_compare.ts)
  const scratchFd = createHeldMap(resources, scratchMapSpec());
  return {
    fds: { [EVENTS_MAP]: eventsFd, [LOST_MAP]: lostFd, [SCRATCH_MAP]: scratchFd },
    eventsFd,
    lostFd,
  };
}

/**
 * Loads one trace program. A verifier rejection becomes one message naming the trace and
 * quoting the tail of the verifier log.
 */
export function loadTraceProgram(
  resources: Resources,
  name: string,
  traceLabel: string,
  insns: Uint8Array,
): number {
  let fd: number;
  try {
    fd = loadProgram({ type: ProgType.Kprobe, name, insns, license: "GPL" });
  } catch (err) {
    if (err instanceof VerifierError) {
      const tail = err.log.trim().split("\n").slice(-VERIFIER_TAIL_LINES).join("\n  ");
      throw new RuntimeFailure(
        `the kernel verifier rejected the program for ${traceLabel}; end of the verifier log:\n  ${tail}`,
      );
    }
    throw err;
  }
  return resources.hold(fd, `program ${name}`, closeFd);
}

/** The outcome of {@link openSiteUprobe}: never rejects, so an unawaited one cannot crash. */
export type UprobeOpening = Promise<{ fd: number } | { error: unknown }>;

/**
 * Starts opening the uprobe perf event of a probe site (the file at that offset, scoped to `pid`
 * when given; perf interprets it in our PID namespace). The kernel takes 8-30 ms, mostly asleep,
 * so callers start every site's open first and load programs meanwhile; a uprobe with no program
 * linked records nothing. The fd is registered with `resources` as soon as it exists: await
 * every opening before releasing them.
 */
export function openSiteUprobe(
  resources: Resources,
  site: ProbeSite,
  pid: number | undefined,
): UprobeOpening {
  const retprobe = site.role === "return";
  return openUprobeAsync({ path: site.uprobePath, offset: site.fileOffset, pid, retprobe }).then(
    (fd) => ({ fd: resources.hold(fd, `uprobe ${site.label}`, closeFd) }),
    (error) => ({ error }),
  );
}

/** Links a loaded program to a site's uprobe once open; throws the open's error if it failed. */
export async function linkSiteUprobe(
  resources: Resources,
  progFd: number,
  site: ProbeSite,
  opening: UprobeOpening,
): Promise<void> {
  const opened = await opening;
  if ("error" in opened) throw opened.error;
  resources.hold(attachBpf(opened.fd, progFd), `link ${site.label}`, closeFd);
}

/**
 * Opens a new uprobe for `site` scoped to `pid` and links `progFd` to it, synchronously (used
 * mid-session; the previous uprobe stays held until teardown, silent).
 */
export function relinkSiteUprobe(
  resources: Resources,
  progFd: number,
  site: ProbeSite,
  pid: number,
): void {
  // The exited thread's /proc/PID/root is gone with it: reach the file through the new thread.
  const path = site.uprobePath.replace(/^\/proc\/\d+\/root\//, `/proc/${pid}/root/`);
  const fd = resources.hold(
    openUprobe({ path, offset: site.fileOffset, pid, retprobe: site.role === "return" }),
    `uprobe ${site.label} (thread ${pid})`,
    closeFd,
  );
  resources.hold(attachBpf(fd, progFd), `link ${site.label} (thread ${pid})`, closeFd);
}

/** Sums the per-CPU loss counter. */
export function readLostCount(lostFd: number): number {
  const cpus = possibleCpus();
  const value = mapLookup(lostFd, new Uint8Array(4), 8 * cpus);
  if (value === null) return 0;
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  let total = 0n;
  for (let cpu = 0; cpu < cpus; cpu++) total += view.getBigUint64(cpu * 8, true);
  return Number(total);
}
