/**
 * `ProcessTracker`: keeps the set of processes that map the `-t` module current, and the sysmon
 * maps with it (`proc_module_offsets`, `pid_aliases`, `allowed_pids`).
 *
 * Lifecycle:
 * 1. `start()`: create the maps, attach the sysmon tracepoint programs, THEN scan /proc (so a
 *    process starting during the scan is seen by one or the other, never by neither);
 * 2. `poll()` (from the session's loop): consume sysmon events, run debounced refreshes, and every
 *    second sweep followed processes that vanished unseen (events lost, or a process that exited
 *    between its discovery and its allow-listing) and rescan /proc when the kernel counted lost
 *    events;
 * 3. `close()`: release every kernel object.
 *
 * What each event means is decided in `follower.ts`; "evaluate" reads /proc/PID/maps: a process
 * that maps the module is followed (offsets recomputed), one that no longer does is dropped.
 * @module
 */

import { probeHelper, ProgType } from "../../ffi/bpf.ts";
import { RingBuffer } from "../../ffi/ringbuf.ts";
import { BpfHelper } from "../../bpf/helpers.ts";
import { decodeSysmonEvent, type SysmonEvent } from "../../bpf/sysmon_event.ts";
import { SysmonMapRef, type SysmonMapSizes } from "../../bpf/sysmon_maps.ts";
import { ExecPolicy, SysmonProbe } from "../../bpf/sysmon_program.ts";
import type { PidNsRef } from "../../bpf/task_filter.ts";
import { RuntimeFailure } from "../errors.ts";
import { isInitialPidNs, readPidNs } from "../proc/ns.ts";
import { DEFAULT_PROC_ROOT } from "../proc/path.ts";
import { Resources } from "../session/resources.ts";
import { Debouncer } from "./debounce.ts";
import { type FollowedInfo, FollowedSet } from "./followed.ts";
import { ProcessFollower } from "./follower.ts";
import { attachSysmonPrograms } from "./kernel.ts";
import { SysmonMapStore } from "./map_store.ts";
import { ModuleKind, type TargetModule } from "./module.ts";
import { listProcPids, mapsCode, moduleMappings, stillSameProcess } from "./proc_view.ts";
import { type Notice, ProcessPublisher } from "./publisher.ts";

/**
 * The monitor cannot work here at all (not a failure of the session: `-t` still traces, the
 * uprobe being on the file). The message says why.
 */
export class SysmonUnavailable extends RuntimeFailure {
  override name = "SysmonUnavailable";
}

const EMPTY_SET = new FollowedSet();

function realPath(path: string): string {
  try {
    return Deno.realPathSync(path);
  } catch {
    return path;
  }
}

/** Timing defaults (milliseconds). */
export enum TrackerTiming {
  /** Quiet time after the last map change before the offsets are refreshed. */
  DebounceMs = 50,
  /** A process that keeps mapping memory is refreshed at least this often. */
  MaxDebounceMs = 250,
  /** Liveness sweep and lost-event check period. */
  SweepMs = 1000,
  /** Minimum time between two full /proc rescans. */
  RescanGapMs = 250,
  /** How long a host TGID seen in trace events but not followed is left alone after a check. */
  UnknownRecheckMs = 1000,
}

/** Options of {@link ProcessTracker}. */
export interface TrackerOptions {
  /** The module to follow. */
  module: TargetModule;
  /** Where procfs is (default "/proc"): ghostscope's own view. */
  procRoot?: string;
  /** `-t PATH -p PID` (and `-p PID`): follow only this process (proc PID). */
  onlyProcPid?: number;
  /**
   * Other modules whose `proc_module_offsets` entries every followed process gets while it maps
   * them (the modules of globals the trace programs read besides the probed module's).
   */
  extraModules?: readonly TargetModule[];
  /** Map capacities. */
  mapSizes?: SysmonMapSizes;
  /** Receives one-line notices. */
  notice?: Notice;
  /** Called whenever the number of followed processes changes. */
  onChange?: (count: number) => void;
  /** ghostscope's PID in its own namespace (default `Deno.pid`). */
  selfPid?: number;
  /** Sees every sysmon event before it is handled (tests, debugging). */
  onEvent?: (event: SysmonEvent) => void;
}

/**
 * Which probes a session attaches: always exec, exit and the map-change ones; fork unless the
 * session follows one given process (its children are not traced); the library-candidate probe
 * only for a shared-library target followed in every process.
 */
export function sysmonProbes(library: boolean, scoped: boolean): SysmonProbe[] {
  return Object.values(SysmonProbe).filter((p) => {
    if (p === SysmonProbe.Fork) return !scoped;
    if (p === SysmonProbe.MmapExec) return library && !scoped;
    return true;
  });
}

/** Counters, for status lines and tests. */
export interface TrackerStats {
  events: number;
  /** Events the kernel could not queue (ring full). */
  lost: number;
  rescans: number;
  followed: number;
}

/** Follows every process that maps a module; see the module doc. */
export class ProcessTracker {
  readonly #opts: TrackerOptions;
  readonly #procRoot: string;
  readonly #selfPid: number;
  readonly #resources = new Resources();
  readonly #refresh = new Debouncer<number>(TrackerTiming.DebounceMs, TrackerTiming.MaxDebounceMs);
  readonly #unknownChecked = new Map<number, number>();
  readonly #noticed = new Set<string>();
  #selfNs: PidNsRef | undefined;
  #store: SysmonMapStore | undefined;
  #follower: ProcessFollower | undefined;
  #ring: RingBuffer | undefined;
  #rescanWanted = false;
  #lastRescan = -Infinity;
  #nextSweep = 0;
  #lastLost = 0;
  #lastCount = 0;
  #stats: TrackerStats = { events: 0, lost: 0, rescans: 0, followed: 0 };

  constructor(opts: TrackerOptions) {
    this.#opts = opts;
    this.#procRoot = opts.procRoot ?? DEFAULT_PROC_ROOT;
    this.#selfPid = opts.selfPid ?? Deno.pid;
  }

  /**
   * Creates the maps, attaches the sysmon programs and scans /proc. On failure everything
   * created so far is released before the error propagates.
   * @throws {RuntimeFailure} when the kernel refuses a program or a required tracepoint is missing
   */
  start(): void {
    try {
      this.#selfNs = this.#ownNamespace();
      const store = new SysmonMapStore(this.#resources, this.#opts.mapSizes);
      this.#store = store;
      this.#follower = new ProcessFollower({
        module: this.#opts.module,
        procRoot: this.#procRoot,
        selfPid: this.#selfPid,
        selfNs: this.#selfNs,
        onlyProcPid: this.#opts.onlyProcPid,
        extraModules: this.#opts.extraModules,
        publisher: new ProcessPublisher(store, this.#selfNs, (t) => this.#notice(t)),
        store,
        scheduleRefresh: (pid: number) => this.#refresh.touch(pid, Date.now()),
        cancelRefresh: (pid: number) => this.#refresh.cancel(pid),
        requestRescan: () => {
          this.#rescanWanted = true;
        },
      });
      const library = this.#opts.module.kind === ModuleKind.SharedLibrary;
      const scoped = this.#opts.onlyProcPid !== undefined;
      if (!scoped && !library) {
        // A symlink's name and the file's own name: exec sets comm from the path it was given.
        store.addExecComm(this.#opts.module.path);
        store.addExecComm(realPath(this.#opts.module.path));
      }
      const attachment = attachSysmonPrograms(this.#resources, store, {
        selfNs: this.#selfNs,
        selfTgid: this.#selfPid,
        execPolicy: scoped || library ? ExecPolicy.FollowedOnly : ExecPolicy.Comm,
      }, sysmonProbes(library, scoped));
      for (const s of attachment.skipped) {
        this.#notice(`sysmon: ${s.probe} changes are not tracked (${s.reason})`);
      }
      this.#ring = this.#resources.hold(
        new RingBuffer(store.fd(SysmonMapRef.Events), (bytes) => this.#onEvent(bytes)),
        "sysmon ring buffer",
        (r) => r.close(),
      );
      this.#rescan();
      this.#nextSweep = Date.now() + TrackerTiming.SweepMs;
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** Does the pending work; never blocks. Call it from the session's poll loop. */
  poll(): void {
    this.#ring?.consume();
    const now = Date.now();
    for (const procPid of this.#refresh.due(now)) {
      try {
        this.#follower?.evaluate(procPid);
      } catch (err) {
        this.#noticeOnce(`sysmon: refresh failed: ${(err as Error).message}`);
      }
    }
    try {
      if (this.#rescanWanted && now - this.#lastRescan >= TrackerTiming.RescanGapMs) {
        this.#rescan();
      }
      if (now >= this.#nextSweep) {
        this.#nextSweep = now + TrackerTiming.SweepMs;
        this.#sweep();
      }
    } catch (err) {
      this.#noticeOnce(`sysmon: /proc scan failed: ${(err as Error).message}`);
    }
    this.#changed();
  }

  /** The followed processes. */
  processes(): FollowedInfo[] {
    const cookie = this.#opts.module.cookie;
    return [...this.#followedSet().values()].map((p) => ({
      procPid: p.procPid,
      hostTgid: p.hostTgid,
      comm: p.comm,
      bias: p.offsets.get(cookie)?.bias,
    }));
  }

  /** Number of followed processes. */
  get count(): number {
    return this.#followedSet().size;
  }

  /** Counters. */
  stats(): TrackerStats {
    return { ...this.#stats, followed: this.#followedSet().size };
  }

  /** The map store (fds for trace programs: `proc_module_offsets`, `pid_aliases`). */
  get store(): SysmonMapStore {
    if (this.#store === undefined) throw new Error("ProcessTracker: not started");
    return this.#store;
  }

  /** ghostscope's PID namespace when it is not the initial one. */
  get selfNs(): PidNsRef | undefined {
    return this.#selfNs;
  }

  /** The proc PID of a host TGID, when known. */
  procPidOf(hostTgid: number): number | undefined {
    if (this.#selfNs === undefined) return hostTgid;
    return this.#followedSet().byHostTgid(hostTgid)?.procPid;
  }

  /**
   * Safety net fed with the ids of trace events: a process hitting the probe that is not
   * followed (its exec was filtered out, e.g. it runs under another name) is evaluated.
   * @param hostTgid the event's host TGID
   * @param viewTgid its TGID in ghostscope's namespace (0 when unknown)
   */
  observe(hostTgid: number, viewTgid = 0): void {
    const followed = this.#followedSet();
    if (followed.byHostTgid(hostTgid) !== undefined) return;
    const procPid = this.#selfNs === undefined ? hostTgid : viewTgid;
    if (procPid !== 0 && followed.byProcPid(procPid) !== undefined) return;
    const now = Date.now();
    const last = this.#unknownChecked.get(hostTgid);
    if (last !== undefined && now - last < TrackerTiming.UnknownRecheckMs) return;
    this.#unknownChecked.set(hostTgid, now);
    if (procPid !== 0) this.#refresh.touch(procPid, now - TrackerTiming.DebounceMs);
    else this.#rescanWanted = true;
  }

  /** Releases every kernel object. Idempotent. */
  close(): string[] {
    this.#ring = undefined;
    return this.#resources.releaseAll();
  }

  // ------------------------------------------------------------------ setup

  #ownNamespace(): PidNsRef | undefined {
    const ns = readPidNs("self", { procRoot: this.#procRoot });
    if (isInitialPidNs(ns)) return undefined;
    if (ns.dev === undefined) {
      throw new SysmonUnavailable(
        "cannot stat /proc/self/ns/pid, so ghostscope's PID namespace cannot be named to the kernel",
      );
    }
    if (!probeHelper(ProgType.Tracepoint, BpfHelper.GetNsCurrentPidTgid)) {
      throw new SysmonUnavailable(
        "ghostscope runs in a private PID namespace and this kernel lacks bpf_get_ns_current_pid_tgid, so kernel events cannot be matched to /proc",
      );
    }
    return { dev: ns.dev, ino: ns.ino };
  }

  #followedSet(): FollowedSet {
    return this.#follower?.followed ?? EMPTY_SET;
  }

  #notice(text: string): void {
    this.#opts.notice?.(text);
  }

  #changed(): void {
    const count = this.#followedSet().size;
    if (count === this.#lastCount) return;
    this.#lastCount = count;
    this.#opts.onChange?.(count);
  }

  // ------------------------------------------------------------------ events

  #onEvent(bytes: Uint8Array): void {
    this.#stats.events++;
    const e = decodeSysmonEvent(bytes);
    this.#opts.onEvent?.(e);
    try {
      this.#follower!.handle(e);
    } catch (err) {
      // Never let one event end the session (the ring buffer would rethrow it from poll).
      this.#noticeOnce(`sysmon: event handling failed: ${(err as Error).message}`);
    }
  }

  #noticeOnce(text: string): void {
    if (this.#noticed.has(text)) return;
    this.#noticed.add(text);
    this.#notice(text);
  }

  // ------------------------------------------------------------------ sweeps

  /** Follows every process of /proc that maps the module and is not followed yet. */
  #rescan(): void {
    const follower = this.#follower!;
    this.#rescanWanted = false;
    this.#lastRescan = Date.now();
    this.#stats.rescans++;
    const only = this.#opts.onlyProcPid;
    const pids = only !== undefined ? [only] : listProcPids(this.#procRoot);
    for (const pid of pids) {
      if (pid === this.#selfPid || follower.followed.byProcPid(pid) !== undefined) continue;
      const mappings = moduleMappings(pid, this.#opts.module, this.#procRoot);
      if (mapsCode(mappings)) follower.evaluate(pid);
    }
  }

  /** Drops processes that ended unseen; asks for a rescan when the kernel lost events. */
  #sweep(): void {
    const follower = this.#follower!;
    for (const rec of [...follower.followed.values()]) {
      if (!stillSameProcess(rec.procPid, rec.startTime, this.#procRoot)) follower.forget(rec);
    }
    const lost = this.#store?.lostEvents() ?? 0;
    if (lost > this.#lastLost) {
      this.#notice(
        `sysmon: ${lost - this.#lastLost} lifecycle events lost (ring full); rescanning /proc`,
      );
      this.#lastLost = lost;
      this.#stats.lost = lost;
      this.#rescanWanted = true;
    }
    const now = Date.now();
    for (const [host, at] of this.#unknownChecked) {
      if (now - at >= TrackerTiming.UnknownRecheckMs) this.#unknownChecked.delete(host);
    }
  }
}
