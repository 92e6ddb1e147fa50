/**
 * Maps of the process-lifecycle monitor ("sysmon") and the ones it shares with trace programs,
 * with their key/value layouts, encoders and decoders. Layout facts live here only; userspace
 * (`lib/sysmon/`) and program builders (`sysmon_program.ts`, `sysmon_lookup.ts`) import them.
 *
 * ## Keys: which PID means what
 *
 * Userspace knows a process by its **proc PID**: the PID in ghostscope's own `/proc` view, the only
 * one that opens `/proc/PID/maps`. The kernel side knows a task by its **host TGID**
 * (`bpf_get_current_pid_tgid() >> 32`, initial namespace) and, through
 * `bpf_get_ns_current_pid_tgid(dev, ino)`, by its TGID in its OWN active PID namespace (the helper
 * answers only for that namespace, never for an ancestor).
 *
 * - `proc_module_offsets` is keyed by `(proc_pid, module cookie)`; it is written only by
 *   userspace, from `/proc/PID/maps` and the module's PT_LOAD segments.
 * - `pid_aliases` turns what the kernel sees into the proc PID. Its key is
 *   `(tgid, pid-namespace inode)`: "the process whose TGID in namespace `ns_ino` is `tgid`".
 *   A pair like that is unique at any instant (namespace inodes are unique while the namespace
 *   lives, TGIDs are unique inside a namespace), so keys can never collide across containers —
 *   unlike a flat TGID key, where a host TGID can equal some container-local TGID. Host TGIDs are
 *   the special case `ns_ino = INITIAL_PID_NS_INO`.
 *   - ghostscope in the initial PID namespace: proc PID == host TGID. No alias is written at all.
 *   - ghostscope in a private namespace: for each followed process userspace writes
 *     `(tgid in the process's own namespace, that namespace's inode) -> proc_pid` (read from
 *     /proc: `NStgid` tail and `/proc/PID/ns/pid`), and `(host_tgid, INITIAL) -> proc_pid` as soon
 *     as a sysmon event has shown which host TGID belongs to which proc PID (the event carries
 *     both: the host TGID and the TGID in ghostscope's namespace or in a registered one).
 * - `allowed_pids` is keyed by host TGID (what every kernel program has for free). The kernel
 *   side writes it in one case: a followed process forks, and the child's host PID is inserted at
 *   once (no race with the child's first mmap). The exit program deletes the host TGID when the
 *   whole process ends. Userspace writes it for every followed process whose host TGID it knows.
 * - `sysmon_pidns` registers up to {@link PIDNS_SLOTS} descendant PID namespaces (neither the
 *   initial one nor ghostscope's) that followed processes live in, so the kernel side can ask the
 *   helper for those namespaces too.
 *
 * @module
 */

import { type MapSpec, OBJECT_PREFIX } from "./maps.ts";
import { MapType } from "../ffi/bpf_types.ts";

/**
 * `PROC_PID_INIT_INO` (include/linux/proc_ns.h): the nsfs inode of the initial PID namespace,
 * fixed by the kernel. `(host_tgid, INITIAL_PID_NS_INO)` is the alias key of a host TGID.
 */
export const INITIAL_PID_NS_INO = 0xEFFFFFFCn;

/** Program-side names (`Assembler.ldMap`) of the maps. */
export enum SysmonMapRef {
  ProcModuleOffsets = "proc_module_offsets",
  PidAliases = "pid_aliases",
  AllowedPids = "allowed_pids",
  Events = "sysmon_events",
  Lost = "sysmon_lost",
  ExecComm = "sysmon_exec_comm",
  PidNs = "sysmon_pidns",
}

/** Kernel object names (`gs_` prefix, at most 15 characters), as `bpftool map` shows them. */
export const SYSMON_MAP_NAMES: Readonly<Record<SysmonMapRef, string>> = {
  [SysmonMapRef.ProcModuleOffsets]: `${OBJECT_PREFIX}proc_offs`,
  [SysmonMapRef.PidAliases]: `${OBJECT_PREFIX}pid_aliases`,
  [SysmonMapRef.AllowedPids]: `${OBJECT_PREFIX}allowed_pids`,
  [SysmonMapRef.Events]: `${OBJECT_PREFIX}sm_events`,
  [SysmonMapRef.Lost]: `${OBJECT_PREFIX}sm_lost`,
  [SysmonMapRef.ExecComm]: `${OBJECT_PREFIX}sm_comm`,
  [SysmonMapRef.PidNs]: `${OBJECT_PREFIX}sm_pidns`,
};

/** Default capacities. */
export enum SysmonCapacity {
  /** `(proc_pid, cookie)` entries: processes x modules published. */
  ProcModuleOffsets = 4096,
  /** Alias entries: up to two per followed process in a private namespace. */
  PidAliases = 8192,
  /** Host TGIDs (plus thread ids inherited at clone time until those threads exit). */
  AllowedPids = 16384,
  /** Distinct executable names in the exec filter. */
  ExecComm = 16,
  /** Sysmon ring buffer bytes (128-byte events: 8192 in flight). */
  EventsRing = 1 << 20,
}

/** Bytes of the u32 keys and values (`allowed_pids`, ARRAY indexes). */
export const U32_BYTES = 4;
/** Bytes of a u64 value (the per-CPU lost counter). */
export const U64_BYTES = 8;

/** Registered descendant PID namespaces the kernel side probes (one helper call each). */
export const PIDNS_SLOTS = 4;

/** The lost counter has one (per-CPU) slot. */
const LOST_SLOTS = 1;
/** The exec filter's value is one unused byte (presence is what counts). */
const COMM_VALUE_BYTES = 1;

/** Length of a task comm (`TASK_COMM_LEN`), NUL included. */
export const COMM_LEN = 16;

// ---------------------------------------------------------------------------------------------
// proc_module_offsets: (proc_pid, cookie) -> bias
// ---------------------------------------------------------------------------------------------

/** `struct { u32 proc_pid; u32 reserved; u64 cookie; }`. */
export enum OffsetsKey {
  ProcPid = 0,
  Reserved = 4,
  Cookie = 8,
  Size = 16,
}

/**
 * `struct { u64 bias; u64 start; u64 end; }`. `bias` = runtime address − link-time address for
 * every address of the module in that process (0 for a non-PIE executable); `[start, end)` spans
 * the module's mappings, for code that wants to check an address belongs to it.
 */
export enum OffsetsValue {
  Bias = 0,
  Start = 8,
  End = 16,
  Size = 24,
}

/** One `proc_module_offsets` entry, decoded. */
export interface ModuleOffsets {
  bias: bigint;
  start: bigint;
  end: bigint;
}

/** Encodes a `proc_module_offsets` key. */
export function offsetsKey(procPid: number, cookie: bigint): Uint8Array {
  const out = new Uint8Array(OffsetsKey.Size);
  const v = new DataView(out.buffer);
  v.setUint32(OffsetsKey.ProcPid, procPid, true);
  v.setBigUint64(OffsetsKey.Cookie, BigInt.asUintN(64, cookie), true);
  return out;
}

/** Decodes a `proc_module_offsets` key. */
export function decodeOffsetsKey(bytes: Uint8Array): { procPid: number; cookie: bigint } {
  const v = view(bytes);
  return {
    procPid: v.getUint32(OffsetsKey.ProcPid, true),
    cookie: v.getBigUint64(OffsetsKey.Cookie, true),
  };
}

/** Encodes a `proc_module_offsets` value. */
export function offsetsValue(value: ModuleOffsets): Uint8Array {
  const out = new Uint8Array(OffsetsValue.Size);
  const v = new DataView(out.buffer);
  v.setBigUint64(OffsetsValue.Bias, BigInt.asUintN(64, value.bias), true);
  v.setBigUint64(OffsetsValue.Start, value.start, true);
  v.setBigUint64(OffsetsValue.End, value.end, true);
  return out;
}

/** Decodes a `proc_module_offsets` value (`bias` as a signed-agnostic u64). */
export function decodeOffsetsValue(bytes: Uint8Array): ModuleOffsets {
  const v = view(bytes);
  return {
    bias: v.getBigUint64(OffsetsValue.Bias, true),
    start: v.getBigUint64(OffsetsValue.Start, true),
    end: v.getBigUint64(OffsetsValue.End, true),
  };
}

// ---------------------------------------------------------------------------------------------
// pid_aliases: (tgid, ns_ino) -> proc_pid
// ---------------------------------------------------------------------------------------------

/** `struct { u32 tgid; u32 reserved; u64 ns_ino; }`. */
export enum AliasKey {
  Tgid = 0,
  Reserved = 4,
  NsIno = 8,
  Size = 16,
}

/** `struct { u32 proc_pid; u32 reserved; }`. */
export enum AliasValue {
  ProcPid = 0,
  Size = 8,
}

/** Encodes a `pid_aliases` key: `tgid` as seen in PID namespace `nsIno`. */
export function aliasKey(tgid: number, nsIno: bigint): Uint8Array {
  const out = new Uint8Array(AliasKey.Size);
  const v = new DataView(out.buffer);
  v.setUint32(AliasKey.Tgid, tgid, true);
  v.setBigUint64(AliasKey.NsIno, nsIno, true);
  return out;
}

/** Decodes a `pid_aliases` key. */
export function decodeAliasKey(bytes: Uint8Array): { tgid: number; nsIno: bigint } {
  const v = view(bytes);
  return { tgid: v.getUint32(AliasKey.Tgid, true), nsIno: v.getBigUint64(AliasKey.NsIno, true) };
}

/** Encodes a `pid_aliases` value. */
export function aliasValue(procPid: number): Uint8Array {
  const out = new Uint8Array(AliasValue.Size);
  new DataView(out.buffer).setUint32(AliasValue.ProcPid, procPid, true);
  return out;
}

/** Decodes a `pid_aliases` value. */
export function decodeAliasValue(bytes: Uint8Array): number {
  return view(bytes).getUint32(AliasValue.ProcPid, true);
}

// ---------------------------------------------------------------------------------------------
// allowed_pids: host_tgid -> flags
// ---------------------------------------------------------------------------------------------

/** Key: `u32 host_tgid`; value: `u32` {@link AllowedFlag} bits. */
export enum AllowedLayout {
  KeySize = 4,
  ValueSize = 4,
}

/** Why a host id is in `allowed_pids`. */
export enum AllowedFlag {
  /** Written by userspace for a followed process. */
  Followed = 1,
  /** Written by the fork program for the child of a followed process (maybe a thread). */
  Inherited = 2,
}

/** Encodes an `allowed_pids` key. */
export function allowedKey(hostTgid: number): Uint8Array {
  const out = new Uint8Array(AllowedLayout.KeySize);
  new DataView(out.buffer).setUint32(0, hostTgid, true);
  return out;
}

/** Encodes an `allowed_pids` value. */
export function allowedValue(flags: AllowedFlag): Uint8Array {
  const out = new Uint8Array(AllowedLayout.ValueSize);
  new DataView(out.buffer).setUint32(0, flags, true);
  return out;
}

/** Decodes an `allowed_pids` key. */
export function decodeAllowedKey(bytes: Uint8Array): number {
  return view(bytes).getUint32(0, true);
}

// ---------------------------------------------------------------------------------------------
// sysmon_pidns: slot -> { dev, ino }
// ---------------------------------------------------------------------------------------------

/** ARRAY value `struct { u64 dev; u64 ino; }` (dev in the kernel MKDEV encoding; ino 0 = free). */
export enum PidNsSlot {
  Dev = 0,
  Ino = 8,
  Size = 16,
}

/** Encodes a `sysmon_pidns` value. */
export function pidNsSlotValue(dev: bigint, ino: bigint): Uint8Array {
  const out = new Uint8Array(PidNsSlot.Size);
  const v = new DataView(out.buffer);
  v.setBigUint64(PidNsSlot.Dev, dev, true);
  v.setBigUint64(PidNsSlot.Ino, ino, true);
  return out;
}

/** Encodes an ARRAY index key. */
export function indexKey(index: number): Uint8Array {
  const out = new Uint8Array(U32_BYTES);
  new DataView(out.buffer).setUint32(0, index, true);
  return out;
}

// ---------------------------------------------------------------------------------------------
// sysmon_exec_comm: comm[16] -> u8
// ---------------------------------------------------------------------------------------------

/**
 * The exec filter key for an executable: its basename cut to 15 bytes and NUL-padded to 16, which
 * is what the kernel stores in `task->comm` at exec and `bpf_get_current_comm` returns.
 */
export function commKey(executableName: string): Uint8Array {
  const base = executableName.slice(executableName.lastIndexOf("/") + 1);
  const bytes = new TextEncoder().encode(base).subarray(0, COMM_LEN - 1);
  const out = new Uint8Array(COMM_LEN);
  out.set(bytes);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Specs
// ---------------------------------------------------------------------------------------------

/** Capacities a session may tune. */
export interface SysmonMapSizes {
  offsets?: number;
  aliases?: number;
  allowed?: number;
  ringBytes?: number;
}

function spec(
  ref: SysmonMapRef,
  type: MapType,
  keySize: number,
  valueSize: number,
  maxEntries: number,
): MapSpec {
  return { ref, name: SYSMON_MAP_NAMES[ref], type, keySize, valueSize, maxEntries };
}

/**
 * The maps trace programs may read to rebase globals of another module (`sysmon_lookup.ts`):
 * `proc_module_offsets`, `pid_aliases` and `sysmon_pidns`. Created by the sysmon owner; handed
 * to trace programs by fd under these refs.
 */
export function sharedMapSpecs(sizes: SysmonMapSizes = {}): MapSpec[] {
  return [
    spec(
      SysmonMapRef.ProcModuleOffsets,
      MapType.Hash,
      OffsetsKey.Size,
      OffsetsValue.Size,
      sizes.offsets ?? SysmonCapacity.ProcModuleOffsets,
    ),
    spec(
      SysmonMapRef.PidAliases,
      MapType.Hash,
      AliasKey.Size,
      AliasValue.Size,
      sizes.aliases ?? SysmonCapacity.PidAliases,
    ),
    spec(SysmonMapRef.PidNs, MapType.Array, U32_BYTES, PidNsSlot.Size, PIDNS_SLOTS),
  ];
}

/** Every map of the lifecycle monitor, the shared ones included. */
export function sysmonMapSpecs(sizes: SysmonMapSizes = {}): MapSpec[] {
  return [
    ...sharedMapSpecs(sizes),
    spec(
      SysmonMapRef.AllowedPids,
      MapType.Hash,
      AllowedLayout.KeySize,
      AllowedLayout.ValueSize,
      sizes.allowed ?? SysmonCapacity.AllowedPids,
    ),
    spec(
      SysmonMapRef.Events,
      MapType.RingBuf,
      0,
      0,
      sizes.ringBytes ?? SysmonCapacity.EventsRing,
    ),
    spec(SysmonMapRef.Lost, MapType.PerCpuArray, U32_BYTES, U64_BYTES, LOST_SLOTS),
    spec(
      SysmonMapRef.ExecComm,
      MapType.Hash,
      COMM_LEN,
      COMM_VALUE_BYTES,
      SysmonCapacity.ExecComm,
    ),
  ];
}

function view(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
