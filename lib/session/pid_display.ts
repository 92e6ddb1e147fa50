/**
 * Which PID/TID an event is shown with: the ids the user would recognize, i.e. as `ps` shows them
 * where ghostscope runs.
 *
 * - ghostscope in the initial PID namespace: the kernel's host ids are the user's ids.
 * - ghostscope in a private namespace: host ids mean nothing here, so the event's ids in the
 *   program's view namespace (the target's own namespace) are used. When the target lives in
 *   that same namespace they are the user's ids as they are; when it lives in a nested child
 *   namespace, thread ids are translated through `/proc/PID/task/TID/status` (NSpid: first entry =
 *   our view, last = the target's own namespace). Host ids are then reported as 0.
 */
import type { PidView } from "../../bpf/task_filter.ts";
import type { DecodedEvent } from "../../bpf/wire.ts";
import type { TraceablePidPlan } from "../pid/mod.ts";
import { parseStatus } from "../proc/status.ts";
import { NsRelation } from "../pid/resolve.ts";

/** The ids an event is shown with. */
export interface ShownIds {
  pid: number;
  tid: number;
  hostPid: number;
  hostTid: number;
}

/** The kernel's host ids, for ghostscope in the initial PID namespace. */
const hostIds = (e: DecodedEvent): ShownIds => ({
  pid: e.hostTgid,
  tid: e.hostTid,
  hostPid: e.hostTgid,
  hostTid: e.hostTid,
});

/**
 * Ids shown for standalone -t: host ids in the initial namespace; otherwise the event's ids in
 * ghostscope's namespace, or — for a process in a nested namespace, which has none there — the
 * proc PID the monitor bound to its host TGID (0 when unknown).
 */
export function ownScopeDisplay(
  view: PidView,
  tracker: { procPidOf(hostTgid: number): number | undefined } | undefined,
): (event: DecodedEvent) => ShownIds {
  if (view.kind === "host") return hostIds;
  return (e) => ({
    pid: e.viewTgid || (tracker?.procPidOf(e.hostTgid) ?? 0),
    tid: e.viewTid,
    hostPid: 0,
    hostTid: 0,
  });
}

/** Returns the mapping for a plan's events. */
export function pidDisplay(
  plan: TraceablePidPlan,
  procRoot = "/proc",
): (event: DecodedEvent) => ShownIds {
  if (plan.views.selfInInitialPidNs) return hostIds;
  const pid = plan.views.procPid;
  if (plan.views.relation === NsRelation.Same) {
    return (e) => ({ pid, tid: e.viewTid, hostPid: e.hostTgid, hostTid: e.hostTid });
  }
  const tids = new InnermostTidMap(pid, procRoot);
  return (e) => ({
    pid,
    tid: tids.outer(e.viewTid),
    hostPid: e.hostTgid,
    hostTid: e.hostTid,
  });
}

/** Maps a thread's id in the target's own namespace to its id in our /proc view. */
class InnermostTidMap {
  #map = new Map<number, number>();

  constructor(private readonly pid: number, private readonly procRoot: string) {}

  outer(innerTid: number): number {
    let tid = this.#map.get(innerTid);
    if (tid === undefined) {
      this.#rescan(); // a thread created after the last scan
      tid = this.#map.get(innerTid) ?? 0;
    }
    return tid;
  }

  #rescan(): void {
    this.#map.clear();
    try {
      for (const entry of Deno.readDirSync(`${this.procRoot}/${this.pid}/task`)) {
        const path = `${this.procRoot}/${this.pid}/task/${entry.name}/status`;
        const chain = parseStatus(Deno.readTextFileSync(path), path).nsPid;
        if (chain && chain.length > 0) this.#map.set(chain[chain.length - 1], chain[0]);
      }
    } catch {
      // The process or thread exited meanwhile: unknown ids show as 0.
    }
  }
}
