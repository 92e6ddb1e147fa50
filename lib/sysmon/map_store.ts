/**
 * The sysmon maps in the kernel, with typed writes and dumps. Every map is registered with the
 * session's {@link Resources} at creation, so any way out of the session releases it.
 * @module
 */

import { mapDelete, mapLookup, mapNextKey, mapUpdate, possibleCpus } from "../../ffi/bpf.ts";
import {
  AliasKey,
  aliasKey,
  AliasValue,
  aliasValue,
  AllowedFlag,
  allowedKey,
  AllowedLayout,
  allowedValue,
  commKey,
  decodeAliasKey,
  decodeAliasValue,
  decodeAllowedKey,
  decodeOffsetsKey,
  decodeOffsetsValue,
  indexKey,
  type ModuleOffsets,
  OffsetsKey,
  offsetsKey,
  OffsetsValue,
  offsetsValue,
  pidNsSlotValue,
  SysmonMapRef,
  type SysmonMapSizes,
  sysmonMapSpecs,
  U64_BYTES,
} from "../../bpf/sysmon_maps.ts";
import { createHeldMap } from "../session/held_map.ts";
import type { Resources } from "../session/resources.ts";

/** One `proc_module_offsets` entry. */
export interface OffsetsEntry extends ModuleOffsets {
  procPid: number;
  cookie: bigint;
}

/** One `pid_aliases` entry. */
export interface AliasEntry {
  tgid: number;
  nsIno: bigint;
  procPid: number;
}

/** Bytes per slot of a per-CPU value (u64 values are 8-aligned per CPU). */
const PERCPU_SLOT = U64_BYTES;

/** Reads every key of a map (`mapNextKey` from the start). */
export function mapKeys(fd: number, keySize: number): Uint8Array[] {
  const keys: Uint8Array[] = [];
  let key: Uint8Array | null = null;
  for (;;) {
    const next = mapNextKey(fd, key, keySize);
    if (next === null) return keys;
    keys.push(next);
    key = next;
  }
}

/** Dumps `proc_module_offsets`. */
export function dumpOffsets(fd: number): OffsetsEntry[] {
  const out: OffsetsEntry[] = [];
  for (const key of mapKeys(fd, OffsetsKey.Size)) {
    const value = mapLookup(fd, key, OffsetsValue.Size);
    if (value !== null) out.push({ ...decodeOffsetsKey(key), ...decodeOffsetsValue(value) });
  }
  return out;
}

/** Dumps `pid_aliases`. */
export function dumpAliases(fd: number): AliasEntry[] {
  const out: AliasEntry[] = [];
  for (const key of mapKeys(fd, AliasKey.Size)) {
    const value = mapLookup(fd, key, AliasValue.Size);
    if (value !== null) out.push({ ...decodeAliasKey(key), procPid: decodeAliasValue(value) });
  }
  return out;
}

/** Dumps the host TGIDs of `allowed_pids`. */
export function dumpAllowed(fd: number): number[] {
  return mapKeys(fd, AllowedLayout.KeySize).map(decodeAllowedKey);
}

/** The writes the publisher makes (a fake in unit tests, {@link SysmonMapStore} for real). */
export interface SysmonMapWriter {
  setOffsets(procPid: number, cookie: bigint, value: ModuleOffsets): void;
  deleteOffsets(procPid: number, cookie: bigint): void;
  setAlias(tgid: number, nsIno: bigint, procPid: number): void;
  deleteAlias(tgid: number, nsIno: bigint): void;
  allow(hostTgid: number): void;
  disallow(hostTgid: number): void;
  setPidNsSlot(slot: number, dev: bigint, ino: bigint): void;
}

/** The sysmon maps of one session. */
export class SysmonMapStore implements SysmonMapWriter {
  /** fds by program-side name, for `Assembler.assemble`. */
  readonly fds: Record<string, number> = {};

  /** Creates every map of `sysmonMapSpecs(sizes)`, registered with `resources`. */
  constructor(resources: Resources, sizes: SysmonMapSizes = {}) {
    for (const spec of sysmonMapSpecs(sizes)) this.fds[spec.ref] = createHeldMap(resources, spec);
  }

  fd(ref: SysmonMapRef): number {
    return this.fds[ref];
  }

  setOffsets(procPid: number, cookie: bigint, value: ModuleOffsets): void {
    mapUpdate(
      this.fd(SysmonMapRef.ProcModuleOffsets),
      offsetsKey(procPid, cookie),
      offsetsValue(value),
    );
  }

  deleteOffsets(procPid: number, cookie: bigint): void {
    mapDelete(this.fd(SysmonMapRef.ProcModuleOffsets), offsetsKey(procPid, cookie));
  }

  setAlias(tgid: number, nsIno: bigint, procPid: number): void {
    mapUpdate(this.fd(SysmonMapRef.PidAliases), aliasKey(tgid, nsIno), aliasValue(procPid));
  }

  deleteAlias(tgid: number, nsIno: bigint): void {
    mapDelete(this.fd(SysmonMapRef.PidAliases), aliasKey(tgid, nsIno));
  }

  allow(hostTgid: number): void {
    mapUpdate(
      this.fd(SysmonMapRef.AllowedPids),
      allowedKey(hostTgid),
      allowedValue(AllowedFlag.Followed),
    );
  }

  disallow(hostTgid: number): void {
    mapDelete(this.fd(SysmonMapRef.AllowedPids), allowedKey(hostTgid));
  }

  /** Adds an executable name to the exec filter. */
  addExecComm(name: string): void {
    mapUpdate(this.fd(SysmonMapRef.ExecComm), commKey(name), new Uint8Array(1));
  }

  /** Writes (or, with ino 0, frees) a registered-namespace slot. */
  setPidNsSlot(slot: number, dev: bigint, ino: bigint): void {
    mapUpdate(this.fd(SysmonMapRef.PidNs), indexKey(slot), pidNsSlotValue(dev, ino));
  }

  /** Sum of the per-CPU lost-event counter. */
  lostEvents(): number {
    const cpus = possibleCpus();
    const value = mapLookup(this.fd(SysmonMapRef.Lost), indexKey(0), PERCPU_SLOT * cpus);
    if (value === null) return 0;
    const v = new DataView(value.buffer, value.byteOffset, value.byteLength);
    let total = 0n;
    for (let cpu = 0; cpu < cpus; cpu++) total += v.getBigUint64(cpu * PERCPU_SLOT, true);
    return Number(total);
  }

  offsets(): OffsetsEntry[] {
    return dumpOffsets(this.fd(SysmonMapRef.ProcModuleOffsets));
  }

  aliases(): AliasEntry[] {
    return dumpAliases(this.fd(SysmonMapRef.PidAliases));
  }

  allowed(): number[] {
    return dumpAllowed(this.fd(SysmonMapRef.AllowedPids));
  }
}
