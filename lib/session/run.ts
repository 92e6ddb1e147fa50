/**
 * A `-p` tracing run from start to summary: plan the PID filter, compile the script, find the
 * probe sites, load and attach, stream events, and release every kernel object on the way out.
 */
import { RingBuffer } from "../../ffi/ringbuf.ts";
import { pidfdExited, pidfdOpen } from "../../ffi/process.ts";
import { closeFd } from "../../ffi/bpf.ts";
import { BpfError, Errno } from "../../ffi/errors.ts";
import { decodeEvent } from "../../bpf/wire.ts";
import type { TraceRequest } from "../cli/args.ts";
import type { Settings } from "../config/settings.ts";
import { RuntimeFailure, UsageError } from "../errors.ts";
import { rendererFor } from "../output/renderers.ts";
import { LineWriter } from "../output/writer.ts";
import { planForPid, requireTraceable, type TraceablePidPlan } from "../pid/mod.ts";
import { type CompiledScript, compileScript, renderEvent } from "../script/mod.ts";
import { runEventLoop } from "./event_loop.ts";
import {
  attachUprobe,
  createSessionMaps,
  loadTraceProgram,
  readLostCount,
} from "./kernel_session.ts";
import { locateTarget } from "./locate_target.ts";
import { ensurePrivileges } from "./privileges.ts";
import { processModules } from "./process_modules.ts";
import { Resources } from "./resources.ts";
import { Status, summaryLine } from "./status.ts";
import { StopReason, StopSignals } from "./stop_signals.ts";
import { KtimeClock } from "./ktime_clock.ts";
import { pidDisplay } from "./pid_display.ts";

/** Runs a trace session; resolves to the exit code. */
export async function runTrace(request: TraceRequest, settings: Settings): Promise<number> {
  if (request.targetPath !== undefined) {
    throw new UsageError("-t PATH is not available in this build yet; use -p PID");
  }
  const status = new Status(settings.status);
  const plan = requireTraceable(planOrPrivilegeError(request.pidText ?? ""));
  ensurePrivileges();
  for (const notice of plan.views.notices) status.notice(notice);
  const compiled = compileScript(request.script.source, {
    filter: plan.filter,
    pidView: plan.pidView,
    inputPid: plan.inputPid,
    sourceName: request.script.origin,
    ringbufSize: settings.ringbufSize,
  });
  const modules = processModules(plan.views.procPid);
  const sites = compiled.traces.map((trace) =>
    locateTarget(trace.target, trace.targetText, modules)
  );

  const resources = new Resources();
  const signals = new StopSignals();
  try {
    // Held from before attaching, so a target that dies meanwhile is reported as exited.
    const pidfd = resources.hold(openTargetPidfd(plan), "pidfd", closeFd);
    const maps = createSessionMaps(resources, settings.ringbufSize);
    compiled.traces.forEach((trace, i) => {
      const progFd = loadTraceProgram(
        resources,
        trace.name,
        `trace ${trace.targetText}`,
        trace.program.assemble(maps.fds),
      );
      attachOrExplain(resources, progFd, sites[i], plan);
    });

    const consumer = new EventConsumer(compiled, plan, settings);
    const ring = resources.hold(
      new RingBuffer(maps.eventsFd, (bytes) => consumer.onSample(bytes)),
      "ring buffer",
      (r) => r.close(),
    );
    status.info(
      `tracing PID ${plan.inputPid} (${plan.views.comm}): ${sites.length} probe${
        sites.length === 1 ? "" : "s"
      } attached at ${sites.map((s) => s.label).join(", ")}; Ctrl+C to stop`,
    );
    if (settings.readyMarker !== undefined) {
      consumer.writer.line(settings.readyMarker);
      consumer.writer.flush();
    }
    const deadline = settings.durationSeconds === undefined
      ? undefined
      : Date.now() + settings.durationSeconds * 1000;
    const reason = await runEventLoop(
      {
        pollOnce: (timeoutMs) => {
          ring.poll(timeoutMs);
          ring.consume();
        },
        afterBatch: () => consumer.writer.flush(),
        checkStop: () => {
          if (consumer.limitReached) return StopReason.MaxEvents;
          if (consumer.writer.closed) return StopReason.OutputClosed;
          if (pidfdExited(pidfd)) return StopReason.TargetExited;
          return undefined;
        },
      },
      signals,
      deadline,
    );
    const lost = readLostCount(maps.lostFd);
    if (reason === StopReason.TargetExited) status.notice(`target PID ${plan.inputPid} exited`);
    status.notice(summaryLine(consumer.count, lost, reason));
  } finally {
    signals.dispose();
    const failures = resources.releaseAll();
    for (const failure of failures) status.notice(`cleanup failed: ${failure}`);
  }
  return 0;
}

/**
 * Plans the PID. Without privileges, reading another user's /proc files fails first; the missing
 * privileges are then the cause worth reporting (usage errors such as a bad PID still win).
 */
function planOrPrivilegeError(pidText: string): ReturnType<typeof planForPid> {
  try {
    return planForPid(pidText);
  } catch (err) {
    if (!(err instanceof UsageError)) ensurePrivileges();
    throw err;
  }
}

/** A pidfd for the target, or the message a user expects when it is already gone. */
function openTargetPidfd(plan: TraceablePidPlan): number {
  try {
    return pidfdOpen(plan.views.procPid);
  } catch (err) {
    throw explainVanishedTarget(err, plan);
  }
}

/** Attaches, turning "the process is gone" into the message a user expects. */
function attachOrExplain(
  resources: Resources,
  progFd: number,
  site: Parameters<typeof attachUprobe>[2],
  plan: TraceablePidPlan,
): void {
  try {
    attachUprobe(resources, progFd, site, plan.perfPid);
  } catch (err) {
    throw explainVanishedTarget(err, plan);
  }
}

/** ESRCH from the kernel means the target is gone: say so in the user's words. */
function explainVanishedTarget(err: unknown, plan: TraceablePidPlan): unknown {
  if (err instanceof BpfError && err.errno === Errno.ESRCH) {
    return new RuntimeFailure(`target PID ${plan.inputPid} exited before the probes were attached`);
  }
  return err;
}

/** Decodes, renders and counts events; stops accepting at --max-events. */
class EventConsumer {
  readonly writer = new LineWriter();
  count = 0;
  readonly #render;
  readonly #clock = new KtimeClock();
  readonly #display;
  readonly #max: number;

  constructor(
    private readonly compiled: CompiledScript,
    plan: TraceablePidPlan,
    settings: Settings,
  ) {
    this.#render = rendererFor(settings.output);
    this.#display = pidDisplay(plan);
    this.#max = settings.maxEvents ?? Infinity;
  }

  get limitReached(): boolean {
    return this.count >= this.#max;
  }

  onSample(bytes: Uint8Array): void {
    if (this.count >= this.#max) return;
    const event = decodeEvent(bytes);
    const shown = this.#display(event);
    this.writer.line(this.#render({
      traceId: event.traceId,
      wallNs: this.#clock.wallNs(event.ktimeNs),
      pid: shown.pid,
      tid: shown.tid,
      hostPid: shown.hostPid,
      hostTid: shown.hostTid,
      text: renderEvent(this.compiled, event),
      values: event.values.map((v) => v.value),
    }));
    this.count++;
  }
}
