/**
 * The set of processes `-t` follows, indexed the three ways events name a process: by proc PID
 * (ghostscope's /proc), by host TGID (once known), and by `(namespace inode, TGID in that
 * namespace)`. Each record remembers every map key written for the process, so that the end of
 * the process removes exactly those entries.
 * @module
 */

import type { ModuleOffsets } from "../../bpf/sysmon_maps.ts";

/** An alias key written to `pid_aliases`. */
export interface AliasRef {
  tgid: number;
  nsIno: bigint;
}

/** One followed process. */
export interface FollowedProcess {
  /** PID in ghostscope's /proc view. */
  procPid: number;
  /** From /proc/PID/stat: detects PID reuse. */
  startTime: bigint;
  comm: string;
  /** Host TGID, once known (always, when ghostscope runs in the initial PID namespace). */
  hostTgid?: number;
  /** The process's own PID namespace and its TGID there. */
  nsIno: bigint;
  nsDev: bigint | undefined;
  nsTgid: number;
  /** Published offsets by module cookie. */
  offsets: Map<bigint, ModuleOffsets>;
  /** `pid_aliases` keys written for it. */
  aliases: AliasRef[];
  /** `allowed_pids` keys written for it. */
  allowed: Set<number>;
  /** CLOCK_MONOTONIC ns when following began: older exit events belong to a previous holder. */
  sinceNs: bigint;
}

/** Public view of a followed process. */
export interface FollowedInfo {
  procPid: number;
  hostTgid?: number;
  comm: string;
  /** Load bias of the target module. */
  bias?: bigint;
}

function nsKey(nsIno: bigint, tgid: number): string {
  return `${nsIno}:${tgid}`;
}

/** Followed processes with their indexes. */
export class FollowedSet {
  readonly #byProc = new Map<number, FollowedProcess>();
  readonly #byHost = new Map<number, FollowedProcess>();
  readonly #byNs = new Map<string, FollowedProcess>();

  get size(): number {
    return this.#byProc.size;
  }

  values(): IterableIterator<FollowedProcess> {
    return this.#byProc.values();
  }

  byProcPid(procPid: number): FollowedProcess | undefined {
    return this.#byProc.get(procPid);
  }

  byHostTgid(hostTgid: number): FollowedProcess | undefined {
    return this.#byHost.get(hostTgid);
  }

  byNsTgid(nsIno: bigint, tgid: number): FollowedProcess | undefined {
    return this.#byNs.get(nsKey(nsIno, tgid));
  }

  add(p: FollowedProcess): void {
    this.#byProc.set(p.procPid, p);
    this.#byNs.set(nsKey(p.nsIno, p.nsTgid), p);
    if (p.hostTgid !== undefined) this.#byHost.set(p.hostTgid, p);
  }

  /** Records the host TGID of a process (learned from an event). */
  bindHost(p: FollowedProcess, hostTgid: number): void {
    p.hostTgid = hostTgid;
    this.#byHost.set(hostTgid, p);
  }

  remove(p: FollowedProcess): void {
    if (this.#byProc.get(p.procPid) === p) this.#byProc.delete(p.procPid);
    const k = nsKey(p.nsIno, p.nsTgid);
    if (this.#byNs.get(k) === p) this.#byNs.delete(k);
    if (p.hostTgid !== undefined && this.#byHost.get(p.hostTgid) === p) {
      this.#byHost.delete(p.hostTgid);
    }
  }
}
