/**
 * The part every tracing session shares once its probe sites are known: create the event maps,
 * let the session set up what it needs (a pidfd, the lifecycle monitor), load one program per
 * site and attach it, stream events until a stop condition, print the summary, and release every
 * kernel object on any way out (normal end, Ctrl+C, SIGTERM, an error half-way through).
 */
import { RingReader } from "../../ffi/ring_reader.ts";
import type { DecodedEvent } from "../../bpf/wire.ts";
import type { Settings } from "../config/settings.ts";
import { type CompiledScript, programForSite } from "../script/mod.ts";
import { createReturnMaps } from "./return_maps.ts";
import { type BacktraceContext, EventConsumer, type PidDisplay } from "./event_consumer.ts";
import { runEventLoop } from "./event_loop.ts";
import {
  createSessionMaps,
  linkSiteUprobe,
  loadTraceProgram,
  openSiteUprobe,
  readLostCount,
  relinkSiteUprobe,
} from "./kernel_session.ts";
import { describeSites } from "./locate_target.ts";
import type { ProbeSite } from "./probe_site.ts";
import { Resources } from "./resources.ts";
import { type Status, summaryLine } from "./status.ts";
import { StopReason, StopSignals } from "./stop_signals.ts";
import { mark } from "../timing.ts";
import { uprobeWarmupDone } from "./uprobe_warmup.ts";

/** What a session adds to the loop. */
export interface StreamHooks {
  /** Extra non-blocking work after each ring poll (the lifecycle monitor). */
  poll?: () => void;
  /** A session-specific reason to stop (the target exited). */
  checkStop?: () => StopReason | undefined;
  /**
   * A new perf pid when the pid-scoped uprobes must follow another thread (the one they were
   * scoped to exited while its process lives on); checked after each poll.
   */
  rescope?: () => number | undefined;
  /** Sees every decoded event before it is rendered. */
  observe?: (event: DecodedEvent) => void;
  /** Ids each event is shown with. */
  display: PidDisplay;
  /**
   * Maps the trace programs reference besides the event maps, by program-side name (the
   * lifecycle monitor's, for `proc_module_offsets` lookups).
   */
  mapFds?: Record<string, number>;
  /** Status line once everything is attached (`tracing ...; Ctrl+C to stop`), from the sites
   * of each trace block. */
  attached: (sites: ProbeSite[][]) => string;
  /** A notice for the end of the run, before the summary (`target PID 12 exited`). */
  finished?: (reason: StopReason) => string | undefined;
}

/** Inputs of {@link attachAndStream}. */
export interface StreamOptions {
  compiled: CompiledScript;
  /** Probe sites per trace block (same order as `compiled.traces`). */
  sites: ProbeSite[][];
  settings: Settings;
  status: Status;
  /** Scope of every uprobe (a PID in our namespace); undefined: every process. */
  perfPid?: number;
  /**
   * Runs once the event maps exist and before any probe is attached: sets up the session's own
   * objects (registered with `resources`) and returns its hooks.
   */
  prepare: (resources: Resources) => StreamHooks;
  /** Rewrites an attach error into the message the user expects. */
  explainAttachError?: (err: unknown) => unknown;
  /** Builds the render context (backtraces) from the ids events are shown with. */
  renderContext?: (display: PidDisplay) => BacktraceContext;
}

/** Attaches and streams; resolves to the exit code once everything is released. */
export async function attachAndStream(o: StreamOptions): Promise<number> {
  const resources = new Resources();
  const signals = new StopSignals();
  const { status, settings } = o;
  // perf_event_open(uprobe) waits 8-30 ms in the kernel: each site's uprobe is opened on an FFI
  // worker thread while the maps, programs and consumer are made, then linked below, in order.
  const openings = o.sites.map((sites) =>
    sites.map((site) => openSiteUprobe(resources, site, o.perfPid))
  );
  try {
    const maps = createSessionMaps(resources, settings.ringbufSize);
    const hooks = o.prepare(resources);
    const consumer = new EventConsumer(
      o.compiled,
      settings,
      hooks.display,
      hooks.observe,
      o.renderContext?.(hooks.display),
    );
    const mapFds = { ...hooks.mapFds, ...maps.fds, ...createReturnMaps(resources, o.compiled) };
    mark("maps and consumer");
    const linked: Array<{ progFd: number; site: ProbeSite }> = [];
    for (const [i, trace] of o.compiled.traces.entries()) {
      // One program per site: each gets its own link address and variable locations.
      for (const [j, site] of o.sites[i].entries()) {
        const progFd = loadTraceProgram(
          resources,
          trace.name,
          `trace ${trace.targetText}`,
          programForSite(trace, j).assemble(mapFds),
        );
        mark(`program ${site.label}`);
        try {
          await linkSiteUprobe(resources, progFd, site, openings[i][j]);
        } catch (err) {
          throw o.explainAttachError?.(err) ?? err;
        }
        linked.push({ progFd, site });
        mark(`uprobe ${site.label}`);
      }
    }

    status.info(hooks.attached(o.sites));
    if (settings.readyMarker !== undefined) {
      consumer.writer.line(settings.readyMarker);
      consumer.writer.flush();
    }
    mark("ready");
    // Reading starts right after READY: events of the first moments wait in the ring meanwhile.
    const ring = resources.hold(
      new RingReader(
        maps.eventsFd,
        settings.ringbufSize,
        (bytes, view, offset, length) => consumer.onRecord(bytes, view, offset, length),
      ),
      "ring buffer",
      (r) => r.close(),
    );
    const deadline = settings.durationSeconds === undefined
      ? undefined
      : Date.now() + settings.durationSeconds * 1000;
    const reason = await runEventLoop(
      {
        pollOnce: (timeoutMs) => {
          const delivered = ring.poll(timeoutMs);
          hooks.poll?.();
          const scope = hooks.rescope?.();
          if (scope !== undefined) {
            status.info(`the probed thread exited; uprobes now follow thread ${scope}`);
            try {
              for (const { progFd, site } of linked) {
                relinkSiteUprobe(resources, progFd, site, scope);
              }
            } catch (err) {
              status.notice(`cannot follow thread ${scope}: ${(err as Error).message}`);
            }
          }
          return delivered;
        },
        afterBatch: () => consumer.writer.flush(),
        checkStop: () => {
          if (consumer.limitReached) return StopReason.MaxEvents;
          if (consumer.writer.closed) return StopReason.OutputClosed;
          return hooks.checkStop?.();
        },
      },
      signals,
      deadline,
    );
    const lost = readLostCount(maps.lostFd);
    const finished = hooks.finished?.(reason);
    if (finished !== undefined) status.notice(finished);
    status.notice(summaryLine(consumer.count, lost, reason));
  } finally {
    signals.dispose();
    await Promise.all(openings.flat()); // their fds join `resources`, released below
    const failures = resources.releaseAll();
    for (const failure of failures) status.notice(`cleanup failed: ${failure}`);
    await uprobeWarmupDone();
  }
  return 0;
}

/** "N probe(s) attached at add (target+0x1139), ..." from the sites of each trace block. */
export function probesText(sites: ProbeSite[][]): string {
  const n = sites.flat().length;
  return `${n} probe${n === 1 ? "" : "s"} attached at ${sites.map(describeSites).join(", ")}`;
}
