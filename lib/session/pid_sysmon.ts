/**
 * The narrow lifecycle monitor of a `-p PID` run: when the script reads globals of modules other
 * than the probed one (through `proc_module_offsets`, see `other_modules.ts`), the monitor
 * follows the watched process only (allow-listed by its pid, no fork or library-candidate
 * probes) and refreshes its offsets entries on every map change, so a library it dlopen's after
 * ghostscope attached becomes readable without a restart. Loaded on demand: a `-p` run that reads
 * no such global never imports `lib/sysmon`'s tracker.
 * @module
 */

import type { ProcessModule } from "./process_modules.ts";
import type { Resources } from "./resources.ts";
import type { Status } from "./status.ts";
import {
  openTargetModule,
  ProcessTracker,
  SysmonMapStore,
  SysmonUnavailable,
  type TargetModule,
} from "../sysmon/mod.ts";

/** What the session gets from {@link startPidSysmon}. */
export interface PidSysmon {
  /** The sysmon maps by program-side name (for `assemble`). */
  mapFds: Record<string, number>;
  /** The monitor's non-blocking work, when it runs. */
  poll?: () => void;
}

/**
 * Starts the monitor for proc PID `procPid`, held by `resources`, publishing the offsets of
 * `extra` besides those of `main` (the executable). Where it cannot run, the maps are still
 * created (empty: the globals then read `<proc offsets unavailable>`) and a notice says why.
 */
export function startPidSysmon(
  resources: Resources,
  procPid: number,
  main: ProcessModule,
  extra: readonly TargetModule[],
  status: Status,
): PidSysmon {
  let module: TargetModule;
  try {
    module = openTargetModule(main.hostPath);
  } catch (err) {
    status.notice(`sysmon is off: ${(err as Error).message}`);
    return emptySysmonMaps(resources);
  }
  const tracker = resources.hold(
    new ProcessTracker({
      module,
      onlyProcPid: procPid,
      extraModules: extra,
      notice: (text) => status.notice(text),
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
    status.notice(`sysmon is off: ${err.message}; globals of other modules are unavailable`);
    return emptySysmonMaps(resources);
  }
  return { mapFds: tracker.store.fds, poll: () => tracker.poll() };
}

/** The sysmon maps alone (no programs, no entries): lookups in them miss. */
export function emptySysmonMaps(resources: Resources): PidSysmon {
  return { mapFds: new SysmonMapStore(resources).fds };
}
