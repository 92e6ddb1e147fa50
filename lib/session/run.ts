/**
 * A `-p` tracing run from start to summary: plan the PID filter, compile the script, find the
 * probe sites; then `attachAndStream` (trace_stream.ts, shared with `-t`) loads and attaches,
 * streams events, and releases every kernel object on the way out. `-t PATH` runs go to
 * target_mode.ts.
 *
 * Globals of modules other than the probed one are read through `proc_module_offsets`, kept
 * current by a narrow lifecycle monitor of the process (`pid_sysmon.ts`, started only when the
 * script reads such a global), so a library dlopen'ed after attach (named with `--module PATH`)
 * is read once mapped; with `--no-sysmon`, a constant bias from the maps at start.
 */
import { pidfdExited } from "../../ffi/process.ts";
import { closeFd } from "../../ffi/bpf.ts";
import type { TraceRequest } from "../cli/args.ts";
import type { Settings } from "../config/settings.ts";
import { compileScript, processVariableResolver, type TraceTarget } from "../script/mod.ts";
import { readMaps } from "../proc/maps.ts";
import type { ProbeSite } from "./probe_site.ts";
import { locateTarget } from "./locate_target.ts";
import { DebugInfoLoader, NO_PROGRESS, useDebugInfo } from "../debuginfo/mod.ts";
import { ensurePrivileges } from "./privileges.ts";
import { type ProcessModule, processModules } from "./process_modules.ts";
import { extraModule, OffsetsModules, offsetsSelfNs } from "./other_modules.ts";
import { Status } from "./status.ts";
import { ScopeKeeper } from "./scope_keeper.ts";
import { StopReason } from "./stop_signals.ts";
import { explainVanishedTarget, openTargetPidfd, planTraceablePid } from "./pid_target.ts";
import { attachAndStream, probesText } from "./trace_stream.ts";
import { pidDisplay } from "./pid_display.ts";

/** Runs a trace session; resolves to the exit code. */
export async function runTrace(request: TraceRequest, settings: Settings): Promise<number> {
  if (request.targetPath !== undefined) {
    // Loaded on demand: -t brings the process monitor (~17 modules) a -p run never needs.
    const { runTargetMode } = await import("./target_mode.ts");
    return await runTargetMode(request, settings);
  }
  const status = new Status(settings.status);
  const plan = planTraceablePid(request.pidText ?? "");
  ensurePrivileges();
  for (const notice of plan.views.notices) status.notice(notice);
  const debugInfo = useDebugInfo(debugInfoLoader(settings, status));
  const modules = withModule(processModules(plan.views.procPid), request.modulePath);
  // Globals of other modules: looked up in proc_module_offsets, kept current by a narrow
  // lifecycle monitor (a library dlopen'ed after attach becomes readable); with --no-sysmon, a
  // constant bias from the maps at start.
  const offsets = settings.enableSysmonForTarget
    ? new OffsetsModules((text) => status.notice(text))
    : undefined;
  // Located once per block, by the variable resolver (which needs the probe pcs) or below.
  const located = new Map<number, ProbeSite[]>();
  const locate = (traceId: number, target: TraceTarget, text: string): ProbeSite[] => {
    let s = located.get(traceId);
    if (!s) located.set(traceId, s = locateTarget(target, text, modules, debugInfo));
    return s;
  };
  const compiled = compileScript(request.script.source, {
    filter: plan.filter,
    pidView: plan.pidView,
    inputPid: plan.inputPid,
    sourceName: request.script.origin,
    ringbufSize: settings.ringbufSize,
    offsetsSelfNs: offsets === undefined ? undefined : offsetsSelfNs(),
    resolveVariable: processVariableResolver({
      modules,
      maps: offsets === undefined ? readMaps(plan.views.procPid) : [],
      unmappedBias: offsets === undefined ? undefined : (m) => offsets.bias(m),
      locate: (target, text, traceId) => locate(traceId, target, text),
    }),
  });
  const sites = compiled.traces.map((trace) =>
    locate(trace.traceId, trace.target, trace.targetText)
  );
  const looked = offsets?.modules ?? [];
  const pidSysmon = looked.length === 0 ? undefined : await import("./pid_sysmon.ts");

  return await attachAndStream({
    compiled,
    sites,
    settings,
    status,
    perfPid: plan.perfPid,
    prepare: (resources) => {
      // Held from before attaching, so a target that dies meanwhile is reported as exited.
      const pidfd = resources.hold(openTargetPidfd(plan), "pidfd", closeFd);
      const scope = new ScopeKeeper(plan.perfPid);
      const sysmon = pidSysmon?.startPidSysmon(
        resources,
        plan.views.procPid,
        modules[0],
        looked,
        status,
      );
      return {
        poll: sysmon?.poll,
        mapFds: sysmon?.mapFds,
        checkStop: () => pidfdExited(pidfd) ? StopReason.TargetExited : undefined,
        rescope: () => scope.check(),
        display: pidDisplay(plan),
        attached: (all) =>
          `tracing PID ${plan.views.procPid} (${plan.views.comm}): ${
            probesText(all)
          }; Ctrl+C to stop`,
        finished: (reason) =>
          reason === StopReason.TargetExited
            ? `target PID ${plan.views.procPid} exited`
            : undefined,
      };
    },
    explainAttachError: (err) => explainVanishedTarget(err, plan),
  });
}

/** The process's modules, plus the `--module` file when it is not one of them. */
function withModule(modules: ProcessModule[], path: string | undefined): ProcessModule[] {
  if (path === undefined) return modules;
  const extra = extraModule(path);
  return modules.some((m) => m.path === extra.path) ? modules : [...modules, extra];
}

/** The run's debug-info loader, from `--debug-file` / `--allow-debug-mismatch`. */
function debugInfoLoader(settings: Settings, status: Status): DebugInfoLoader {
  return new DebugInfoLoader({
    debugFile: settings.debugFile,
    allowMismatch: settings.allowDebugMismatch,
    notice: (text) => status.notice(text),
    progress: settings.status ? undefined : () => NO_PROGRESS,
  });
}
