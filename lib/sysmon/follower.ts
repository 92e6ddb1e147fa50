/**
 * The decisions of the lifecycle monitor: what each sysmon event means for the followed set,
 * and the one operation that reconciles a process with /proc ({@link ProcessFollower.evaluate}).
 * Map writes go through the {@link ProcessPublisher}; timers and the kernel side live in
 * `tracker.ts`.
 *
 * - exec → evaluate the process now (short-lived processes must get their offsets before they
 *   hit the probe); an exec the event cannot place in /proc (a nested namespace not registered
 *   yet) asks for a rescan;
 * - fork of a followed process → evaluate the CHILD; a thread is recognised by its TGID and its
 *   kernel-inherited allow-list entry dropped;
 * - exit (the whole process) → remove every entry written for it, unless the event predates the
 *   record (the PID was reused meanwhile);
 * - map change → debounced re-evaluation.
 *
 * Host TGID binding (private namespace only): any event whose task the record is found by
 * (TGID in ghostscope's namespace, or in a registered namespace) tells its host TGID.
 * @module
 */

import { monotonicNs } from "../../ffi/clock.ts";
import { type SysmonEvent, SysmonKind } from "../../bpf/sysmon_event.ts";
import type { PidNsRef } from "../../bpf/task_filter.ts";
import { computeModuleOffsets } from "./bias.ts";
import { type FollowedProcess, FollowedSet } from "./followed.ts";
import { ModuleKind, type TargetModule } from "./module.ts";
import {
  childrenOf,
  listProcPids,
  mapsCode,
  moduleMappings,
  type ProcIdentity,
  readProcIdentity,
  stillSameProcess,
  threadOf,
} from "./proc_view.ts";
import type { ProcessPublisher } from "./publisher.ts";

/** What the follower needs from its owner. */
export interface FollowerContext {
  module: TargetModule;
  procRoot: string;
  /** ghostscope's own PID (never followed). */
  selfPid: number;
  /** ghostscope's namespace when it is not the initial one. */
  selfNs: PidNsRef | undefined;
  /** `-t -p`: only this proc PID. */
  onlyProcPid?: number;
  /**
   * Other modules whose offsets a followed process gets too, while it maps them (globals of
   * other modules read by trace programs; a library dlopen'ed later appears on a map change).
   */
  extraModules?: readonly TargetModule[];
  publisher: ProcessPublisher;
  /** The two writes the follower makes itself (the publisher makes the others). */
  store: {
    /** Drops a host id from `allowed_pids`. */
    disallow(hostTgid: number): void;
    /** Adds a program name to the exec filter. */
    addExecComm(name: string): void;
  };
  /** A process whose mappings changed: re-evaluate it after the debounce. */
  scheduleRefresh(procPid: number): void;
  /** Forget a pending refresh. */
  cancelRefresh(procPid: number): void;
  /** An event named a process /proc cannot be told from: rescan. */
  requestRescan(): void;
}

/** Keeps the followed set in agreement with /proc and the kernel's events. */
export class ProcessFollower {
  readonly followed = new FollowedSet();

  constructor(private readonly ctx: FollowerContext) {}

  /** Applies one sysmon event. */
  handle(e: SysmonEvent): void {
    switch (e.kind) {
      case SysmonKind.Exec:
        return this.#onExec(e);
      case SysmonKind.Fork:
        return this.#onFork(e);
      case SysmonKind.Exit:
        return this.#onExit(e);
      case SysmonKind.MapChange:
        return this.#onMapChange(e);
    }
  }

  /**
   * Reads /proc for `procPid` and makes the followed set agree: follow (and publish offsets) when
   * it maps the module, drop it when it does not or is gone.
   * @param e the event that caused the evaluation, when it speaks for this very process (its
   *   host TGID is then bound to the proc PID)
   */
  evaluate(procPid: number, e?: SysmonEvent): void {
    const ctx = this.ctx;
    if (procPid === ctx.selfPid) return;
    if (ctx.onlyProcPid !== undefined && procPid !== ctx.onlyProcPid) return;
    let rec = this.followed.byProcPid(procPid);
    let id: ProcIdentity | null;
    try {
      id = readProcIdentity(procPid, ctx.procRoot);
    } catch {
      ctx.scheduleRefresh(procPid); // unreadable for a moment: look again after the debounce
      return;
    }
    if (id === null || id.state === "Z" || id.state === "X") {
      if (rec !== undefined) this.forget(rec);
      return;
    }
    if (rec !== undefined && rec.startTime !== id.startTime) {
      this.forget(rec);
      rec = undefined;
    }
    const mappings = moduleMappings(procPid, ctx.module, ctx.procRoot);
    const offsets = mapsCode(mappings)
      ? computeModuleOffsets(mappings!, ctx.module.loads)
      : undefined;
    if (offsets === undefined) {
      if (rec !== undefined) this.forget(rec);
      else this.#dropInherited(procPid, e);
      return;
    }
    const fresh = rec === undefined;
    rec ??= newRecord(id);
    if (fresh) {
      this.followed.add(rec);
      ctx.publisher.publishIdentity(rec);
    }
    ctx.publisher.publishOffsets(rec, ctx.module.cookie, offsets);
    this.#publishExtra(rec);
    const host = ctx.selfNs === undefined ? procPid : hostFromEvent(rec, e);
    if (host !== undefined) this.#bindHost(rec, host);
    if (!fresh) return;
    this.#maybeAddComm(id);
    // It may have exited between the /proc read and the allow-listing; then no exit event will
    // come for it.
    if (!stillSameProcess(procPid, id.startTime, ctx.procRoot)) {
      this.forget(rec);
      return;
    }
    // Children forked before it was allow-listed were not reported: find them now (later forks
    // are reported by the kernel, which sees the allow-list entry).
    for (const child of childrenOf(procPid, ctx.procRoot)) {
      if (this.followed.byProcPid(child) === undefined) this.evaluate(child);
    }
  }

  /** Publishes (or removes) the offsets of the other modules, as `rec` maps them now. */
  #publishExtra(rec: FollowedProcess): void {
    const ctx = this.ctx;
    for (const extra of ctx.extraModules ?? []) {
      if (extra.cookie === ctx.module.cookie) continue;
      const mappings = moduleMappings(rec.procPid, extra, ctx.procRoot);
      const offsets = mapsCode(mappings) ? computeModuleOffsets(mappings!, extra.loads) : undefined;
      if (offsets !== undefined) ctx.publisher.publishOffsets(rec, extra.cookie, offsets);
      else ctx.publisher.unpublishOffsets(rec, extra.cookie);
    }
  }

  /** Removes every entry written for `rec` and stops following it. */
  forget(rec: FollowedProcess): void {
    this.ctx.publisher.purge(rec);
    this.followed.remove(rec);
    this.ctx.cancelRefresh(rec.procPid);
  }

  /** The followed record an event's task belongs to (binding its host TGID on the way). */
  recordFor(e: SysmonEvent): FollowedProcess | undefined {
    if (this.ctx.selfNs === undefined) return this.followed.byProcPid(e.hostTgid);
    const rec = this.followed.byHostTgid(e.hostTgid) ??
      (e.selfTgid !== 0 ? this.followed.byProcPid(e.selfTgid) : undefined) ??
      (e.nsIno !== 0n ? this.followed.byNsTgid(e.nsIno, e.nsTgid) : undefined);
    if (rec !== undefined) this.#bindHost(rec, e.hostTgid);
    return rec;
  }

  /** The proc PID of an event's task when the event alone tells it. */
  procPidOf(e: SysmonEvent): number | undefined {
    if (this.ctx.selfNs === undefined) return e.hostTgid;
    if (e.selfTgid !== 0) return e.selfTgid;
    if (e.nsIno !== 0n) return this.#findInNamespace(e.nsIno, e.nsTgid);
    return undefined;
  }

  #onExec(e: SysmonEvent): void {
    const procPid = this.recordFor(e)?.procPid ?? this.procPidOf(e);
    if (procPid === undefined) this.ctx.requestRescan();
    else this.evaluate(procPid, e);
  }

  #onFork(e: SysmonEvent): void {
    const parent = this.recordFor(e);
    const child = e.detail;
    if (this.ctx.selfNs === undefined) {
      const tgid = threadOf(child, this.ctx.procRoot);
      if (tgid === null) return; // already gone; its exit needs no work
      if (tgid !== child) {
        // A thread: drop the entry the kernel inherited for it now rather than at its exit.
        quietly(() => this.ctx.store.disallow(child));
        return;
      }
      this.evaluate(child);
      return;
    }
    if (parent === undefined) return;
    // In a private namespace the child's proc PID is unknown: follow the parent's new children.
    const fresh: number[] = [];
    for (const c of childrenOf(parent.procPid, this.ctx.procRoot)) {
      if (this.followed.byProcPid(c) !== undefined) continue;
      this.evaluate(c);
      if (this.followed.byProcPid(c) !== undefined) fresh.push(c);
    }
    if (fresh.length === 1) this.#bindHost(this.followed.byProcPid(fresh[0])!, child);
  }

  #onExit(e: SysmonEvent): void {
    const rec = this.recordFor(e);
    if (rec !== undefined && rec.sinceNs <= e.ktimeNs) this.forget(rec);
  }

  #onMapChange(e: SysmonEvent): void {
    const procPid = this.recordFor(e)?.procPid ?? this.procPidOf(e);
    if (procPid !== undefined) this.ctx.scheduleRefresh(procPid);
  }

  /** A record keeps the first host TGID it was bound to. */
  #bindHost(rec: FollowedProcess, host: number): void {
    if (rec.hostTgid !== undefined && rec.hostTgid !== host) return;
    if (rec.hostTgid === undefined) this.followed.bindHost(rec, host);
    this.ctx.publisher.publishHost(rec, host);
  }

  /**
   * A process that is not followed may still hold the `allowed_pids` entry the kernel gave it at
   * fork (its parent was followed; it exec'd another program): remove it, or every mmap of that
   * unrelated process would keep being reported.
   */
  #dropInherited(procPid: number, e: SysmonEvent | undefined): void {
    const host = this.ctx.selfNs === undefined
      ? procPid
      : e !== undefined && e.selfTgid === procPid
      ? e.hostTgid
      : undefined;
    if (host !== undefined) quietly(() => this.ctx.store.disallow(host));
  }

  /** A followed process running under another name: let its later execs through too. */
  #maybeAddComm(id: ProcIdentity): void {
    if (this.ctx.module.kind !== ModuleKind.Executable || this.ctx.onlyProcPid !== undefined) {
      return;
    }
    // A full filter is fine: the trace-event safety net still finds such processes.
    quietly(() => this.ctx.store.addExecComm(id.comm));
  }

  /** The proc PID of the process whose TGID in namespace `nsIno` is `nsTgid`. */
  #findInNamespace(nsIno: bigint, nsTgid: number): number | undefined {
    for (const pid of listProcPids(this.ctx.procRoot)) {
      const id = readProcIdentity(pid, this.ctx.procRoot);
      if (id !== null && id.nsIno === nsIno && id.nsTgid === nsTgid) return pid;
    }
    return undefined;
  }
}

/** The host TGID an event tells for `rec`, when the event's task is `rec`'s. */
function hostFromEvent(rec: FollowedProcess, e: SysmonEvent | undefined): number | undefined {
  if (e === undefined) return undefined;
  const same = (e.selfTgid !== 0 && e.selfTgid === rec.procPid) ||
    (e.nsIno !== 0n && e.nsIno === rec.nsIno && e.nsTgid === rec.nsTgid);
  return same ? e.hostTgid : undefined;
}

function newRecord(id: ProcIdentity): FollowedProcess {
  return {
    procPid: id.procPid,
    startTime: id.startTime,
    comm: id.comm,
    nsIno: id.nsIno,
    nsDev: id.nsDev,
    nsTgid: id.nsTgid,
    offsets: new Map(),
    aliases: [],
    allowed: new Set(),
    sinceNs: monotonicNs(),
  };
}

function quietly(op: () => void): void {
  try {
    op();
  } catch {
    // the entry is already gone, or the map is full (reported elsewhere)
  }
}
