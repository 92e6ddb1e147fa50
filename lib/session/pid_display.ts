/**
 * Which PID/TID the pretty header shows: the ones the user would recognize, i.e. as `ps` shows
 * them where ghostscope runs. In the initial PID namespace those are the kernel's host ids. Inside
 * a private namespace the host ids mean nothing to the user, so the process is shown as the PID the
 * user typed (resolved to its /proc PID) and host ids are reported as 0 ("unknowable from here").
 */
import type { TraceablePidPlan } from "../pid/mod.ts";

/** The ids an event is shown with. */
export interface ShownIds {
  pid: number;
  tid: number;
  hostPid: number;
  hostTid: number;
}

/** Returns the mapping for a plan's events. */
export function pidDisplay(plan: TraceablePidPlan): (hostTgid: number, hostTid: number) => ShownIds {
  if (plan.views.selfInInitialPidNs) {
    return (hostTgid, hostTid) => ({ pid: hostTgid, tid: hostTid, hostPid: hostTgid, hostTid });
  }
  const pid = plan.views.procPid;
  return (_hostTgid, _hostTid) => ({ pid, tid: 0, hostPid: 0, hostTid: 0 });
}
