/**
 * Writes and removes the map entries of followed processes. One place decides which keys a
 * process gets (see `bpf/sysmon_maps.ts` for the key design) and records each key on the
 * process, so that removal is exact:
 *
 * - always: `proc_module_offsets[(proc_pid, cookie)]`;
 * - ghostscope in the initial PID namespace: `allowed_pids[proc_pid]` (proc PID == host TGID);
 *   no alias at all;
 * - ghostscope in a private PID namespace: `pid_aliases[(ns_tgid, ns_ino)] = proc_pid` for the
 *   process's own namespace (ghostscope's, or a descendant one, which is then registered in a
 *   `sysmon_pidns` slot), and, once an event has shown the host TGID,
 *   `pid_aliases[(host_tgid, INITIAL)] = proc_pid` and `allowed_pids[host_tgid]`.
 * @module
 */

import { INITIAL_PID_NS_INO, type ModuleOffsets, PIDNS_SLOTS } from "../../bpf/sysmon_maps.ts";
import type { PidNsRef } from "../../bpf/task_filter.ts";
import type { SysmonMapWriter } from "./map_store.ts";
import type { AliasRef, FollowedProcess } from "./followed.ts";

/** Receives one-line notices (map full, namespace slots exhausted). */
export type Notice = (text: string) => void;

interface NsSlot {
  slot: number;
  refs: number;
}

function sameOffsets(a: ModuleOffsets | undefined, b: ModuleOffsets): boolean {
  return a !== undefined && a.bias === b.bias && a.start === b.start && a.end === b.end;
}

/** Publishes followed processes into the sysmon maps. */
export class ProcessPublisher {
  readonly #slots = new Map<bigint, NsSlot>();
  readonly #warned = new Set<string>();

  /**
   * @param store the maps
   * @param selfNs ghostscope's PID namespace when it is not the initial one
   * @param notice where problems are reported (once each)
   */
  constructor(
    readonly store: SysmonMapWriter,
    readonly selfNs: PidNsRef | undefined,
    readonly notice: Notice,
  ) {}

  /** True when ghostscope runs in a private PID namespace (aliases are needed). */
  get privateMode(): boolean {
    return this.selfNs !== undefined;
  }

  /** Writes (or updates) the offsets of one module. */
  publishOffsets(p: FollowedProcess, cookie: bigint, offsets: ModuleOffsets): void {
    if (sameOffsets(p.offsets.get(cookie), offsets)) return;
    if (
      this.#write("proc_module_offsets", () => this.store.setOffsets(p.procPid, cookie, offsets))
    ) {
      p.offsets.set(cookie, offsets);
    }
  }

  /** Removes the offsets of one module (it was unmapped). */
  unpublishOffsets(p: FollowedProcess, cookie: bigint): void {
    if (!p.offsets.delete(cookie)) return;
    this.#quiet(() => this.store.deleteOffsets(p.procPid, cookie));
  }

  /** Writes the keys that do not depend on the host TGID (the namespace alias). */
  publishIdentity(p: FollowedProcess): void {
    if (!this.privateMode) return;
    this.#alias(p, { tgid: p.nsTgid, nsIno: p.nsIno });
    if (p.nsIno !== this.selfNs!.ino && p.nsIno !== INITIAL_PID_NS_INO) this.#register(p);
  }

  /** Binds the host TGID: the allow-list entry, and in a private namespace its alias. */
  publishHost(p: FollowedProcess, hostTgid: number): void {
    if (!p.allowed.has(hostTgid)) {
      if (this.#write("allowed_pids", () => this.store.allow(hostTgid))) p.allowed.add(hostTgid);
    }
    if (this.privateMode) this.#alias(p, { tgid: hostTgid, nsIno: INITIAL_PID_NS_INO });
  }

  /** Removes every entry written for `p`. */
  purge(p: FollowedProcess): void {
    for (const cookie of p.offsets.keys()) {
      this.#quiet(() => this.store.deleteOffsets(p.procPid, cookie));
    }
    p.offsets.clear();
    for (const a of p.aliases) this.#quiet(() => this.store.deleteAlias(a.tgid, a.nsIno));
    p.aliases.length = 0;
    for (const h of p.allowed) this.#quiet(() => this.store.disallow(h));
    p.allowed.clear();
    this.#unregister(p);
  }

  /** Namespaces registered in `sysmon_pidns` (ino -> slot). */
  registeredNamespaces(): Map<bigint, number> {
    return new Map([...this.#slots].map(([ino, s]) => [ino, s.slot]));
  }

  #alias(p: FollowedProcess, ref: AliasRef): void {
    if (p.aliases.some((a) => a.tgid === ref.tgid && a.nsIno === ref.nsIno)) return;
    if (this.#write("pid_aliases", () => this.store.setAlias(ref.tgid, ref.nsIno, p.procPid))) {
      p.aliases.push(ref);
    }
  }

  #register(p: FollowedProcess): void {
    const held = this.#slots.get(p.nsIno);
    if (held !== undefined) {
      held.refs++;
      return;
    }
    if (p.nsDev === undefined) {
      this.#once(
        `nsdev:${p.nsIno}`,
        `PID namespace ${p.nsIno} has no known device; its processes are matched by host TGID only`,
      );
      return;
    }
    const used = new Set([...this.#slots.values()].map((s) => s.slot));
    let slot = 0;
    while (slot < PIDNS_SLOTS && used.has(slot)) slot++;
    if (slot === PIDNS_SLOTS) {
      this.#once(
        "slots",
        `more than ${PIDNS_SLOTS} nested PID namespaces hold followed processes; the others are matched by host TGID only`,
      );
      return;
    }
    if (this.#write("sysmon_pidns", () => this.store.setPidNsSlot(slot, p.nsDev!, p.nsIno))) {
      this.#slots.set(p.nsIno, { slot, refs: 1 });
    }
  }

  #unregister(p: FollowedProcess): void {
    const held = this.#slots.get(p.nsIno);
    if (held === undefined || --held.refs > 0) return;
    this.#slots.delete(p.nsIno);
    this.#quiet(() => this.store.setPidNsSlot(held.slot, 0n, 0n));
  }

  #write(map: string, write: () => void): boolean {
    try {
      write();
      return true;
    } catch (err) {
      this.#once(`write:${map}`, `cannot update ${map}: ${(err as Error).message}`);
      return false;
    }
  }

  #quiet(op: () => void): void {
    try {
      op();
    } catch {
      // Already gone (the kernel side deletes allowed_pids entries at exit).
    }
  }

  #once(key: string, text: string): void {
    if (this.#warned.has(key)) return;
    this.#warned.add(key);
    this.notice(text);
  }
}
