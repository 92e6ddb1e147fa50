/**
 * A `-t PATH` tracing run: trace a module (executable or shared library) in every process that
 * maps it, including processes that start later.
 *
 * - The uprobe goes on the FILE for all processes (`perf_event_open` with pid -1): the kernel
 *   fires it for every process mapping that inode, whenever it started. No per-process attach.
 * - The task filter is `none`; `$pid`/`$tid` speak ghostscope's own namespace (host ids in the
 *   initial PID namespace).
 * - The lifecycle monitor (`lib/sysmon`, on unless `enable_sysmon_for_target` is false /
 *   `--no-sysmon`) keeps `proc_module_offsets`, `pid_aliases` and `allowed_pids` current for
 *   every process that maps the module; it is started before the probes are attached. Globals
 *   of other modules (the target's DT_NEEDED libraries, `--module`) are read through
 *   `proc_module_offsets` too: the monitor publishes their offsets for each followed process
 *   (`other_modules.ts`); with `--no-sysmon` they read `<proc offsets unavailable>` (standalone)
 *   or use the -p process's maps at start.
 * - `-t PATH -p PID`: `-t` chooses the module, `-p` scopes events (the pid plan's task filter and
 *   the uprobe's perf pid); the session ends when that process exits, as with `-p`.
 *
 * Teardown is {@link attachAndStream}'s: every kernel object, the monitor's included, is held by
 * the session's Resources and released on any way out.
 */
import { closeFd, probeHelper, ProgType } from "../../ffi/bpf.ts";
import { pidfdExited } from "../../ffi/process.ts";
import { BpfHelper } from "../../bpf/helpers.ts";
import type { PidNsRef, PidView, TaskFilter } from "../../bpf/task_filter.ts";
import type { DecodedEvent } from "../../bpf/wire.ts";
import type { TraceRequest } from "../cli/args.ts";
import type { Settings } from "../config/settings.ts";
import { DebugInfoLoader, NO_PROGRESS, useDebugInfo } from "../debuginfo/mod.ts";
import { UsageError } from "../errors.ts";
import type { TraceablePidPlan } from "../pid/mod.ts";
import { isInitialPidNs, readPidNs } from "../proc/ns.ts";
import { compileScript, processVariableResolver, type TraceTarget } from "../script/mod.ts";
import { readMaps } from "../proc/maps.ts";
import {
  fileIdentity,
  ModuleKind,
  openTargetModule,
  ProcessTracker,
  sameFile,
  SysmonUnavailable,
  type TargetModule,
} from "../sysmon/mod.ts";
import { followedText, FollowStatus } from "./follow_status.ts";
import type { PidDisplay } from "./event_consumer.ts";
import { locateTarget } from "./locate_target.ts";
import { pidDisplay } from "./pid_display.ts";
import type { ProbeSite } from "./probe_site.ts";
import { ensurePrivileges } from "./privileges.ts";
import { fileModule, type ProcessModule, processModules } from "./process_modules.ts";
import { extraModule, neededModules, OffsetsModules, offsetsSelfNs } from "./other_modules.ts";
import { emptySysmonMaps } from "./pid_sysmon.ts";
import type { Resources } from "./resources.ts";
import { Status } from "./status.ts";
import { StopReason } from "./stop_signals.ts";
import { explainVanishedTarget, openTargetPidfd, planTraceablePid } from "./pid_target.ts";
import { attachAndStream, probesText, type StreamHooks } from "./trace_stream.ts";

/** Which tasks and PID view the programs use, and where the uprobes are scoped. */
interface Scope {
  filter: TaskFilter;
  pidView: PidView;
  inputPid?: number;
  perfPid?: number;
  plan?: TraceablePidPlan;
}

/** Runs `-t PATH [-p PID]`; resolves to the exit code. */
export async function runTargetMode(request: TraceRequest, settings: Settings): Promise<number> {
  const status = new Status(settings.status);
  const module = openTargetModule(request.targetPath ?? "");
  const plan = request.pidText === undefined ? undefined : planTraceablePid(request.pidText);
  ensurePrivileges();
  const scope = plan === undefined ? ownScope(status) : pidScope(plan, status);
  const debugInfo = useDebugInfo(
    new DebugInfoLoader({
      debugFile: settings.debugFile,
      allowMismatch: settings.allowDebugMismatch,
      notice: (text) => status.notice(text),
      progress: settings.status ? undefined : () => NO_PROGRESS,
    }),
  );
  const main = plan === undefined
    ? fileModule(module.path)
    : moduleInProcess(plan.views.procPid, module);
  // Other modules whose globals the script may read: the process's (-t -p), else the libraries
  // the target needs (DT_NEEDED); plus --module.
  const others = plan === undefined
    ? (module.kind === ModuleKind.Executable ? neededModules(main) : [])
    : processModules(plan.views.procPid).filter((m) => m.path !== main.path);
  const modules = [main, ...others];
  if (request.modulePath !== undefined) {
    const extra = extraModule(request.modulePath);
    if (!modules.some((m) => m.path === extra.path || m.hostPath === extra.hostPath)) {
      modules.push(extra);
    }
  }
  // Located once per block, by the variable resolver (which needs the probe pcs) or below.
  const located = new Map<number, ProbeSite[]>();
  const locate = (traceId: number, target: TraceTarget, text: string): ProbeSite[] => {
    let found = located.get(traceId);
    if (!found) located.set(traceId, found = locateTarget(target, text, modules, debugInfo));
    return found;
  };
  // Globals of other modules are looked up in proc_module_offsets, which the monitor keeps
  // current for every followed process. Without it: a constant bias from the -p process's maps,
  // or unavailable (standalone -t has no single process whose maps fix them).
  const offsets = settings.enableSysmonForTarget
    ? new OffsetsModules((text) => status.notice(text))
    : undefined;
  const compiled = compileScript(request.script.source, {
    filter: scope.filter,
    pidView: scope.pidView,
    inputPid: scope.inputPid,
    sourceName: request.script.origin,
    ringbufSize: settings.ringbufSize,
    offsetsSelfNs: offsets === undefined ? undefined : offsetsSelfNs(),
    resolveVariable: processVariableResolver({
      modules,
      maps: plan === undefined || offsets !== undefined ? [] : readMaps(plan.views.procPid),
      unmappedBias: offsets === undefined ? undefined : (m) => offsets.bias(m),
      locate: (target, text, traceId) => locate(traceId, target, text),
    }),
  });
  const sites = compiled.traces.map((trace) =>
    locate(trace.traceId, trace.target, trace.targetText)
  );
  return await attachAndStream({
    compiled,
    sites,
    settings,
    status,
    perfPid: scope.perfPid,
    prepare: (resources) =>
      prepare(resources, module, scope, settings, status, offsets?.modules ?? []),
    explainAttachError: (err) => plan === undefined ? err : explainVanishedTarget(err, plan),
  });
}

/** Starts the monitor (and, with -p, the pidfd) before any probe is attached. */
function prepare(
  resources: Resources,
  module: TargetModule,
  scope: Scope,
  settings: Settings,
  status: Status,
  extraModules: readonly TargetModule[],
): StreamHooks {
  const plan = scope.plan;
  const pidfd = plan === undefined ? undefined : resources.hold(
    openTargetPidfd(plan),
    "pidfd",
    closeFd,
  );
  const tracker = settings.enableSysmonForTarget
    ? startTracker(resources, module, plan, settings, status, extraModules)
    : undefined;
  // The programs reference the sysmon maps when they read other modules' globals: without a
  // monitor (it could not start) the maps exist empty and those globals read unavailable.
  const mapFds = tracker?.tracker.store.fds ??
    (extraModules.length > 0 ? emptySysmonMaps(resources).mapFds : undefined);
  const where = plan === undefined
    ? `${module.path} in every process that maps it${
      tracker === undefined ? "" : ` (${followedText(tracker.tracker.count)} now)`
    }`
    : `${module.path} in PID ${plan.inputPid} (${plan.views.comm})`;
  return {
    mapFds,
    poll: tracker === undefined ? undefined : () => {
      tracker.tracker.poll();
      tracker.status?.flush();
    },
    checkStop: pidfd === undefined
      ? undefined
      : () => pidfdExited(pidfd) ? StopReason.TargetExited : undefined,
    observe: tracker === undefined || plan !== undefined
      ? undefined
      : (e: DecodedEvent) => tracker.tracker.observe(e.hostTgid, e.viewTgid),
    display: plan === undefined ? targetDisplay(scope.pidView, tracker?.tracker) : pidDisplay(plan),
    attached: (all) => `tracing ${where}: ${probesText(all)}; Ctrl+C to stop`,
    finished: (reason) =>
      plan !== undefined && reason === StopReason.TargetExited
        ? `target PID ${plan.inputPid} exited`
        : undefined,
  };
}

/**
 * Standalone -t: every process but ghostscope's own (it may map the traced library itself),
 * `$pid` in ghostscope's own namespace.
 */
function ownScope(status: Status): Scope {
  const ns = readPidNs("self");
  if (isInitialPidNs(ns)) {
    return { filter: { kind: "exclude-tgid", tgid: Deno.pid }, pidView: { kind: "host" } };
  }
  if (ns.dev === undefined || !probeHelper(ProgType.Kprobe, BpfHelper.GetNsCurrentPidTgid)) {
    status.notice(
      "this kernel cannot report PIDs in ghostscope's PID namespace: $pid/$tid show host PIDs",
    );
    return { filter: { kind: "none" }, pidView: { kind: "host" } };
  }
  const self: PidNsRef = { dev: ns.dev, ino: ns.ino };
  return {
    filter: { kind: "exclude-tgid", tgid: Deno.pid, ns: self },
    pidView: { kind: "ns", ns: self },
  };
}

/** -t with -p: the pid plan decides. */
function pidScope(plan: TraceablePidPlan, status: Status): Scope {
  for (const notice of plan.views.notices) status.notice(notice);
  return {
    filter: plan.filter,
    pidView: plan.pidView,
    inputPid: plan.inputPid,
    perfPid: plan.perfPid,
    plan,
  };
}

/**
 * Ids shown for standalone -t: host ids in the initial namespace; otherwise the event's ids in
 * ghostscope's namespace, or — for a process in a nested namespace, which has none there — the
 * proc PID the monitor bound to its host TGID (0 when unknown).
 */
function targetDisplay(view: PidView, tracker: ProcessTracker | undefined): PidDisplay {
  if (view.kind === "host") {
    return (e) => ({ pid: e.hostTgid, tid: e.hostTid, hostPid: e.hostTgid, hostTid: e.hostTid });
  }
  return (e) => ({
    pid: e.viewTgid || (tracker?.procPidOf(e.hostTgid) ?? 0),
    tid: e.viewTid,
    hostPid: 0,
    hostTid: 0,
  });
}

/** The process's own mapping of the -t module (reached through /proc/PID/root). */
function moduleInProcess(procPid: number, module: TargetModule): ProcessModule {
  for (const m of processModules(procPid)) {
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

/** The running monitor and its status line. */
interface RunningTracker {
  tracker: ProcessTracker;
  /** Present when stderr is a terminal (and status lines are on). */
  status?: FollowStatus;
}

/**
 * Starts the lifecycle monitor, held by `resources`. Where it cannot work at all (a private PID
 * namespace without the namespace helper) the run goes on without it, as with `--no-sysmon`.
 */
function startTracker(
  resources: Resources,
  module: TargetModule,
  plan: TraceablePidPlan | undefined,
  settings: Settings,
  status: Status,
  extraModules: readonly TargetModule[],
): RunningTracker | undefined {
  const followStatus = settings.status && Deno.stderr.isTerminal() && plan === undefined
    ? new FollowStatus((text) => status.info(text), module.path)
    : undefined;
  const tracker = resources.hold(
    new ProcessTracker({
      module,
      onlyProcPid: plan?.views.procPid,
      extraModules,
      notice: (text) => status.notice(text),
      onChange: followStatus === undefined ? undefined : (n) => followStatus.update(n),
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
    status.notice(`sysmon is off: ${err.message}; processes are still traced`);
    return undefined;
  }
  return { tracker, status: followStatus };
}
