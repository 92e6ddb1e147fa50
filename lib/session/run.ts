/**
 * A tracing run from start to summary: builds the session's mode and runs the one pipeline
 * (`pipeline.ts`). This file holds the `-p PID` mode; `-t PATH [-p PID]` is `target_mode.ts`'s.
 *
 * `-p`: the pid plan scopes the programs and uprobes; probes are located in the process's
 * modules. Globals of modules other than the probed one are read through `proc_module_offsets`,
 * kept current by a narrow lifecycle monitor of the process (started only when the script reads
 * such a global), so a library dlopen'ed after attach (named with `--module PATH`) is read once
 * mapped; with `--no-sysmon`, a constant bias from the maps at start.
 */
import type { TraceRequest } from "../cli/args.ts";
import type { Settings } from "../config/settings.ts";
// module.ts alone, not sysmon/mod.ts: a -p run loads the tracker only when it needs it.
import { openTargetModule } from "../sysmon/module.ts";
import { runPipeline, type SessionMode } from "./pipeline.ts";
import { planTraceablePid } from "./pid_target.ts";
import { processModules } from "./process_modules.ts";
import { pidScope } from "./session_scope.ts";
import { Status } from "./status.ts";

/** Runs a trace session; resolves to the exit code. */
export async function runTrace(request: TraceRequest, settings: Settings): Promise<number> {
  const status = new Status(settings.status);
  // Loaded on demand: -t brings the process monitor (~17 modules) a -p run never needs.
  const mode = request.targetPath !== undefined
    ? (await import("./target_mode.ts")).targetMode(request, status)
    : pidMode(request, status);
  return await runPipeline(request, settings, status, mode);
}

/** `-p PID`. */
function pidMode(request: TraceRequest, status: Status): SessionMode {
  const plan = planTraceablePid(request.pidText ?? "");
  return {
    scope: () => pidScope(plan, status),
    modules: () => processModules(plan.views.procPid),
    monitorModule: (modules) => openTargetModule(modules[0].hostPath),
    alwaysMonitor: false,
    monitorOff: "globals of other modules are unavailable",
    where: () => `PID ${plan.views.procPid} (${plan.views.comm})`,
  };
}
