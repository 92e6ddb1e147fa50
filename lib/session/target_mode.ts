/**
 * The `-t PATH` session mode: trace a module (executable or shared library) in every process that
 * maps it, including processes that start later; the pipeline (`pipeline.ts`) does the rest.
 *
 * - The uprobe goes on the FILE for all processes (`perf_event_open` with pid -1): the kernel
 *   fires it for every process mapping that inode, whenever it started. No per-process attach.
 * - The task filter excludes ghostscope itself; `$pid`/`$tid` speak ghostscope's own namespace
 *   (host ids in the initial PID namespace) — see `session_scope.ts`.
 * - The lifecycle monitor (`lib/sysmon`, on unless `enable_sysmon_for_target` is false /
 *   `--no-sysmon`) keeps `proc_module_offsets`, `pid_aliases` and `allowed_pids` current for
 *   every process that maps the module; it is started before the probes are attached. Globals
 *   of other modules (the target's DT_NEEDED libraries, `--module`) are read through
 *   `proc_module_offsets` too: the monitor publishes their offsets for each followed process
 *   (`other_modules.ts`); with `--no-sysmon` they read `<proc offsets unavailable>` (standalone)
 *   or use the -p process's maps at start.
 * - `-t PATH -p PID`: `-t` chooses the module, `-p` scopes events (the pid plan's task filter and
 *   the uprobe's perf pid); the session ends when that process exits, as with `-p`.
 */
import type { TraceRequest } from "../cli/args.ts";
import { UsageError } from "../errors.ts";
import {
  fileIdentity,
  ModuleKind,
  openTargetModule,
  sameFile,
  type TargetModule,
} from "../sysmon/mod.ts";
import { followedText } from "./follow_status.ts";
import { neededModules } from "./other_modules.ts";
import type { SessionMode } from "./pipeline.ts";
import { planTraceablePid } from "./pid_target.ts";
import { fileModule, type ProcessModule, processModules } from "./process_modules.ts";
import { ownScope, pidScope } from "./session_scope.ts";
import type { Status } from "./status.ts";

/** `-t PATH [-p PID]`. */
export function targetMode(request: TraceRequest, status: Status): SessionMode {
  const module = openTargetModule(request.targetPath ?? "");
  const plan = request.pidText === undefined ? undefined : planTraceablePid(request.pidText);
  return {
    scope: () => plan === undefined ? ownScope(status) : pidScope(plan, status),
    modules: () => {
      if (plan !== undefined) {
        // The process's own mapping of the module first, then its other modules.
        const all = processModules(plan.views.procPid);
        const main = moduleInProcess(plan.views.procPid, module, all);
        return [main, ...all.filter((m) => m.path !== main.path)];
      }
      // Other modules whose globals the script may read: the libraries the target needs.
      const main = fileModule(module.path);
      return [main, ...(module.kind === ModuleKind.Executable ? neededModules(main) : [])];
    },
    monitorModule: () => module,
    alwaysMonitor: true,
    monitorOff: "processes are still traced",
    where: (monitor) =>
      plan === undefined
        ? `${module.path} in every process that maps it${
          monitor.tracker === undefined ? "" : ` (${followedText(monitor.tracker.count)} now)`
        }`
        : `${module.path} in PID ${plan.inputPid} (${plan.views.comm})`,
  };
}

/** The process's own mapping of the -t module (reached through /proc/PID/root). */
function moduleInProcess(
  procPid: number,
  module: TargetModule,
  modules: readonly ProcessModule[],
): ProcessModule {
  for (const m of modules) {
    try {
      if (sameFile(fileIdentity(Deno.statSync(m.hostPath)), module.identity)) {
        return { ...m, main: true };
      }
    } catch {
      // a module we cannot stat is not the one
    }
  }
  throw new UsageError(`process ${procPid} does not map ${module.path}`);
}
