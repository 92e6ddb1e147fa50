/**
 * The one tracing pipeline every session kind runs:
 *
 *   plan → modules → compile → locate → attach → stream → teardown
 *
 * `-p PID`, `-t PATH` and `-t PATH -p PID` are configurations of it ({@link SessionMode}: `run.ts`
 * builds the `-p` one, `target_mode.ts` the `-t` ones). What a mode decides: the scope of the
 * programs (the pid plan, or every process but ours), the modules probes are located in, the
 * module the lifecycle monitor follows and whether it always runs, and how the status line names
 * what is traced. Everything else is here once: privileges, the debug-info loader, the per-block
 * locate memo, globals of other modules (`other_modules.ts`), compiling, the pidfd, thread
 * re-scoping, the monitor (`monitor.ts`), the ids events are shown with, and
 * {@link attachAndStream}'s attach/stream/teardown.
 * @module
 */
import { closeFd } from "../../ffi/bpf.ts";
import { pidfdExited } from "../../ffi/process.ts";
import type { DecodedEvent } from "../../bpf/wire.ts";
import type { TraceRequest } from "../cli/args.ts";
import type { Settings } from "../config/settings.ts";
import { DebugInfoLoader, NO_PROGRESS, useDebugInfo } from "../debuginfo/mod.ts";
import { readMaps } from "../proc/maps.ts";
import {
  type CompiledScript,
  compileScript,
  processVariableResolver,
  type TraceTarget,
} from "../script/mod.ts";
import type { TargetModule } from "../sysmon/module.ts";
import { locateTarget } from "./locate_target.ts";
import type { SessionMonitor } from "./monitor.ts";
import { extraModule, OffsetsModules, offsetsSelfNs } from "./other_modules.ts";
import { ownScopeDisplay, pidDisplay } from "./pid_display.ts";
import { explainVanishedTarget, openTargetPidfd } from "./pid_target.ts";
import { ensurePrivileges } from "./privileges.ts";
import type { ProbeSite } from "./probe_site.ts";
import type { ProcessModule } from "./process_modules.ts";
import { ScopeKeeper } from "./scope_keeper.ts";
import type { Scope } from "./session_scope.ts";
import type { Status } from "./status.ts";
import { StopReason } from "./stop_signals.ts";
import { attachAndStream, probesText } from "./trace_stream.ts";

/** What a session kind decides; everything else is the pipeline's. */
export interface SessionMode {
  /** The programs' scope (called once privileges are checked). */
  scope(): Scope;
  /** The modules to locate probes in and read globals of, the probed one first. */
  modules(): ProcessModule[];
  /** The module the lifecycle monitor follows. */
  monitorModule(modules: readonly ProcessModule[]): TargetModule;
  /**
   * True: the monitor runs whenever sysmon is on (`-t`); false: only when the script reads
   * globals of other modules (`-p`).
   */
  alwaysMonitor: boolean;
  /** What the "sysmon is off" notice adds about the consequence. */
  monitorOff: string;
  /** What the status line names: `PID 12 (app)`, `/lib/x.so in every process that maps it`. */
  where(monitor: SessionMonitor): string;
}

/** Runs the session `mode` configures; resolves to the exit code. */
export async function runPipeline(
  request: TraceRequest,
  settings: Settings,
  status: Status,
  mode: SessionMode,
): Promise<number> {
  ensurePrivileges();
  const scope = mode.scope();
  const debugInfo = useDebugInfo(debugInfoLoader(settings, status));
  const modules = withModule(mode.modules(), request.modulePath);
  const { compiled, sites, offsets } = prepareTrace({
    request,
    settings,
    status,
    scope,
    modules,
    debugInfo,
  });
  // Loaded on demand: the unwinder and symbolizer only serve scripts with `bt`.
  const renderLib = compiled.prints.some((p) => p.backtrace !== undefined)
    ? await import("./render_context.ts")
    : undefined;
  const monitored = settings.enableSysmonForTarget && (mode.alwaysMonitor || offsets.length > 0);
  // Loaded on demand: the tracker is ~17 modules a plain -p run never needs.
  const monitorLib = monitored ? await import("./monitor.ts") : undefined;
  const plan = scope.plan;
  return await attachAndStream({
    compiled,
    sites,
    settings,
    status,
    perfPid: scope.perfPid,
    prepare: (resources) => {
      // Held from before attaching, so a target that dies meanwhile is reported as exited.
      const pidfd = plan && resources.hold(openTargetPidfd(plan), "pidfd", closeFd);
      const keeper = plan && new ScopeKeeper(plan.perfPid);
      const monitor: SessionMonitor = monitorLib?.startMonitor({
        resources,
        status,
        module: () => mode.monitorModule(modules),
        onlyProcPid: plan?.views.procPid,
        extraModules: offsets,
        followStatus: plan === undefined && settings.status && Deno.stderr.isTerminal(),
        offConsequence: mode.monitorOff,
      }) ?? {};
      const tracker = monitor.tracker;
      return {
        poll: monitor.poll,
        mapFds: monitor.mapFds,
        checkStop: pidfd === undefined
          ? undefined
          : () => pidfdExited(pidfd) ? StopReason.TargetExited : undefined,
        rescope: keeper && (() => keeper.check()),
        // Standalone -t learns each process's ids in our namespace from its events.
        observe: plan !== undefined || tracker === undefined
          ? undefined
          : (e: DecodedEvent) => tracker.observe(e.hostTgid, e.viewTgid),
        display: plan !== undefined ? pidDisplay(plan) : ownScopeDisplay(scope.pidView, tracker),
        attached: (all) => `tracing ${mode.where(monitor)}: ${probesText(all)}; Ctrl+C to stop`,
        finished: (reason) =>
          plan !== undefined && reason === StopReason.TargetExited
            ? `target PID ${plan.inputPid} exited`
            : undefined,
      };
    },
    explainAttachError: (err) => plan === undefined ? err : explainVanishedTarget(err, plan),
    renderContext: renderLib && ((display) =>
      new renderLib.SessionRenderContext({
        procPidOf: (e) => display(e).pid,
        depth: settings.backtraceDepth,
        debugInfo,
      })),
  });
}

/** Inputs of {@link prepareTrace}. */
export interface PrepareOptions {
  request: TraceRequest;
  settings: Settings;
  status: Status;
  scope: Scope;
  /** The probed module first. */
  modules: ProcessModule[];
  debugInfo: DebugInfoLoader;
}

/** The compiled script, its probe sites, and the modules looked up in `proc_module_offsets`. */
export interface PreparedTrace {
  compiled: CompiledScript;
  /** Per trace block, in `compiled.traces` order. */
  sites: ProbeSite[][];
  /** Modules whose offsets the programs look up (the monitor publishes them). */
  offsets: TargetModule[];
}

/**
 * Compiles the script for `scope` and locates every block's sites among `modules`. Globals of
 * other modules are looked up in `proc_module_offsets` when the monitor may run; without it
 * (`--no-sysmon`), a constant bias from the `-p` process's maps at start, or unavailable
 * (standalone -t has no single process whose maps fix them).
 */
export function prepareTrace(o: PrepareOptions): PreparedTrace {
  const { scope, modules, status } = o;
  const offsets = o.settings.enableSysmonForTarget
    ? new OffsetsModules((text) => status.notice(text))
    : undefined;
  // Located once per block, by the variable resolver (which needs the probe pcs) or below.
  const located = new Map<number, ProbeSite[]>();
  const locate = (traceId: number, target: TraceTarget, text: string): ProbeSite[] => {
    let found = located.get(traceId);
    if (!found) located.set(traceId, found = locateTarget(target, text, modules, o.debugInfo));
    return found;
  };
  const compiled = compileScript(o.request.script.source, {
    filter: scope.filter,
    pidView: scope.pidView,
    inputPid: scope.inputPid,
    sourceName: o.request.script.origin,
    ringbufSize: o.settings.ringbufSize,
    backtraceDepth: o.settings.backtraceDepth,
    offsetsSelfNs: offsets === undefined ? undefined : offsetsSelfNs(),
    resolveVariable: processVariableResolver({
      modules,
      maps: offsets === undefined && scope.plan !== undefined
        ? readMaps(scope.plan.views.procPid)
        : [],
      unmappedBias: offsets === undefined ? undefined : (m) => offsets.bias(m),
      locate: (target, text, traceId) => locate(traceId, target, text),
    }),
  });
  const sites = compiled.traces.map((trace) =>
    locate(trace.traceId, trace.target, trace.targetText)
  );
  return { compiled, sites, offsets: offsets?.modules ?? [] };
}

/** The modules plus the `--module` file when it is not one of them. */
function withModule(modules: ProcessModule[], path: string | undefined): ProcessModule[] {
  if (path === undefined) return modules;
  const extra = extraModule(path);
  return modules.some((m) => m.path === extra.path || m.hostPath === extra.hostPath)
    ? modules
    : [...modules, extra];
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
