/**
 * The lifecycle monitor's kernel side: one BPF_PROG_TYPE_TRACEPOINT program per tracepoint, each
 * carrying its {@link SysmonKind} as a constant (the first 8 bytes of a perf-attached tracepoint
 * record are overwritten with a `pt_regs` pointer, so a shared program could not dispatch on
 * `common_type`). Field offsets come from the tracefs `format` files, parsed at run time by the
 * caller ({@link SysmonFieldOffsets}): they differ between kernels.
 *
 * Every program:
 * 1. drops ghostscope's own tasks (its mmaps would otherwise feed back into the monitor);
 * 2. identifies the task: host ids, ids in ghostscope's namespace (helper 120 with ghostscope's
 *    own namespace; in the initial namespace these are the host ids), or ids in one of the
 *    registered descendant namespaces (`sysmon_pidns`);
 * 3. decides whether the task belongs to a followed process: `allowed_pids[host_tgid]`, or — when
 *    ghostscope runs in a private namespace and has not learned the host TGID yet — an alias entry
 *    `pid_aliases[(tgid, ns_ino)]` that userspace wrote from /proc;
 * 4. applies its own rule (below) and writes a 128-byte event (`sysmon_event.ts`) with
 *    `bpf_ringbuf_output`; a full ring increments the per-CPU `sysmon_lost` counter.
 *
 * Rules:
 * - exec: report when followed, or when the exec policy admits it (all execs, or only programs
 *   whose new comm is in `sysmon_exec_comm`);
 * - fork (fires for threads too): report only when followed; the CHILD's host PID comes from the
 *   tracepoint arguments and is inserted into `allowed_pids` right away, so the child's first
 *   mmap is already reported. The tracepoint does not say whether the child is a thread;
 *   userspace decides (a thread's entry is deleted by the exit program when the thread ends);
 * - exit: only the end of the whole process (`group_dead`, or `pid == tgid` where the field does
 *   not exist) is reported; the host TGID is deleted from `allowed_pids`. A thread ending only
 *   deletes the entry its creation may have added;
 * - map change: only successful syscalls (`ret >= 0`) of followed processes;
 * - library candidates (shared-library targets only, `sys_enter_mmap`): an executable file
 *   mapping (`prot & PROT_EXEC`, `fd >= 0`) by a process that is NOT followed — a library being
 *   loaded (by ld.so or dlopen) — so that userspace checks whether it is the target library.
 *   Anonymous and non-executable mappings (JIT heaps, malloc arenas: the bulk of all mmaps) are
 *   never reported.
 * @module
 */

import { Assembler, JmpOp, Reg, Size } from "./asm.ts";
import { BpfHelper, PIDNS_INFO_SIZE, RingbufFlag } from "./helpers.ts";
import type { PidNsRef } from "./task_filter.ts";
import {
  AliasKey,
  AllowedFlag,
  COMM_LEN,
  PIDNS_SLOTS,
  PidNsSlot,
  SysmonMapRef,
} from "./sysmon_maps.ts";
import {
  FILENAME_LEN,
  MapChangeSyscall,
  SYSMON_EVENT_SIZE,
  SysmonEventFlag,
  SysmonEventOffset as Ev,
  SysmonKind,
} from "./sysmon_event.ts";

/** `flags` of `bpf_map_update_elem`: create only. */
const BPF_NOEXIST = 1;
/** `PROT_EXEC` of mmap(2). */
const PROT_EXEC = 0x4;
/** A `__data_loc` field: low 16 bits = offset of the data in the record, high 16 = length. */
const DATA_LOC_OFFSET_MASK = 0xffff;
const U32_SHIFT = 32;

/** Which tracepoint a program is for. */
export enum SysmonProbe {
  Exec = "exec",
  Fork = "fork",
  Exit = "exit",
  Mmap = "mmap",
  Mprotect = "mprotect",
  Munmap = "munmap",
  Mremap = "mremap",
  /** Library candidates: `sys_enter_mmap` of executable file mappings by unfollowed processes. */
  MmapExec = "mmap_exec",
}

/** tracefs location of each probe. */
export const SYSMON_TRACEPOINTS: Readonly<Record<SysmonProbe, { category: string; name: string }>> =
  {
    [SysmonProbe.Exec]: { category: "sched", name: "sched_process_exec" },
    [SysmonProbe.Fork]: { category: "sched", name: "sched_process_fork" },
    [SysmonProbe.Exit]: { category: "sched", name: "sched_process_exit" },
    [SysmonProbe.Mmap]: { category: "syscalls", name: "sys_exit_mmap" },
    [SysmonProbe.Mprotect]: { category: "syscalls", name: "sys_exit_mprotect" },
    [SysmonProbe.Munmap]: { category: "syscalls", name: "sys_exit_munmap" },
    [SysmonProbe.Mremap]: { category: "syscalls", name: "sys_exit_mremap" },
    [SysmonProbe.MmapExec]: { category: "syscalls", name: "sys_enter_mmap" },
  };

/** The map-change probes and the syscall each one reports. */
export const MAP_CHANGE_PROBES: ReadonlyMap<SysmonProbe, MapChangeSyscall> = new Map([
  [SysmonProbe.Mmap, MapChangeSyscall.Mmap],
  [SysmonProbe.Mprotect, MapChangeSyscall.Mprotect],
  [SysmonProbe.Munmap, MapChangeSyscall.Munmap],
  [SysmonProbe.Mremap, MapChangeSyscall.Mremap],
]);

/** Offsets (bytes into the tracepoint record) of the fields a probe reads. */
export type SysmonFieldOffsets =
  /** `__data_loc char[] filename`; undefined: the filename is not reported. */
  | { probe: SysmonProbe.Exec; filenameDataLoc?: number }
  /** `pid_t child_pid`. */
  | { probe: SysmonProbe.Fork; childPid: number }
  /** `bool group_dead` (Linux 6.x); undefined: fall back to `pid == tgid`. */
  | { probe: SysmonProbe.Exit; groupDead?: number }
  /** `long ret` of the syscall. */
  | {
    probe: SysmonProbe.Mmap | SysmonProbe.Mprotect | SysmonProbe.Munmap | SysmonProbe.Mremap;
    ret: number;
  }
  /** `unsigned long prot` and `unsigned long fd` of `sys_enter_mmap`. */
  | { probe: SysmonProbe.MmapExec; prot: number; fd: number };

/** Which execs are reported (followed processes' execs always are). */
export enum ExecPolicy {
  /** Every exec in the system. */
  All = "all",
  /** Execs whose new comm is in `sysmon_exec_comm`. */
  Comm = "comm",
  /** Only execs of followed processes. */
  FollowedOnly = "followed-only",
}

/** Options shared by every sysmon program of a session. */
export interface SysmonProgramOptions {
  /**
   * ghostscope's own PID namespace when it is NOT the initial one (private mode), else undefined
   * (then the ids in ghostscope's namespace are the host ids).
   */
  selfNs?: PidNsRef;
  /** ghostscope's TGID in its own namespace (`Deno.pid`): its tasks are never reported. */
  selfTgid: number;
  execPolicy: ExecPolicy;
}

// Stack layout (offsets from r10).
const EVENT = -SYSMON_EVENT_SIZE;
const KEY = EVENT - AliasKey.Size;
const NS_INFO = KEY - PIDNS_INFO_SIZE;
const VALUE = NS_INFO - 8;
const NS_INFO_PID = NS_INFO;
const NS_INFO_TGID = NS_INFO + 4;

// Registers kept across helper calls.
const CTX = Reg.R6;
const PID_TGID = Reg.R7;
const FOLLOWED = Reg.R8;
const GROUP_DEAD = Reg.R9;

const LABEL_OUT = "out";

/**
 * Builds the program for one probe. Maps are referenced by {@link SysmonMapRef}: assemble with
 * the fds of `sysmonMapSpecs()`.
 */
export function buildSysmonProgram(
  fields: SysmonFieldOffsets,
  opts: SysmonProgramOptions,
): Assembler {
  return new SysmonCodegen(fields, opts).build();
}

/** Kernel name of a probe's program (at most 15 characters). */
export function sysmonProgramName(probe: SysmonProbe): string {
  return `gs_sm_${probe}`;
}

class SysmonCodegen {
  readonly a = new Assembler();
  #seq = 0;

  constructor(readonly fields: SysmonFieldOffsets, readonly opts: SysmonProgramOptions) {}

  #label(what: string): string {
    return `${what}_${this.#seq++}`;
  }

  build(): Assembler {
    const a = this.a;
    const f = this.fields;
    a.mov64(CTX, Reg.R1);
    if (MAP_CHANGE_PROBES.has(f.probe) && "ret" in f) {
      // Failed syscalls changed nothing.
      a.ldx(Size.DW, Reg.R1, CTX, f.ret).jmp(JmpOp.Jslt, Reg.R1, 0, LABEL_OUT);
    }
    if (f.probe === SysmonProbe.MmapExec) {
      // Only executable mappings of a file (the fd is an int held in an unsigned long).
      a.ldx(Size.DW, Reg.R1, CTX, f.prot).and64(Reg.R1, PROT_EXEC).jmp(
        JmpOp.Jeq,
        Reg.R1,
        0,
        LABEL_OUT,
      );
      a.ldx(Size.W, Reg.R1, CTX, f.fd).jmp32(JmpOp.Jslt, Reg.R1, 0, LABEL_OUT);
    }
    for (let off = EVENT; off < 0; off += 8) a.st(Size.DW, Reg.R10, off, 0);
    a.call(BpfHelper.GetCurrentPidTgid).mov64(PID_TGID, Reg.R0);
    a.stx(Size.W, Reg.R10, EVENT + Ev.HostTid, PID_TGID);
    a.mov64(Reg.R1, PID_TGID).rsh64(Reg.R1, U32_SHIFT);
    a.stx(Size.W, Reg.R10, EVENT + Ev.HostTgid, Reg.R1);
    a.st(Size.W, Reg.R10, EVENT + Ev.Kind, this.#kind());
    if (f.probe === SysmonProbe.Exit) this.#groupDead(f.groupDead);
    this.#identify();
    this.#followed();
    switch (f.probe) {
      case SysmonProbe.Exec:
        this.#exec(f.filenameDataLoc);
        break;
      case SysmonProbe.Fork:
        this.#fork(f.childPid);
        break;
      case SysmonProbe.Exit:
        this.#exit(f.groupDead !== undefined);
        break;
      case SysmonProbe.MmapExec:
        this.#libraryCandidate();
        break;
      default:
        this.#mapChange(MAP_CHANGE_PROBES.get(f.probe)!);
    }
    a.label(LABEL_OUT).mov64(Reg.R0, 0).exit();
    return a;
  }

  #kind(): SysmonKind {
    switch (this.fields.probe) {
      case SysmonProbe.Exec:
        return SysmonKind.Exec;
      case SysmonProbe.Fork:
        return SysmonKind.Fork;
      case SysmonProbe.Exit:
        return SysmonKind.Exit;
      default:
        return SysmonKind.MapChange;
    }
  }

  /** GROUP_DEAD = group_dead byte, or (tid == tgid) without the field. */
  #groupDead(offset: number | undefined): void {
    const a = this.a;
    if (offset !== undefined) {
      a.ldx(Size.B, GROUP_DEAD, CTX, offset);
      return;
    }
    const done = this.#label("gd");
    a.mov64(GROUP_DEAD, 0);
    a.mov64(Reg.R1, PID_TGID).rsh64(Reg.R1, U32_SHIFT);
    a.mov32(Reg.R2, PID_TGID);
    a.jmp(JmpOp.Jne, Reg.R1, Reg.R2, done);
    a.mov64(GROUP_DEAD, 1);
    a.label(done);
  }

  /** Fills self_tgid/self_tid (and ns_ino/ns_tgid); drops ghostscope's own tasks. */
  #identify(): void {
    const a = this.a;
    const self = this.opts.selfNs;
    if (self === undefined) {
      a.mov64(Reg.R1, PID_TGID).rsh64(Reg.R1, U32_SHIFT);
      a.jmp(JmpOp.Jeq, Reg.R1, this.opts.selfTgid, LABEL_OUT);
      a.stx(Size.W, Reg.R10, EVENT + Ev.SelfTgid, Reg.R1);
      a.stx(Size.W, Reg.R10, EVENT + Ev.SelfTid, PID_TGID);
      return;
    }
    const notSelf = this.#label("not_self");
    const done = this.#label("identified");
    this.#nsHelper(self.dev, self.ino);
    a.jmp(JmpOp.Jne, Reg.R0, 0, notSelf);
    a.ldx(Size.W, Reg.R1, Reg.R10, NS_INFO_TGID);
    a.jmp(JmpOp.Jeq, Reg.R1, this.opts.selfTgid, LABEL_OUT);
    a.stx(Size.W, Reg.R10, EVENT + Ev.SelfTgid, Reg.R1);
    a.ldx(Size.W, Reg.R1, Reg.R10, NS_INFO_PID);
    a.stx(Size.W, Reg.R10, EVENT + Ev.SelfTid, Reg.R1);
    a.ja(done);
    a.label(notSelf);
    const found = this.#label("ns_found");
    for (let slot = 0; slot < PIDNS_SLOTS; slot++) {
      const next = this.#label("ns_next");
      a.st(Size.W, Reg.R10, KEY, slot);
      a.ldMap(Reg.R1, SysmonMapRef.PidNs).mov64(Reg.R2, Reg.R10).add64(Reg.R2, KEY);
      a.call(BpfHelper.MapLookupElem);
      a.jmp(JmpOp.Jeq, Reg.R0, 0, next);
      a.ldx(Size.DW, Reg.R2, Reg.R0, PidNsSlot.Ino);
      a.jmp(JmpOp.Jeq, Reg.R2, 0, next);
      a.ldx(Size.DW, Reg.R1, Reg.R0, PidNsSlot.Dev);
      a.stx(Size.DW, Reg.R10, EVENT + Ev.NsIno, Reg.R2);
      a.mov64(Reg.R3, Reg.R10).add64(Reg.R3, NS_INFO).mov64(Reg.R4, PIDNS_INFO_SIZE);
      a.call(BpfHelper.GetNsCurrentPidTgid);
      a.jmp(JmpOp.Jeq, Reg.R0, 0, found);
      a.st(Size.DW, Reg.R10, EVENT + Ev.NsIno, 0);
      a.label(next);
    }
    a.ja(done);
    a.label(found);
    a.ldx(Size.W, Reg.R1, Reg.R10, NS_INFO_TGID);
    a.stx(Size.W, Reg.R10, EVENT + Ev.NsTgid, Reg.R1);
    a.label(done);
  }

  /** `r0 = bpf_get_ns_current_pid_tgid(dev, ino, r10 + NS_INFO, 8)`. */
  #nsHelper(dev: bigint, ino: bigint): void {
    this.a.ldImm64(Reg.R1, dev).ldImm64(Reg.R2, ino)
      .mov64(Reg.R3, Reg.R10).add64(Reg.R3, NS_INFO)
      .mov64(Reg.R4, PIDNS_INFO_SIZE)
      .call(BpfHelper.GetNsCurrentPidTgid);
  }

  /** FOLLOWED = 1 when the task's process is followed; sets the Followed flag. */
  #followed(): void {
    const a = this.a;
    const yes = this.#label("followed");
    const done = this.#label("followed_done");
    a.mov64(FOLLOWED, 0);
    a.mov64(Reg.R1, PID_TGID).rsh64(Reg.R1, U32_SHIFT).stx(Size.W, Reg.R10, KEY, Reg.R1);
    a.ldMap(Reg.R1, SysmonMapRef.AllowedPids).mov64(Reg.R2, Reg.R10).add64(Reg.R2, KEY);
    a.call(BpfHelper.MapLookupElem);
    a.jmp(JmpOp.Jne, Reg.R0, 0, yes);
    const self = this.opts.selfNs;
    if (self !== undefined) {
      const viaNs = this.#label("alias_ns");
      const lookup = this.#label("alias_lookup");
      a.st(Size.W, Reg.R10, KEY + AliasKey.Reserved, 0);
      a.ldx(Size.W, Reg.R1, Reg.R10, EVENT + Ev.SelfTgid);
      a.jmp(JmpOp.Jeq, Reg.R1, 0, viaNs);
      a.stx(Size.W, Reg.R10, KEY + AliasKey.Tgid, Reg.R1);
      a.ldImm64(Reg.R1, self.ino).stx(Size.DW, Reg.R10, KEY + AliasKey.NsIno, Reg.R1);
      a.ja(lookup);
      a.label(viaNs);
      a.ldx(Size.DW, Reg.R1, Reg.R10, EVENT + Ev.NsIno);
      a.jmp(JmpOp.Jeq, Reg.R1, 0, done);
      a.stx(Size.DW, Reg.R10, KEY + AliasKey.NsIno, Reg.R1);
      a.ldx(Size.W, Reg.R1, Reg.R10, EVENT + Ev.NsTgid);
      a.stx(Size.W, Reg.R10, KEY + AliasKey.Tgid, Reg.R1);
      a.label(lookup);
      a.ldMap(Reg.R1, SysmonMapRef.PidAliases).mov64(Reg.R2, Reg.R10).add64(Reg.R2, KEY);
      a.call(BpfHelper.MapLookupElem);
      a.jmp(JmpOp.Jne, Reg.R0, 0, yes);
    }
    a.ja(done);
    a.label(yes);
    a.mov64(FOLLOWED, 1);
    a.st(Size.W, Reg.R10, EVENT + Ev.Flags, SysmonEventFlag.Followed);
    a.label(done);
  }

  #setFlag(flag: SysmonEventFlag): void {
    this.a.ldx(Size.W, Reg.R1, Reg.R10, EVENT + Ev.Flags)
      .or64(Reg.R1, flag)
      .stx(Size.W, Reg.R10, EVENT + Ev.Flags, Reg.R1);
  }

  #comm(): void {
    this.a.mov64(Reg.R1, Reg.R10).add64(Reg.R1, EVENT + Ev.Comm).mov64(Reg.R2, COMM_LEN)
      .call(BpfHelper.GetCurrentComm);
  }

  #exec(filenameDataLoc: number | undefined): void {
    const a = this.a;
    const report = this.#label("report");
    this.#comm();
    a.jmp(JmpOp.Jne, FOLLOWED, 0, report);
    switch (this.opts.execPolicy) {
      case ExecPolicy.All:
        break;
      case ExecPolicy.Comm:
        a.ldMap(Reg.R1, SysmonMapRef.ExecComm).mov64(Reg.R2, Reg.R10).add64(
          Reg.R2,
          EVENT + Ev.Comm,
        );
        a.call(BpfHelper.MapLookupElem);
        a.jmp(JmpOp.Jeq, Reg.R0, 0, LABEL_OUT);
        break;
      case ExecPolicy.FollowedOnly:
        a.ja(LABEL_OUT);
        break;
    }
    a.label(report);
    if (filenameDataLoc !== undefined) {
      a.ldx(Size.W, Reg.R3, CTX, filenameDataLoc).and64(Reg.R3, DATA_LOC_OFFSET_MASK);
      a.add64(Reg.R3, CTX);
      a.mov64(Reg.R1, Reg.R10).add64(Reg.R1, EVENT + Ev.Filename).mov64(Reg.R2, FILENAME_LEN);
      a.call(BpfHelper.ProbeReadKernelStr);
    }
    this.#emit();
  }

  #fork(childPidOffset: number): void {
    const a = this.a;
    const skip = this.#label("no_inherit");
    a.jmp(JmpOp.Jeq, FOLLOWED, 0, LABEL_OUT);
    a.ldx(Size.W, Reg.R1, CTX, childPidOffset);
    a.stx(Size.W, Reg.R10, EVENT + Ev.Detail, Reg.R1).stx(Size.W, Reg.R10, KEY, Reg.R1);
    a.st(Size.W, Reg.R10, VALUE, AllowedFlag.Inherited);
    a.ldMap(Reg.R1, SysmonMapRef.AllowedPids).mov64(Reg.R2, Reg.R10).add64(Reg.R2, KEY);
    a.mov64(Reg.R3, Reg.R10).add64(Reg.R3, VALUE).mov64(Reg.R4, BPF_NOEXIST);
    a.call(BpfHelper.MapUpdateElem);
    a.jmp(JmpOp.Jne, Reg.R0, 0, skip);
    this.#setFlag(SysmonEventFlag.ChildInherited);
    a.label(skip);
    this.#comm();
    this.#emit();
  }

  #exit(hasGroupDeadField: boolean): void {
    const a = this.a;
    const processEnds = this.#label("process_ends");
    a.jmp(JmpOp.Jeq, FOLLOWED, 0, LABEL_OUT);
    a.jmp(JmpOp.Jne, GROUP_DEAD, 0, processEnds);
    // A thread ends; the process lives on. Drop the entry its creation may have inherited (never
    // the TGID's own entry: a leader that exits first keeps the process followed).
    a.mov64(Reg.R1, PID_TGID).rsh64(Reg.R1, U32_SHIFT).mov32(Reg.R2, PID_TGID);
    a.jmp(JmpOp.Jeq, Reg.R1, Reg.R2, LABEL_OUT);
    a.stx(Size.W, Reg.R10, KEY, Reg.R2);
    this.#deleteAllowedAtKey();
    a.ja(LABEL_OUT);
    a.label(processEnds);
    a.mov64(Reg.R1, PID_TGID).rsh64(Reg.R1, U32_SHIFT).stx(Size.W, Reg.R10, KEY, Reg.R1);
    this.#deleteAllowedAtKey();
    if (hasGroupDeadField) this.#setFlag(SysmonEventFlag.GroupDeadField);
    this.#comm();
    this.#emit();
  }

  #deleteAllowedAtKey(): void {
    this.a.ldMap(Reg.R1, SysmonMapRef.AllowedPids).mov64(Reg.R2, Reg.R10).add64(Reg.R2, KEY)
      .call(BpfHelper.MapDeleteElem);
  }

  #mapChange(syscall: MapChangeSyscall): void {
    const a = this.a;
    a.jmp(JmpOp.Jeq, FOLLOWED, 0, LABEL_OUT);
    a.st(Size.W, Reg.R10, EVENT + Ev.Detail, syscall);
    this.#comm();
    this.#emit();
  }

  /** Followed processes are covered by the sys_exit programs; only strangers are candidates. */
  #libraryCandidate(): void {
    const a = this.a;
    a.jmp(JmpOp.Jne, FOLLOWED, 0, LABEL_OUT);
    a.st(Size.W, Reg.R10, EVENT + Ev.Detail, MapChangeSyscall.MmapExecCandidate);
    this.#comm();
    this.#emit();
  }

  /** ktime, ring output, loss count on failure. */
  #emit(): void {
    const a = this.a;
    a.call(BpfHelper.KtimeGetNs).stx(Size.DW, Reg.R10, EVENT + Ev.KtimeNs, Reg.R0);
    a.ldMap(Reg.R1, SysmonMapRef.Events).mov64(Reg.R2, Reg.R10).add64(Reg.R2, EVENT);
    a.mov64(Reg.R3, SYSMON_EVENT_SIZE).mov64(Reg.R4, RingbufFlag.Default);
    a.call(BpfHelper.RingbufOutput);
    a.jmp(JmpOp.Jeq, Reg.R0, 0, LABEL_OUT);
    a.st(Size.W, Reg.R10, KEY, 0);
    a.ldMap(Reg.R1, SysmonMapRef.Lost).mov64(Reg.R2, Reg.R10).add64(Reg.R2, KEY);
    a.call(BpfHelper.MapLookupElem);
    a.jmp(JmpOp.Jeq, Reg.R0, 0, LABEL_OUT);
    a.mov64(Reg.R1, 1).atomicAdd(Size.DW, Reg.R0, 0, Reg.R1);
  }
}
