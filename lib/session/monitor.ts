/**
 * The lifecycle monitor of a session (`lib/sysmon`'s ProcessTracker), started in one place for
 * every session kind:
 *
 * - `-t PATH`: follows every process that maps the module (on unless `--no-sysmon`);
 * - `-t PATH -p PID` and `-p PID`: follows that process only (`onlyProcPid`); a `-p` run starts
 *   it only when the script reads globals of other modules (`proc_module_offsets`, see
 *   `other_modules.ts`), so a library dlopen'ed after attach becomes readable without a restart.
 *
 * Where the monitor cannot run, the session goes on without it; when the programs reference the
 * sysmon maps, they are still created (empty: those globals read `<proc offsets unavailable>`).
 * Loaded on demand: a `-p` run that needs no monitor never imports the tracker.
 * @module
 */

import {
  ProcessTracker,
  SysmonMapStore,
  SysmonUnavailable,
  type TargetModule,
} from "../sysmon/mod.ts";
import { FollowStatus } from "./follow_status.ts";
import type { Resources } from "./resources.ts";
import type { Status } from "./status.ts";

/** Inputs of {@link startMonitor}. */
export interface MonitorOptions {
  resources: Resources;
  status: Status;
  /** The module followed (opened on demand: a failure turns the monitor off with a notice). */
  module: () => TargetModule;
  /** Follow this proc PID only (`-p`). */
  onlyProcPid?: number;
  /** Modules whose offsets are published besides the followed one's. */
  extraModules: readonly TargetModule[];
  /** Show a "following N processes" status line (standalone `-t`, status on, a terminal). */
  followStatus: boolean;
  /** What the "sysmon is off" notice adds about the consequence. */
  offConsequence: string;
}

/** What the session gets from {@link startMonitor}. */
export interface SessionMonitor {
  /** The running tracker, when it could start. */
  tracker?: ProcessTracker;
  /** The sysmon maps by program-side name (for `assemble`), when the programs need them. */
  mapFds?: Record<string, number>;
  /** The monitor's non-blocking work, when it runs. */
  poll?: () => void;
}

/** Starts the monitor, held by `resources`. */
export function startMonitor(o: MonitorOptions): SessionMonitor {
  const { resources, status } = o;
  const off = (text: string): SessionMonitor => {
    status.notice(`sysmon is off: ${text}; ${o.offConsequence}`);
    return emptyMaps(o);
  };
  let module: TargetModule;
  try {
    module = o.module();
  } catch (err) {
    return off((err as Error).message);
  }
  const follow = o.followStatus
    ? new FollowStatus((text) => status.info(text), module.path)
    : undefined;
  const tracker = resources.hold(
    new ProcessTracker({
      module,
      onlyProcPid: o.onlyProcPid,
      extraModules: o.extraModules,
      notice: (text) => status.notice(text),
      onChange: follow === undefined ? undefined : (n) => follow.update(n),
    }),
    "sysmon",
    (t) => {
      for (const failure of t.close()) status.notice(`cleanup failed: ${failure}`);
    },
  );
  try {
    tracker.start();
  } catch (err) {
    if (!(err instanceof SysmonUnavailable)) throw err;
    return off(err.message);
  }
  return {
    tracker,
    mapFds: tracker.store.fds,
    poll: () => {
      tracker.poll();
      follow?.flush();
    },
  };
}

/** The sysmon maps alone (no programs, no entries) when the programs reference them. */
function emptyMaps(o: MonitorOptions): SessionMonitor {
  return o.extraModules.length === 0 ? {} : { mapFds: new SysmonMapStore(o.resources).fds };
}
