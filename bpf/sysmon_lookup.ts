/**
 * What a trace program emits to find a module's load bias in the current process: the
 * `proc_module_offsets` lookup with the `pid_aliases` indirection (key design in
 * `sysmon_maps.ts`). For globals of the module the probe itself is in, no map is needed: the bias
 * is `pt_regs->ip - link-time address of the probe` (uprobes report the probed instruction's
 * address in `ip` at entry).
 *
 * Proc PID resolution, first hit wins:
 * - ghostscope in the initial PID namespace: the host TGID itself;
 * - otherwise: `pid_aliases[(host_tgid, INITIAL)]` (bound from sysmon events); else the TGID in
 *   ghostscope's namespace when the task is in it (helper 120); else, for each registered
 *   descendant namespace the task is in, `pid_aliases[(tgid there, that namespace)]`.
 *
 * The emitted code leaves in R0 a pointer to the `{bias, start, end}` value, or 0 when the
 * process or module is unknown (the caller then reports `OffsetsUnavailable`). It clobbers R0-R5
 * and the two stack areas it is given; R6-R9 are preserved.
 * @module
 */

import { type Assembler, JmpOp, Reg, Size } from "./asm.ts";
import { BpfHelper, PIDNS_INFO_SIZE } from "./helpers.ts";
import {
  AliasKey,
  INITIAL_PID_NS_INO,
  OffsetsKey,
  PIDNS_SLOTS,
  PidNsSlot,
  SysmonMapRef,
} from "./sysmon_maps.ts";
import type { PidNsRef } from "./task_filter.ts";

/** Options of {@link emitModuleOffsetsLookup}. */
export interface OffsetsLookupOptions {
  /** ghostscope's own PID namespace when it is not the initial one. */
  selfNs?: PidNsRef;
  /** Cookie of the module whose bias is wanted (`lib/sysmon/cookie.ts`). */
  cookie: bigint;
  /** R10-relative offset of a 16-byte, 8-aligned stack area (the map keys). */
  keySlot: number;
  /** R10-relative offset of an 8-byte stack area (`struct bpf_pidns_info`). */
  nsInfoSlot: number;
  /** Makes a label unique in the caller's program (`what` -> `what_N`). */
  label: (what: string) => string;
}

const U32_SHIFT = 32;
/** Offset of `tgid` in `struct bpf_pidns_info { u32 pid; u32 tgid; }`. */
const PIDNS_INFO_TGID = 4;

/**
 * Emits the lookup (see the module doc). Maps referenced: `proc_module_offsets`, and in a private
 * namespace also `pid_aliases` and `sysmon_pidns` (by {@link SysmonMapRef}).
 */
export function emitModuleOffsetsLookup(a: Assembler, o: OffsetsLookupOptions): void {
  const key = o.keySlot;
  const miss = o.label("offs_miss");
  const done = o.label("offs_done");
  const havePid = o.label("offs_pid");
  // R0 = proc PID candidate, stored into key.proc_pid at `havePid`.
  a.call(BpfHelper.GetCurrentPidTgid).rsh64(Reg.R0, U32_SHIFT);
  if (o.selfNs !== undefined) {
    emitAliasLookup(a, o, INITIAL_PID_NS_INO, havePid);
    emitNsHelper(a, o, o.selfNs.dev, o.selfNs.ino);
    const notSelf = o.label("offs_not_self");
    a.jmp(JmpOp.Jne, Reg.R0, 0, notSelf);
    a.ldx(Size.W, Reg.R0, Reg.R10, o.nsInfoSlot + PIDNS_INFO_TGID).ja(havePid);
    a.label(notSelf);
    for (let slot = 0; slot < PIDNS_SLOTS; slot++) {
      const next = o.label("offs_slot");
      a.st(Size.W, Reg.R10, key, slot);
      a.ldMap(Reg.R1, SysmonMapRef.PidNs).mov64(Reg.R2, Reg.R10).add64(Reg.R2, key);
      a.call(BpfHelper.MapLookupElem);
      a.jmp(JmpOp.Jeq, Reg.R0, 0, next);
      a.ldx(Size.DW, Reg.R2, Reg.R0, PidNsSlot.Ino).jmp(JmpOp.Jeq, Reg.R2, 0, next);
      a.ldx(Size.DW, Reg.R1, Reg.R0, PidNsSlot.Dev);
      a.stx(Size.DW, Reg.R10, key + AliasKey.NsIno, Reg.R2);
      a.mov64(Reg.R3, Reg.R10).add64(Reg.R3, o.nsInfoSlot).mov64(Reg.R4, PIDNS_INFO_SIZE);
      a.call(BpfHelper.GetNsCurrentPidTgid);
      a.jmp(JmpOp.Jne, Reg.R0, 0, next);
      a.ldx(Size.W, Reg.R1, Reg.R10, o.nsInfoSlot + PIDNS_INFO_TGID).stx(
        Size.W,
        Reg.R10,
        key,
        Reg.R1,
      );
      a.st(Size.W, Reg.R10, key + AliasKey.Reserved, 0);
      a.ldMap(Reg.R1, SysmonMapRef.PidAliases).mov64(Reg.R2, Reg.R10).add64(Reg.R2, key);
      a.call(BpfHelper.MapLookupElem);
      a.jmp(JmpOp.Jeq, Reg.R0, 0, miss);
      a.ldx(Size.W, Reg.R0, Reg.R0, 0).ja(havePid);
      a.label(next);
    }
    a.ja(miss);
  }
  a.label(havePid);
  a.stx(Size.W, Reg.R10, key + OffsetsKey.ProcPid, Reg.R0);
  a.st(Size.W, Reg.R10, key + OffsetsKey.Reserved, 0);
  a.ldImm64(Reg.R1, o.cookie).stx(Size.DW, Reg.R10, key + OffsetsKey.Cookie, Reg.R1);
  a.ldMap(Reg.R1, SysmonMapRef.ProcModuleOffsets).mov64(Reg.R2, Reg.R10).add64(Reg.R2, key);
  a.call(BpfHelper.MapLookupElem);
  if (o.selfNs === undefined) return; // nothing jumps to `miss`: the verifier rejects dead code
  a.ja(done);
  a.label(miss);
  a.mov64(Reg.R0, 0);
  a.label(done);
}

/** R0 (a TGID in namespace `nsIno`) -> alias hit jumps to `hit` with R0 = proc PID. */
function emitAliasLookup(a: Assembler, o: OffsetsLookupOptions, nsIno: bigint, hit: string): void {
  const key = o.keySlot;
  const next = o.label("offs_alias_miss");
  a.stx(Size.W, Reg.R10, key + AliasKey.Tgid, Reg.R0);
  a.st(Size.W, Reg.R10, key + AliasKey.Reserved, 0);
  a.ldImm64(Reg.R1, nsIno).stx(Size.DW, Reg.R10, key + AliasKey.NsIno, Reg.R1);
  a.ldMap(Reg.R1, SysmonMapRef.PidAliases).mov64(Reg.R2, Reg.R10).add64(Reg.R2, key);
  a.call(BpfHelper.MapLookupElem);
  a.jmp(JmpOp.Jeq, Reg.R0, 0, next);
  a.ldx(Size.W, Reg.R0, Reg.R0, 0).ja(hit);
  a.label(next);
}

function emitNsHelper(a: Assembler, o: OffsetsLookupOptions, dev: bigint, ino: bigint): void {
  a.ldImm64(Reg.R1, dev).ldImm64(Reg.R2, ino)
    .mov64(Reg.R3, Reg.R10).add64(Reg.R3, o.nsInfoSlot)
    .mov64(Reg.R4, PIDNS_INFO_SIZE)
    .call(BpfHelper.GetNsCurrentPidTgid);
}
