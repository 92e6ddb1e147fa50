/**
 * The sysmon event: one fixed-size ring record per reported lifecycle change, written by the
 * tracepoint programs of `sysmon_program.ts` and decoded by `lib/sysmon/`.
 *
 * ```
 * 128 bytes, little-endian:
 *   u32 kind           SysmonKind
 *   u32 flags          SysmonEventFlag bits
 *   u64 ktime_ns       bpf_ktime_get_ns()
 *   u32 host_tgid      bpf_get_current_pid_tgid() >> 32 (the current task: for fork the PARENT)
 *   u32 host_tid
 *   u32 self_tgid      TGID in ghostscope's own PID namespace; 0 when the task is not in it.
 *   u32 self_tid       (ghostscope in the initial namespace: the host ids.)
 *   u64 ns_ino         a registered descendant namespace the task is in (0 = none / not probed)
 *   u32 ns_tgid        TGID in that namespace
 *   u32 detail         fork: host PID of the CHILD; map-change: MapChangeSyscall; else 0
 *   u8  comm[16]       bpf_get_current_comm() (after exec: the new program's name)
 *   u8  filename[64]   exec only: the path handed to execve, NUL-terminated, cut to 63 bytes
 * ```
 * @module
 */

import { COMM_LEN } from "./sysmon_maps.ts";

/** What happened. */
export enum SysmonKind {
  /** `sched_process_exec`: the current process replaced its program. */
  Exec = 1,
  /** `sched_process_fork`: the current task created a task (process or thread). */
  Fork = 2,
  /** `sched_process_exit` with the whole thread group dead: the process ended. */
  Exit = 3,
  /** `sys_exit_{mmap,mprotect,munmap,mremap}` succeeded: the address space changed. */
  MapChange = 4,
}

/** Bits of the `flags` field. */
export enum SysmonEventFlag {
  /** The task is in `allowed_pids` (or aliased) — a process ghostscope follows. */
  Followed = 1 << 0,
  /** Fork: the kernel inserted the child's host PID into `allowed_pids`. */
  ChildInherited = 1 << 1,
  /** Exit: decided by `group_dead`; otherwise by `pid == tgid` (older kernels). */
  GroupDeadField = 1 << 2,
}

/** Which syscall changed the mappings (the `detail` of a map-change event). */
export enum MapChangeSyscall {
  Mmap = 1,
  Mprotect = 2,
  Munmap = 3,
  Mremap = 4,
  /**
   * Entry of an executable file mapping (`PROT_EXEC`, `fd >= 0`) by a process that is not
   * followed: how a shared library being loaded into a new process is noticed.
   */
  MmapExecCandidate = 5,
}

/** Byte offsets of the fields. */
export enum SysmonEventOffset {
  Kind = 0,
  Flags = 4,
  KtimeNs = 8,
  HostTgid = 16,
  HostTid = 20,
  SelfTgid = 24,
  SelfTid = 28,
  NsIno = 32,
  NsTgid = 40,
  Detail = 44,
  Comm = 48,
  Filename = 64,
}

/** Bytes of the exec filename field. */
export const FILENAME_LEN = 64;
/** Total record size. */
export const SYSMON_EVENT_SIZE = SysmonEventOffset.Filename + FILENAME_LEN;

/** A decoded sysmon event. */
export interface SysmonEvent {
  kind: SysmonKind;
  flags: number;
  ktimeNs: bigint;
  hostTgid: number;
  hostTid: number;
  /** TGID in ghostscope's namespace, 0 when the task is outside it. */
  selfTgid: number;
  selfTid: number;
  /** Registered namespace the task was found in, 0n when none. */
  nsIno: bigint;
  nsTgid: number;
  /** Fork: child host PID; map change: {@link MapChangeSyscall}. */
  detail: number;
  comm: string;
  /** Exec only ("" otherwise). */
  filename: string;
}

/** Raised for a record that is not a sysmon event. */
export class SysmonWireError extends Error {
  override name = "SysmonWireError";
}

const decoder = new TextDecoder();

function cString(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return decoder.decode(nul < 0 ? bytes : bytes.subarray(0, nul));
}

/** Decodes one record (copying what it keeps: `bytes` may be reused by the ring consumer). */
export function decodeSysmonEvent(bytes: Uint8Array): SysmonEvent {
  if (bytes.byteLength < SYSMON_EVENT_SIZE) {
    throw new SysmonWireError(
      `sysmon record of ${bytes.byteLength} bytes, expected ${SYSMON_EVENT_SIZE}`,
    );
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const kind = v.getUint32(SysmonEventOffset.Kind, true);
  if (SysmonKind[kind] === undefined) throw new SysmonWireError(`unknown sysmon kind ${kind}`);
  return {
    kind,
    flags: v.getUint32(SysmonEventOffset.Flags, true),
    ktimeNs: v.getBigUint64(SysmonEventOffset.KtimeNs, true),
    hostTgid: v.getUint32(SysmonEventOffset.HostTgid, true),
    hostTid: v.getUint32(SysmonEventOffset.HostTid, true),
    selfTgid: v.getUint32(SysmonEventOffset.SelfTgid, true),
    selfTid: v.getUint32(SysmonEventOffset.SelfTid, true),
    nsIno: v.getBigUint64(SysmonEventOffset.NsIno, true),
    nsTgid: v.getUint32(SysmonEventOffset.NsTgid, true),
    detail: v.getUint32(SysmonEventOffset.Detail, true),
    comm: cString(bytes.subarray(SysmonEventOffset.Comm, SysmonEventOffset.Comm + COMM_LEN)),
    filename: kind === SysmonKind.Exec
      ? cString(bytes.subarray(SysmonEventOffset.Filename, SYSMON_EVENT_SIZE))
      : "",
  };
}
