/**
 * Builds the uprobe program of one `trace` block (BPF_PROG_TYPE_KPROBE, ctx = `struct pt_regs *`)
 * from the compiler's IR ({@link IrTrace}).
 *
 * Program shape:
 *
 * 1. prologue: `r6 = ctx`; task filter ({@link TaskFilter}); cache `pid_tgid` / pid-namespace
 *    info in fixed stack slots when the body needs them;
 * 2. the statements; each executed `print` reserves one fixed-size ring record
 *    (`bpf_ringbuf_reserve`), fills the header and value records (see `wire.ts`) and submits it
 *    with NO_WAKEUP, except FORCE_WAKEUP for the record that takes `bpf_ringbuf_query(AVAIL_DATA)`
 *    across the threshold (userspace polls with a short timeout, so latency stays bounded while
 *    a busy probe pays no wake-up per event). A failed reservation
 *    increments the per-CPU `lost` counter and the program goes on;
 * 3. `return 0`.
 *
 * Register discipline (so the verifier's view is easy to reason about):
 * - R6 = ctx for the whole program; R7 = the reserved ring record inside a `print`;
 * - R9 = status of the expression being evaluated (only in expressions containing reads);
 *   R8 = the address whose read failed when R9 is `ReadError` (0 otherwise);
 * - expressions evaluate into R0 with R1-R5 as scratch; any intermediate value that must survive
 *   a helper call or a sub-expression is spilled to an 8-byte stack slot ({@link StackFrame});
 * - `let` variables live in stack slots (plus a status slot when their value can fail).
 *
 * Fixed stack slots: -8 `pid_tgid`, -16 `struct bpf_pidns_info`, -24 the `lost` map key, -32 the
 * destination of scalar user-memory reads, -40 the address being read (for error reports).
 * Values of any size (strings, structs, dumps) are read straight into the ring record, never
 * through the stack.
 * @module
 */

import { Assembler, JmpOp, Reg, Size } from "./asm.ts";
import { BpfHelper, PIDNS_INFO_SIZE, RingbufFlag, RingbufQuery } from "./helpers.ts";
import {
  type IrArithOp,
  IrBuiltin,
  type IrCompareOp,
  type IrExpr,
  type IrExprError,
  type IrMemoryArg,
  type IrPrintArg,
  type IrStackArg,
  type IrStmt,
  type IrTrace,
  walkExpr,
  walkStmts,
} from "./ir.ts";
import { type BytesCodegen, emitBytesEqual } from "./bytes_compare.ts";
import { emitStrLen } from "./strlen.ts";
import {
  DEFAULT_RINGBUF_SIZE,
  EVENTS_MAP,
  LOST_MAP,
  SCRATCH_MAP,
  SCRATCH_STATUS_BYTES,
  SCRATCH_STATUS_OFFSET,
} from "./maps.ts";
import { StackFrame } from "./stack_frame.ts";
import {
  CAPTURE_REGS_SIZE,
  DEFAULT_BACKTRACE_DEPTH,
  emitStackCapture,
  stackCopyBytes,
} from "./stack_capture.ts";
import type { PidNsRef, PidView, TaskFilter } from "./task_filter.ts";
import { emitModuleOffsetsLookup } from "./sysmon_lookup.ts";
import { emitEntryPush, emitReturnPop, type ReturnPairing } from "./return_pairing.ts";
import { OffsetsValue } from "./sysmon_maps.ts";
import { sameNs } from "./task_filter.ts";
import {
  eventLayout,
  HeaderOffset,
  SCALAR_LEN,
  VALUE_HEADER_SIZE,
  ValueHeaderOffset,
  valueHeaderWord,
  ValueStatus,
  ValueType,
} from "./wire.ts";

/** Options of {@link buildTraceProgram}. */
export interface TraceProgramOptions {
  /** Which tasks the program keeps. */
  filter: TaskFilter;
  /** Which pid numbers `$pid` / `$tid` report. */
  pidView: PidView;
  /** Bytes of user stack each `bt` copies (default: `stackCopyBytes(128)`). */
  stackCopyBytes?: number;
  /** Size of the `events` ring in bytes (default 4 MiB); sets the default wake-up threshold. */
  ringbufSize?: number;
  /** Bytes waiting in the ring from which a submit forces a wake-up (default ring size / 8). */
  wakeupThreshold?: number;
  /**
   * Link-time address of the probed instruction in its module. Needed by `moduleBias`
   * (`regs->ip - probeLinkAddress`): globals of the probed module are rebased with it.
   */
  probeLinkAddress?: number | bigint;
  /**
   * ghostscope's own PID namespace when it is not the initial one: `moduleOffsets` lookups then
   * go through `pid_aliases` (see `sysmon_lookup.ts`).
   */
  offsetsSelfNs?: PidNsRef;
  /** Set for the two programs of a `trace f:return` block (see `return_pairing.ts`). */
  pairing?: ReturnPairing;
}

/** Raised when the IR cannot be turned into a valid program (bad operand, stack too large...). */
export class ProgramBuildError extends Error {
  override name = "ProgramBuildError";
}

/** The value of a `backtrace` event. */
const STACK_ARG: IrStackArg = { kind: "stack", type: ValueType.Stack };

/** Size of `struct pt_regs` on x86_64 (21 u64 fields). */
export const PT_REGS_SIZE = 168;

/** Offset of `ip` in x86_64 `struct pt_regs`. */
export const PT_REGS_IP = 128;

/** Offset of `sp` in x86_64 `struct pt_regs`. */
export const PT_REGS_SP = 152;

/** Largest payload of one value record (its `len` is a u16). */
export const MAX_VALUE_LEN = 0xffff;

const SLOT_PID_TGID = -8;
const SLOT_NS_INFO = -16; // struct bpf_pidns_info { u32 pid; u32 tgid; }
const NS_INFO_PID = SLOT_NS_INFO;
const NS_INFO_TGID = SLOT_NS_INFO + 4;
const SLOT_LOST_KEY = -24;
const SLOT_READ = -32;
const SLOT_READ_ADDR = -40;
const RESERVED_STACK = 40;

const S32_MIN = -0x8000_0000n;
const S32_MAX = 0x7fff_ffffn;

const LABEL_EXIT = "exit";

/** Where a `let` variable lives. */
interface VarSlot {
  slot: number;
  /**
   * Offset in the scratch map entry of the value's status (then its failing address), present
   * when the value can carry a failure status.
   */
  statusOff?: number;
}

/** The jump taken when `left op right` holds. */
function compareJump(op: IrCompareOp, signed: boolean): JmpOp {
  switch (op) {
    case "eq":
      return JmpOp.Jeq;
    case "ne":
      return JmpOp.Jne;
    case "lt":
      return signed ? JmpOp.Jslt : JmpOp.Jlt;
    case "le":
      return signed ? JmpOp.Jsle : JmpOp.Jle;
    case "gt":
      return signed ? JmpOp.Jsgt : JmpOp.Jgt;
    case "ge":
      return signed ? JmpOp.Jsge : JmpOp.Jge;
  }
}

/** The comparison that holds exactly when `op` does not. */
const NEGATED_COMPARE: Record<IrCompareOp, IrCompareOp> = {
  eq: "ne",
  ne: "eq",
  lt: "ge",
  le: "gt",
  gt: "le",
  ge: "lt",
};

/** Fits a 64-bit constant into a sign-extended 32-bit immediate, or undefined. */
function asImm(v: bigint): number | undefined {
  const s = BigInt.asIntN(64, v);
  return s >= S32_MIN && s <= S32_MAX ? Number(s) : undefined;
}

/**
 * Build the program of one trace block. The returned {@link Assembler} references the maps
 * {@link EVENTS_MAP} and {@link LOST_MAP} by name (only if the block prints); call
 * `assemble({ events: fd, lost: fd })` to get the instructions.
 */
export function buildTraceProgram(trace: IrTrace, opts: TraceProgramOptions): Assembler {
  return new TraceCodegen(trace, opts).build();
}

class TraceCodegen {
  readonly a = new Assembler();
  readonly frame = new StackFrame(RESERVED_STACK);
  readonly vars = new Map<number, VarSlot>();
  /** Stack slots (status, address) of the ExprError records in scope, by id. */
  readonly errors = new Map<number, { status: number; addr: number }>();
  readonly trace: IrTrace;
  readonly opts: TraceProgramOptions;
  readonly threshold: number;
  #labelSeq = 0;
  /** Bytes of the scratch entry's status area in use. */
  #statusUsed = 0;
  /** Stack slot of the scratch entry's address, when the body needs it. */
  #scratchPtr: number | undefined;

  constructor(trace: IrTrace, opts: TraceProgramOptions) {
    this.trace = trace;
    this.opts = opts;
    const ring = opts.ringbufSize ?? DEFAULT_RINGBUF_SIZE;
    this.threshold = opts.wakeupThreshold ?? Math.max(1, Math.floor(ring / 8));
    if (!Number.isInteger(this.threshold) || this.threshold < 0 || this.threshold > 0x7fff_ffff) {
      throw new ProgramBuildError(`wake-up threshold ${this.threshold} out of range`);
    }
  }

  #label(what: string): string {
    return `${what}_${this.#labelSeq++}`;
  }

  build(): Assembler {
    const used = new Set<IrBuiltin>();
    let prints = 0;
    walkStmts(this.trace.body, {
      stmt: (s) => {
        if (s.kind === "print" || s.kind === "backtrace") prints++;
      },
      expr: (e) => {
        if (e.kind === "builtin") used.add(e.builtin);
      },
    });
    const view = this.opts.pidView;
    // Every event header carries the view ids, so any print needs them.
    const needsNsInfo = view.kind === "ns" &&
      (prints > 0 || used.has(IrBuiltin.Pid) || used.has(IrBuiltin.Tid));
    const needsPidTgid = prints > 0 || used.has(IrBuiltin.HostPid) ||
      used.has(IrBuiltin.HostTid) ||
      (view.kind === "host" && (used.has(IrBuiltin.Pid) || used.has(IrBuiltin.Tid)));

    const a = this.a;
    a.mov64(Reg.R6, Reg.R1);
    // status registers start defined: a guard saves them whatever the context
    if (this.#usesGuards()) a.mov64(Reg.R9, 0).mov64(Reg.R8, 0);
    const filter = this.opts.filter;
    let havePidTgid = false;
    let haveNsInfo = false;
    switch (filter.kind) {
      case "none":
        break;
      case "host-tgid":
        a.call(BpfHelper.GetCurrentPidTgid);
        if (needsPidTgid) a.stx(Size.DW, Reg.R10, SLOT_PID_TGID, Reg.R0);
        havePidTgid = true;
        a.rsh64(Reg.R0, 32);
        a.jmp(JmpOp.Jne, Reg.R0, this.#tgidImm(filter.tgid), LABEL_EXIT);
        break;
      case "ns-tgid":
        this.#callNsInfo(filter.ns.dev, filter.ns.ino);
        a.jmp(JmpOp.Jne, Reg.R0, 0, LABEL_EXIT);
        a.ldx(Size.W, Reg.R1, Reg.R10, NS_INFO_TGID);
        a.jmp(JmpOp.Jne, Reg.R1, this.#tgidImm(filter.tgid), LABEL_EXIT);
        haveNsInfo = view.kind === "ns" && sameNs(view.ns, filter.ns);
        break;
      case "exclude-tgid":
        if (filter.ns === undefined) {
          a.call(BpfHelper.GetCurrentPidTgid);
          if (needsPidTgid) a.stx(Size.DW, Reg.R10, SLOT_PID_TGID, Reg.R0);
          havePidTgid = true;
          a.rsh64(Reg.R0, 32);
          a.jmp(JmpOp.Jeq, Reg.R0, this.#tgidImm(filter.tgid), LABEL_EXIT);
        } else {
          // Outside `ns` the helper fails: such a task is not ours, keep it.
          const keep = this.#label("not_self");
          this.#callNsInfo(filter.ns.dev, filter.ns.ino);
          a.jmp(JmpOp.Jne, Reg.R0, 0, keep);
          a.ldx(Size.W, Reg.R1, Reg.R10, NS_INFO_TGID);
          a.jmp(JmpOp.Jeq, Reg.R1, this.#tgidImm(filter.tgid), LABEL_EXIT);
          a.label(keep);
        }
        break;
    }
    if (needsPidTgid && !havePidTgid) {
      a.call(BpfHelper.GetCurrentPidTgid);
      a.stx(Size.DW, Reg.R10, SLOT_PID_TGID, Reg.R0);
    }
    if (needsNsInfo && !haveNsInfo && view.kind === "ns") {
      // Outside the namespace the helper fails and zeroes the info; zero it ourselves too so
      // `$pid` / `$tid` are 0 there whatever the kernel version does.
      this.#callNsInfo(view.ns.dev, view.ns.ino);
      const ok = this.#label("nsinfo_ok");
      a.jmp(JmpOp.Jeq, Reg.R0, 0, ok);
      a.st(Size.DW, Reg.R10, SLOT_NS_INFO, 0);
      a.label(ok);
    }

    if (this.#needsStatusArea()) {
      // the scratch entry, where fallible lets keep their status (see SCRATCH_STATUS_OFFSET)
      this.#scratchPtr = this.frame.alloc();
      a.st(Size.W, Reg.R10, SLOT_LOST_KEY, 0)
        .ldMap(Reg.R1, SCRATCH_MAP)
        .mov64(Reg.R2, Reg.R10)
        .add64(Reg.R2, SLOT_LOST_KEY)
        .call(BpfHelper.MapLookupElem)
        .jmp(JmpOp.Jeq, Reg.R0, 0, LABEL_EXIT)
        .stx(Size.DW, Reg.R10, this.#scratchPtr, Reg.R0);
    }

    this.#pairing();
    this.#block(this.trace.body);

    a.label(LABEL_EXIT);
    a.mov64(Reg.R0, 0);
    a.exit();
    return a;
  }

  /** The entry push or return pop of a `:return` block, after the filter. */
  #pairing(): void {
    const pairing = this.opts.pairing;
    if (pairing?.role === "entry") {
      emitEntryPush(this.a, this.frame, this.trace.traceId, pairing, (e) => {
        if (this.#fallible(e)) this.#resetStatus();
        this.#expr(e);
      });
    } else if (pairing?.role === "return") {
      const bound = emitReturnPop(this.a, this.frame, this.trace.traceId, pairing, LABEL_EXIT);
      for (const v of bound) this.vars.set(v.id, { slot: v.slot });
    }
  }

  #tgidImm(tgid: number): number {
    if (!Number.isInteger(tgid) || tgid < 0 || tgid > 0x7fff_ffff) {
      throw new ProgramBuildError(`filter tgid ${tgid} out of range`);
    }
    return tgid;
  }

  /** `r0 = bpf_get_ns_current_pid_tgid(dev, ino, r10 + SLOT_NS_INFO, 8)`. */
  #callNsInfo(dev: bigint, ino: bigint): void {
    this.a.ldImm64(Reg.R1, dev)
      .ldImm64(Reg.R2, ino)
      .mov64(Reg.R3, Reg.R10)
      .add64(Reg.R3, SLOT_NS_INFO)
      .mov64(Reg.R4, PIDNS_INFO_SIZE)
      .call(BpfHelper.GetNsCurrentPidTgid);
  }

  // ------------------------------------------------------------------ statements

  #block(body: readonly IrStmt[]): void {
    const mark = this.frame.mark();
    const statusMark = this.#statusUsed;
    const declared: number[] = [];
    for (const s of body) {
      switch (s.kind) {
        case "let":
          this.#let(s.id, s.value);
          declared.push(s.id);
          break;
        case "print": {
          const errMark = this.frame.mark();
          for (const err of s.errors ?? []) {
            const slots = this.#errorSlots(err.id);
            this.a.st(Size.DW, Reg.R10, slots.status, 0);
          }
          this.#print(s.printId, s.args);
          for (const err of s.errors ?? []) this.#reportError(err, true);
          for (const err of s.errors ?? []) this.errors.delete(err.id);
          this.frame.release(errMark);
          break;
        }
        case "backtrace":
          this.#print(s.printId, [STACK_ARG]);
          break;
        case "if": {
          const errMark = this.frame.mark();
          if (s.error) this.#errorSlots(s.error.id);
          this.#if(s.cond, s.then, s.else, s.error);
          if (s.error) this.errors.delete(s.error.id);
          this.frame.release(errMark);
          break;
        }
      }
    }
    for (const id of declared) this.vars.delete(id);
    this.frame.release(mark);
    this.#statusUsed = statusMark;
  }

  #let(id: number, value: IrExpr): void {
    if (this.vars.has(id)) throw new ProgramBuildError(`variable #${id} bound twice`);
    const fallible = this.#fallible(value);
    if (fallible) this.#resetStatus();
    this.#expr(value);
    const slot = this.frame.alloc();
    this.a.stx(Size.DW, Reg.R10, slot, Reg.R0);
    const v: VarSlot = { slot };
    if (fallible) {
      v.statusOff = this.#allocStatus();
      this.a.ldx(Size.DW, Reg.R1, Reg.R10, this.#scratchSlot())
        .stx(Size.DW, Reg.R1, v.statusOff, Reg.R9)
        .stx(Size.DW, Reg.R1, v.statusOff + 8, Reg.R8);
    }
    this.vars.set(id, v);
  }

  /** One 16-byte status record of the scratch entry's status area (released with the block). */
  #allocStatus(): number {
    const off = SCRATCH_STATUS_OFFSET + this.#statusUsed;
    this.#statusUsed += 16;
    if (this.#statusUsed > SCRATCH_STATUS_BYTES) {
      throw new ProgramBuildError(
        `more than ${SCRATCH_STATUS_BYTES / 16} variables that can fail are in scope at once`,
      );
    }
    return off;
  }

  /** The stack slot holding the scratch entry's address (looked up in the prologue). */
  #scratchSlot(): number {
    if (this.#scratchPtr === undefined) {
      throw new ProgramBuildError("internal: the scratch entry was not looked up");
    }
    return this.#scratchPtr;
  }

  /** True when some `let` of the body may hold a failure status (conservative). */
  #needsStatusArea(): boolean {
    let found = false;
    walkStmts(this.trace.body, {
      stmt: (s) => {
        if (s.kind !== "let") return;
        walkExpr(s.value, (x) => {
          switch (x.kind) {
            case "read":
            case "unavailable":
            case "check":
            case "nonNull":
            case "moduleOffsets":
            case "bytesEqual":
            case "failure":
            case "strLen":
            case "threadPointer":
            case "var":
              found = true;
          }
        });
      },
    });
    return found;
  }

  /** R9 = R8 = 0 before evaluating a fallible expression. */
  #resetStatus(): void {
    this.a.mov64(Reg.R9, 0).mov64(Reg.R8, 0);
  }

  #if(
    cond: IrExpr,
    then: readonly IrStmt[],
    otherwise: readonly IrStmt[],
    error?: IrExprError,
  ): void {
    const a = this.a;
    const elseL = this.#label("else");
    const endL = this.#label("endif");
    const fallible = this.#fallible(cond);
    // A condition whose reads failed is false (soft abort), reported first when `error` is set.
    const failL = fallible && error ? this.#label("if_failed") : elseL;
    if (fallible) this.#resetStatus();
    if (cond.kind === "compare") {
      // Jump straight to `else` on the negated comparison, without making a 0/1 in R0: the
      // never-true path of `if $pid == 0 { ... }` is the filter, one load, one jump, the exit.
      const rhs = this.#operands(cond.left, cond.right, false);
      if (fallible) a.jmp(JmpOp.Jne, Reg.R9, 0, failL);
      a.jmp(compareJump(NEGATED_COMPARE[cond.op], cond.signed), Reg.R0, rhs, elseL);
    } else {
      this.#expr(cond);
      if (fallible) a.jmp(JmpOp.Jne, Reg.R9, 0, failL);
      a.jmp(JmpOp.Jeq, Reg.R0, 0, elseL);
    }
    this.#block(then);
    const tail = otherwise.length > 0 || failL !== elseL;
    if (tail) a.ja(endL);
    if (failL !== elseL && error) {
      const slots = this.#errorSlots(error.id);
      a.label(failL)
        .stx(Size.DW, Reg.R10, slots.status, Reg.R9)
        .stx(Size.DW, Reg.R10, slots.addr, Reg.R8);
      this.#reportError(error, false);
    }
    a.label(elseL);
    if (otherwise.length > 0) this.#block(otherwise);
    if (tail) a.label(endL);
  }

  /** The stack slots of error `id` (allocated on first use, in the current frame scope). */
  #errorSlots(id: number): { status: number; addr: number } {
    let slots = this.errors.get(id);
    if (!slots) {
      slots = { status: this.frame.alloc(), addr: this.frame.alloc() };
      this.errors.set(id, slots);
    }
    return slots;
  }

  /** Emits the ExprError event of `err` (`recorded`: only when its status slot is set). */
  #reportError(err: IrExprError, recorded: boolean): void {
    const skip = this.#label("no_error");
    if (recorded) {
      const slots = this.#errorSlots(err.id);
      this.a.ldx(Size.DW, Reg.R1, Reg.R10, slots.status).jmp(JmpOp.Jeq, Reg.R1, 0, skip);
    }
    this.#print(err.printId, [{ type: ValueType.I64, expr: { kind: "failure", id: err.id } }]);
    if (recorded) this.a.label(skip);
  }

  /** True when some expression of the body contains a `guard`. */
  #usesGuards(): boolean {
    let found = false;
    walkStmts(this.trace.body, {
      expr: (e) => {
        if (e.kind === "guard") found = true;
      },
    });
    return found;
  }

  #print(printId: number, args: readonly (IrPrintArg | IrStackArg)[]): void {
    const a = this.a;
    const lens = args.map((arg) => {
      if (arg.kind === "stack") return CAPTURE_REGS_SIZE + this.#stackBytes();
      if (arg.kind === "memory") {
        if (arg.type !== ValueType.Str && arg.type !== ValueType.Bytes) {
          throw new ProgramBuildError(`memory argument of type ${ValueType[arg.type]}`);
        }
        if (!Number.isInteger(arg.capacity) || arg.capacity < 1 || arg.capacity > MAX_VALUE_LEN) {
          throw new ProgramBuildError(
            `a value of ${arg.capacity} bytes does not fit in a record (1..${MAX_VALUE_LEN})`,
          );
        }
        return arg.capacity;
      }
      if (arg.type === ValueType.Str) {
        throw new ProgramBuildError("a string argument must be read from memory");
      }
      const len = arg.len ?? SCALAR_LEN;
      if (!Number.isInteger(len) || len < 1 || len > SCALAR_LEN) {
        throw new ProgramBuildError(`register value of ${len} bytes (1..8)`);
      }
      if (len !== SCALAR_LEN && arg.type !== ValueType.Bytes) {
        throw new ProgramBuildError(`scalar of type ${ValueType[arg.type]} must be 8 bytes`);
      }
      return len;
    });
    const layout = eventLayout(lens);
    const ring = this.opts.ringbufSize ?? DEFAULT_RINGBUF_SIZE;
    if (layout.size > ring / 4) {
      throw new ProgramBuildError(
        `one event of this print needs ${layout.size} bytes, more than a quarter of the ` +
          `${ring}-byte ring; print fewer or shorter values`,
      );
    }
    const okL = this.#label("reserved");
    const endL = this.#label("print_end");

    a.ldMap(Reg.R1, EVENTS_MAP)
      .mov64(Reg.R2, layout.size)
      .mov64(Reg.R3, 0)
      .call(BpfHelper.RingbufReserve)
      .jmp(JmpOp.Jne, Reg.R0, 0, okL);
    // Ring full: count the loss (per-CPU counter) and carry on with the next statement.
    a.st(Size.W, Reg.R10, SLOT_LOST_KEY, 0)
      .ldMap(Reg.R1, LOST_MAP)
      .mov64(Reg.R2, Reg.R10)
      .add64(Reg.R2, SLOT_LOST_KEY)
      .call(BpfHelper.MapLookupElem)
      .jmp(JmpOp.Jeq, Reg.R0, 0, endL)
      .mov64(Reg.R1, 1)
      .atomicAdd(Size.DW, Reg.R0, 0, Reg.R1)
      .ja(endL);

    a.label(okL).mov64(Reg.R7, Reg.R0);
    // header
    a.st(Size.W, Reg.R7, HeaderOffset.TraceId, this.trace.traceId)
      .st(Size.W, Reg.R7, HeaderOffset.PrintId, printId)
      .call(BpfHelper.KtimeGetNs)
      .stx(Size.DW, Reg.R7, HeaderOffset.KtimeNs, Reg.R0)
      .ldx(Size.DW, Reg.R1, Reg.R10, SLOT_PID_TGID)
      .stx(Size.W, Reg.R7, HeaderOffset.HostTid, Reg.R1)
      .rsh64(Reg.R1, 32)
      .stx(Size.W, Reg.R7, HeaderOffset.HostTgid, Reg.R1);
    if (this.opts.pidView.kind === "ns") {
      a.ldx(Size.W, Reg.R1, Reg.R10, NS_INFO_TGID)
        .stx(Size.W, Reg.R7, HeaderOffset.ViewTgid, Reg.R1)
        .ldx(Size.W, Reg.R1, Reg.R10, NS_INFO_PID)
        .stx(Size.W, Reg.R7, HeaderOffset.ViewTid, Reg.R1);
    } else {
      a.stx(Size.W, Reg.R7, HeaderOffset.ViewTgid, Reg.R1)
        .ldx(Size.W, Reg.R1, Reg.R10, SLOT_PID_TGID)
        .stx(Size.W, Reg.R7, HeaderOffset.ViewTid, Reg.R1);
    }
    // values
    args.forEach((arg, i) => {
      const off = layout.valueOffsets[i];
      if (arg.kind === "memory" && arg.constant) {
        this.#constArg(arg.constant, off, lens[i]);
        return;
      }
      if (arg.kind === "memory") {
        this.#memoryArg(arg, off);
        return;
      }
      if (arg.kind === "stack") {
        this.#valueHeader(off, arg.type, lens[i]);
        const mark = this.frame.mark();
        emitStackCapture(a, {
          record: Reg.R7,
          ctx: Reg.R6,
          payload: off + VALUE_HEADER_SIZE,
          usedField: off + ValueHeaderOffset.Used,
          stackBytes: this.#stackBytes(),
          label: (what) => this.#label(what),
          pidTgidSlot: SLOT_PID_TGID,
          scratchSlot: this.frame.alloc(),
        });
        this.frame.release(mark);
        return;
      }
      const fallible = this.#fallible(arg.expr);
      if (fallible) this.#resetStatus();
      this.#expr(arg.expr);
      this.#valueHeader(off, arg.type, lens[i]);
      if (fallible) {
        // A failed value carries the failing address (or 0) instead of its meaningless bytes.
        const keep = this.#label("value_ok");
        a.stx(Size.B, Reg.R7, off + ValueHeaderOffset.Status, Reg.R9)
          .jmp(JmpOp.Jeq, Reg.R9, 0, keep)
          .mov64(Reg.R0, Reg.R8)
          .label(keep);
      }
      a.stx(Size.DW, Reg.R7, off + VALUE_HEADER_SIZE, Reg.R0);
    });
    // Wake-up: NO_WAKEUP, except for the one record that takes the unread data across the
    // threshold (the reader polls with a short timeout, which bounds a sparse event's latency).
    // Flag 0 woke the reader (an IPI) for every record whenever it had caught up, and forcing
    // every record past the threshold raised one irq_work per record while the backlog lasted.
    const submitL = this.#label("submit");
    a.ldMap(Reg.R1, EVENTS_MAP)
      .mov64(Reg.R2, RingbufQuery.AvailData)
      .call(BpfHelper.RingbufQuery)
      .mov64(Reg.R2, RingbufFlag.NoWakeup)
      .jmp(JmpOp.Jlt, Reg.R0, this.threshold, submitL)
      .jmp(JmpOp.Jge, Reg.R0, this.threshold + layout.size, submitL)
      .mov64(Reg.R2, RingbufFlag.ForceWakeup)
      .label(submitL)
      .mov64(Reg.R1, Reg.R7)
      .call(BpfHelper.RingbufSubmit)
      .label(endL);
  }

  /** Bytes of user stack a `bt` copies. */
  #stackBytes(): number {
    return this.opts.stackCopyBytes ?? stackCopyBytes(DEFAULT_BACKTRACE_DEPTH);
  }

  /** A constant string record at `off`: its bytes and a NUL (`used` = all of them). */
  #constArg(bytes: Uint8Array, off: number, capacity: number): void {
    const a = this.a;
    const len = Math.min(bytes.length + 1, capacity);
    this.#valueHeader(off, ValueType.Str, capacity);
    a.st(Size.W, Reg.R7, off + ValueHeaderOffset.Used, len);
    const padded = new Uint8Array(Math.ceil(capacity / 8) * 8);
    padded.set(bytes.slice(0, len - 1));
    const view = new DataView(padded.buffer);
    for (let i = 0; i < padded.length; i += 8) {
      a.ldImm64(Reg.R1, view.getBigUint64(i, true))
        .stx(Size.DW, Reg.R7, off + VALUE_HEADER_SIZE + i, Reg.R1);
    }
  }

  /** Writes a value record header (status Ok, `used` 0) at `off` of the record. */
  #valueHeader(off: number, type: ValueType, len: number): void {
    const word = valueHeaderWord(type, ValueStatus.Ok, len);
    if (word <= 0x7fff_ffff) {
      // one 64-bit store: the immediate is sign-extended, so the upper half (used) is 0
      this.a.st(Size.DW, Reg.R7, off, word);
    } else {
      this.a.st(Size.W, Reg.R7, off, word | 0).st(Size.W, Reg.R7, off + ValueHeaderOffset.Used, 0);
    }
  }

  /**
   * A value copied from user memory into the record at `off` (see {@link IrMemoryArg}); the
   * helper writes straight into the ring record, so no stack buffer is needed.
   */
  #memoryArg(arg: IrMemoryArg, off: number): void {
    const a = this.a;
    const cap = arg.capacity;
    const data = off + VALUE_HEADER_SIZE;
    const failL = this.#label("mem_fail");
    const endL = this.#label("mem_end");
    this.#valueHeader(off, arg.type, cap);
    this.#resetStatus();
    const mark = this.frame.mark();
    let lenSlot: number | undefined;
    if (arg.length) {
      // length first (it is written first in the script), clamped to 0..capacity
      this.#expr(arg.length);
      const pos = this.#label("len_pos");
      const inCap = this.#label("len_cap");
      a.jmp(JmpOp.Jsgt, Reg.R0, 0, pos).mov64(Reg.R0, 0).label(pos)
        .jmp(JmpOp.Jle, Reg.R0, cap, inCap).mov64(Reg.R0, cap).label(inCap);
      lenSlot = this.frame.alloc();
      a.stx(Size.DW, Reg.R10, lenSlot, Reg.R0);
    }
    this.#expr(arg.addr);
    a.jmp(JmpOp.Jne, Reg.R9, 0, failL);
    if (lenSlot !== undefined) {
      const nonZero = this.#label("len_nz");
      a.ldx(Size.DW, Reg.R1, Reg.R10, lenSlot)
        .jmp(JmpOp.Jne, Reg.R1, 0, nonZero)
        .mov64(Reg.R9, ValueStatus.ZeroLength)
        .ja(failL)
        .label(nonZero);
    }
    const nonNull = this.#label("mem_addr");
    a.jmp(JmpOp.Jne, Reg.R0, 0, nonNull)
      .mov64(Reg.R9, ValueStatus.NullDeref)
      .ja(failL)
      .label(nonNull)
      .stx(Size.DW, Reg.R10, SLOT_READ_ADDR, Reg.R0)
      .mov64(Reg.R3, Reg.R0)
      .mov64(Reg.R1, Reg.R7)
      .add64(Reg.R1, data);
    if (lenSlot !== undefined) {
      // reload and re-clamp so the verifier sees 0 <= size <= capacity at the call
      const sized = this.#label("len_ok");
      a.ldx(Size.DW, Reg.R2, Reg.R10, lenSlot)
        .jmp(JmpOp.Jle, Reg.R2, cap, sized)
        .mov64(Reg.R2, cap)
        .label(sized);
    } else {
      a.mov64(Reg.R2, cap);
    }
    a.call(arg.string ? BpfHelper.ProbeReadUserStr : BpfHelper.ProbeReadUser);
    const good = this.#label("mem_ok");
    a.jmp(JmpOp.Jsge, Reg.R0, 0, good)
      .mov64(Reg.R9, ValueStatus.ReadError)
      .ldx(Size.DW, Reg.R8, Reg.R10, SLOT_READ_ADDR)
      .ja(failL)
      .label(good);
    if (arg.string) {
      a.stx(Size.W, Reg.R7, off + ValueHeaderOffset.Used, Reg.R0);
    } else if (lenSlot !== undefined) {
      a.ldx(Size.DW, Reg.R1, Reg.R10, lenSlot)
        .stx(Size.W, Reg.R7, off + ValueHeaderOffset.Used, Reg.R1);
    }
    a.ja(endL)
      .label(failL)
      .stx(Size.B, Reg.R7, off + ValueHeaderOffset.Status, Reg.R9)
      .stx(Size.DW, Reg.R7, data, Reg.R8)
      .label(endL);
    this.frame.release(mark);
  }

  // ------------------------------------------------------------------ expressions

  /** True if evaluating `e` can produce a non-Ok status (a `guard` contains its failures). */
  #fallible(e: IrExpr): boolean {
    switch (e.kind) {
      case "read":
      case "unavailable":
      case "check":
      case "nonNull":
      case "failure":
      case "moduleOffsets":
      case "strLen":
      case "threadPointer":
        return true;
      case "guard":
        return false;
      case "var":
        return this.vars.get(e.id)?.statusOff !== undefined;
      case "bytesEqual":
        return e.left.kind === "userBytes" || e.right.kind === "userBytes" ||
          (e.dynLength !== undefined && this.#fallible(e.dynLength));
      case "unary":
      case "extend":
        return this.#fallible(e.operand);
      case "arith":
      case "compare":
      case "logical":
        return this.#fallible(e.left) || this.#fallible(e.right);
      default:
        return false;
    }
  }

  /** Can be loaded into any register without a helper call or scratch registers. */
  #isLeaf(e: IrExpr): boolean {
    switch (e.kind) {
      case "const":
        return true;
      case "var":
        return this.vars.get(e.id)?.statusOff === undefined;
      case "builtin":
        return e.builtin !== IrBuiltin.Timestamp;
      case "ctx":
        return true;
      default:
        return false;
    }
  }

  /** Load a leaf (see {@link TraceCodegen.#isLeaf}) into `reg`. */
  #leaf(e: IrExpr, reg: Reg): void {
    const a = this.a;
    switch (e.kind) {
      case "const": {
        const imm = asImm(e.value);
        if (imm !== undefined) a.mov64(reg, imm);
        else a.ldImm64(reg, e.value);
        return;
      }
      case "var":
        a.ldx(Size.DW, reg, Reg.R10, this.#var(e.id).slot);
        return;
      case "ctx":
        if (
          !Number.isInteger(e.offset) || e.offset < 0 || e.offset % 8 !== 0 ||
          e.offset + 8 > PT_REGS_SIZE
        ) {
          throw new ProgramBuildError(`pt_regs offset ${e.offset} is not a u64 field`);
        }
        a.ldx(Size.DW, reg, Reg.R6, e.offset);
        return;
      case "builtin": {
        const nsView = this.opts.pidView.kind === "ns";
        switch (e.builtin) {
          case IrBuiltin.Pid:
            if (nsView) a.ldx(Size.W, reg, Reg.R10, NS_INFO_TGID);
            else a.ldx(Size.DW, reg, Reg.R10, SLOT_PID_TGID).rsh64(reg, 32);
            return;
          case IrBuiltin.Tid:
            if (nsView) a.ldx(Size.W, reg, Reg.R10, NS_INFO_PID);
            else a.ldx(Size.W, reg, Reg.R10, SLOT_PID_TGID);
            return;
          case IrBuiltin.HostPid:
            a.ldx(Size.DW, reg, Reg.R10, SLOT_PID_TGID).rsh64(reg, 32);
            return;
          case IrBuiltin.HostTid:
            a.ldx(Size.W, reg, Reg.R10, SLOT_PID_TGID);
            return;
          case IrBuiltin.StackPointer:
            a.ldx(Size.DW, reg, Reg.R6, PT_REGS_SP);
            return;
          case IrBuiltin.InstructionPointer:
            a.ldx(Size.DW, reg, Reg.R6, PT_REGS_IP);
            return;
        }
      }
    }
    throw new ProgramBuildError(`not a leaf expression: ${e.kind}`);
  }

  #var(id: number): VarSlot {
    const v = this.vars.get(id);
    if (!v) throw new ProgramBuildError(`variable #${id} used outside of its scope`);
    return v;
  }

  /**
   * Record `status` in R9 unless an earlier failure is already there (the first one wins);
   * `addrSlot` holds the failing address to put in R8 with it.
   */
  #setStatus(status: ValueStatus | Reg, addrSlot?: number): void {
    const skip = this.#label("status_kept");
    this.a.jmp(JmpOp.Jne, Reg.R9, 0, skip).mov64(Reg.R9, status);
    if (addrSlot !== undefined) this.a.ldx(Size.DW, Reg.R8, Reg.R10, addrSlot);
    this.a.label(skip);
  }

  /** Evaluate `e` into R0 (R1-R5 clobbered; R9 updated if `e` is fallible). */
  #expr(e: IrExpr): void {
    const a = this.a;
    switch (e.kind) {
      case "const":
      case "ctx":
        return this.#leaf(e, Reg.R0);
      case "builtin":
        if (e.builtin === IrBuiltin.Timestamp) {
          a.call(BpfHelper.KtimeGetNs);
          return;
        }
        return this.#leaf(e, Reg.R0);
      case "var": {
        const v = this.#var(e.id);
        a.ldx(Size.DW, Reg.R0, Reg.R10, v.slot);
        if (v.statusOff !== undefined) {
          // its status and address from map memory: unknown to the verifier, paths merge
          const kept = this.#label("var_status_kept");
          a.ldx(Size.DW, Reg.R1, Reg.R10, this.#scratchSlot())
            .ldx(Size.DW, Reg.R2, Reg.R1, v.statusOff + 8)
            .ldx(Size.DW, Reg.R1, Reg.R1, v.statusOff)
            .jmp(JmpOp.Jne, Reg.R9, 0, kept)
            .mov64(Reg.R9, Reg.R1)
            .mov64(Reg.R8, Reg.R2)
            .label(kept);
        }
        return;
      }
      case "unary":
        this.#expr(e.operand);
        if (e.op === "neg") {
          a.neg64(Reg.R0);
        } else if (e.op === "bitnot") {
          a.xor64(Reg.R0, -1);
        } else {
          const done = this.#label("not");
          a.mov64(Reg.R1, Reg.R0).mov64(Reg.R0, 1).jmp(JmpOp.Jeq, Reg.R1, 0, done)
            .mov64(Reg.R0, 0).label(done);
        }
        return;
      case "arith":
        return this.#arith(e.op, e.signed, e.left, e.right);
      case "compare":
        return this.#compare(e.op, e.signed, e.left, e.right);
      case "logical": {
        const shortL = this.#label(e.op);
        const endL = this.#label(`${e.op}_end`);
        const jump = e.op === "and" ? JmpOp.Jeq : JmpOp.Jne;
        const shortValue = e.op === "and" ? 0 : 1;
        this.#expr(e.left);
        a.jmp(jump, Reg.R0, 0, shortL);
        this.#expr(e.right);
        a.jmp(jump, Reg.R0, 0, shortL)
          .mov64(Reg.R0, 1 - shortValue)
          .ja(endL)
          .label(shortL)
          .mov64(Reg.R0, shortValue)
          .label(endL);
        return;
      }
      case "read":
        return this.#read(e.addr, e.size, e.signed);
      case "extend":
        this.#expr(e.operand);
        return this.#extend(e.bits, e.signed);
      case "unavailable":
        a.mov64(Reg.R0, 0);
        this.#setStatus(e.status);
        return;
      case "moduleBias":
        return this.#moduleBias();
      case "moduleOffsets":
        return this.#moduleOffsets(e.cookie);
      case "nonNull": {
        const ok = this.#label("non_null");
        this.#expr(e.operand);
        a.jmp(JmpOp.Jne, Reg.R0, 0, ok);
        this.#setStatus(ValueStatus.NullDeref);
        a.label(ok);
        return;
      }
      case "guard":
        return this.#guard(e.operand, e.id);
      case "failure": {
        const slots = this.#errorSlots(e.id);
        a.ldx(Size.DW, Reg.R1, Reg.R10, slots.status);
        this.#setStatus(Reg.R1, slots.addr);
        a.mov64(Reg.R0, 0);
        return;
      }
      case "bytesEqual":
        emitBytesEqual(e, this.#bytesCodegen());
        return;
      case "strLen":
        emitStrLen(e, this.#bytesCodegen());
        return;
      case "threadPointer":
        return this.#threadPointer(e.fsbaseOffset);
      case "check": {
        const pass = this.#label("check_ok");
        const end = this.#label("check_end");
        this.#expr(e.cond);
        a.jmp(JmpOp.Jne, Reg.R0, 0, pass);
        this.#setStatus(e.status);
        a.mov64(Reg.R0, 0).ja(end).label(pass);
        this.#expr(e.value);
        a.label(end);
        return;
      }
    }
  }

  /** What the byte-string code generators (`bytes_compare.ts`, ...) need from this one. */
  #bytesCodegen(): BytesCodegen {
    return {
      a: this.a,
      frame: this.frame,
      label: (what) => this.#label(what),
      expr: (x) => this.#expr(x),
      setStatus: (status, addrSlot) => this.#setStatus(status, addrSlot),
      keySlot: SLOT_LOST_KEY,
      addrSlot: SLOT_READ_ADDR,
    };
  }

  /**
   * R0 = `operand`; a failure inside it is recorded in error `id`'s slots and gives 0 with the
   * outer status (R9 / R8) unchanged.
   */
  #guard(operand: IrExpr, id: number): void {
    const a = this.a;
    const slots = this.#errorSlots(id);
    const mark = this.frame.mark();
    const s9 = this.frame.alloc();
    const s8 = this.frame.alloc();
    const ok = this.#label("guard_ok");
    a.stx(Size.DW, Reg.R10, s9, Reg.R9).stx(Size.DW, Reg.R10, s8, Reg.R8);
    this.#resetStatus();
    this.#expr(operand);
    a.jmp(JmpOp.Jeq, Reg.R9, 0, ok)
      .stx(Size.DW, Reg.R10, slots.status, Reg.R9)
      .stx(Size.DW, Reg.R10, slots.addr, Reg.R8)
      .mov64(Reg.R0, 0)
      .label(ok)
      .ldx(Size.DW, Reg.R9, Reg.R10, s9)
      .ldx(Size.DW, Reg.R8, Reg.R10, s8);
    this.frame.release(mark);
  }

  /**
   * R0 = the bias of the module with `cookie` in the current process, from `proc_module_offsets`
   * (maintained by the process monitor); `OffsetsUnavailable` when the process or module is not
   * known there. The program then references the sysmon maps (`assemble` needs their fds).
   */
  #moduleOffsets(cookie: bigint): void {
    const a = this.a;
    const mark = this.frame.mark();
    this.frame.alloc();
    const keySlot = this.frame.alloc(); // 16 bytes: keySlot .. keySlot + 15
    const nsInfoSlot = this.frame.alloc();
    emitModuleOffsetsLookup(a, {
      cookie,
      keySlot,
      nsInfoSlot,
      selfNs: this.opts.offsetsSelfNs,
      label: (what) => this.#label(what),
    });
    this.frame.release(mark);
    const found = this.#label("offs_found");
    const end = this.#label("offs_end");
    a.jmp(JmpOp.Jne, Reg.R0, 0, found);
    this.#setStatus(ValueStatus.OffsetsUnavailable);
    a.mov64(Reg.R0, 0).ja(end)
      .label(found)
      .ldx(Size.DW, Reg.R0, Reg.R0, OffsetsValue.Bias)
      .label(end);
  }

  /** R0 = the current task's `thread.fsbase` (ReadError in R9 when it cannot be read). */
  #threadPointer(fsbaseOffset: number): void {
    if (!Number.isInteger(fsbaseOffset) || fsbaseOffset < 0 || fsbaseOffset > 0x7fff_ffff) {
      throw new ProgramBuildError(`task_struct offset ${fsbaseOffset} out of range`);
    }
    const a = this.a;
    const ok = this.#label("tp_ok");
    const end = this.#label("tp_end");
    a.call(BpfHelper.GetCurrentTask)
      .mov64(Reg.R3, Reg.R0)
      .add64(Reg.R3, fsbaseOffset)
      .mov64(Reg.R1, Reg.R10)
      .add64(Reg.R1, SLOT_READ)
      .mov64(Reg.R2, 8)
      .call(BpfHelper.ProbeReadKernel)
      .jmp(JmpOp.Jeq, Reg.R0, 0, ok);
    this.#setStatus(ValueStatus.ReadError);
    a.mov64(Reg.R0, 0).ja(end)
      .label(ok)
      .ldx(Size.DW, Reg.R0, Reg.R10, SLOT_READ)
      .label(end);
  }

  /** R0 = regs->ip - probeLinkAddress: the probed module's load bias. */
  #moduleBias(): void {
    const link = this.opts.probeLinkAddress;
    if (link === undefined) {
      throw new ProgramBuildError(
        "a global variable needs the probe's link-time address (probeLinkAddress) to be rebased",
      );
    }
    const v = BigInt(link);
    if (v < 0n || v >= 1n << 64n) throw new ProgramBuildError(`probe address ${v} out of range`);
    const a = this.a;
    a.ldx(Size.DW, Reg.R0, Reg.R6, PT_REGS_IP);
    const imm = asImm(v);
    if (imm !== undefined) a.sub64(Reg.R0, imm);
    else a.ldImm64(Reg.R1, v).sub64(Reg.R0, Reg.R1);
  }

  /**
   * Evaluate `left` into R0 and make `right` available as the returned operand: an immediate,
   * or R1. `needReg` forces R1.
   */
  #operands(left: IrExpr, right: IrExpr, needReg: boolean): Reg | number {
    const a = this.a;
    if (right.kind === "const" && !needReg) {
      const imm = asImm(right.value);
      if (imm !== undefined) {
        this.#expr(left);
        return imm;
      }
    }
    if (this.#isLeaf(right)) {
      this.#expr(left);
      this.#leaf(right, Reg.R1);
      return Reg.R1;
    }
    this.#expr(left);
    const mark = this.frame.mark();
    const tmp = this.frame.alloc();
    a.stx(Size.DW, Reg.R10, tmp, Reg.R0);
    this.#expr(right);
    a.mov64(Reg.R1, Reg.R0).ldx(Size.DW, Reg.R0, Reg.R10, tmp);
    this.frame.release(mark);
    return Reg.R1;
  }

  #arith(op: IrArithOp, signed: boolean, l: IrExpr, r: IrExpr): void {
    const a = this.a;
    const isDiv = op === "div" || op === "mod";
    let rhs = this.#operands(l, r, isDiv);
    if ((op === "shl" || op === "shr") && typeof rhs === "number" && (rhs < 0 || rhs > 63)) {
      a.mov64(Reg.R1, rhs);
      rhs = Reg.R1;
    }
    switch (op) {
      case "add":
        a.add64(Reg.R0, rhs);
        return;
      case "sub":
        a.sub64(Reg.R0, rhs);
        return;
      case "mul":
        a.mul64(Reg.R0, rhs);
        return;
      case "and":
        a.and64(Reg.R0, rhs);
        return;
      case "or":
        a.or64(Reg.R0, rhs);
        return;
      case "xor":
        a.xor64(Reg.R0, rhs);
        return;
      case "shl":
        a.lsh64(Reg.R0, rhs);
        return;
      case "shr":
        if (signed) a.arsh64(Reg.R0, rhs);
        else a.rsh64(Reg.R0, rhs);
        return;
      case "div":
      case "mod":
        if (!signed) {
          // BPF semantics: x / 0 = 0, x % 0 = x (the divisor is a register, so the verifier
          // accepts a run-time zero).
          if (op === "div") a.div64(Reg.R0, Reg.R1);
          else a.mod64(Reg.R0, Reg.R1);
          return;
        }
        return this.#signedDivMod(op);
    }
  }

  /**
   * Signed R0 = R0 / R1 or R0 % R1 with C truncation semantics, built from the unsigned
   * instructions (works on kernels without `sdiv`): divide magnitudes, then fix the sign
   * (quotient negative iff the signs differ; remainder takes the dividend's sign).
   * Zero divisor: quotient 0, remainder = dividend (consistent with the unsigned rule).
   */
  #signedDivMod(op: "div" | "mod"): void {
    const a = this.a;
    const l1 = this.#label("sdiv_a");
    const l2 = this.#label("sdiv_b");
    const l3 = this.#label("sdiv_sign");
    a.mov64(Reg.R2, 0)
      .jmp(JmpOp.Jsge, Reg.R0, 0, l1)
      .neg64(Reg.R0)
      .mov64(Reg.R2, 1)
      .label(l1)
      .jmp(JmpOp.Jsge, Reg.R1, 0, l2)
      .neg64(Reg.R1);
    if (op === "div") a.xor64(Reg.R2, 1);
    a.label(l2);
    if (op === "div") a.div64(Reg.R0, Reg.R1);
    else a.mod64(Reg.R0, Reg.R1);
    a.jmp(JmpOp.Jeq, Reg.R2, 0, l3).neg64(Reg.R0).label(l3);
  }

  #compare(op: IrCompareOp, signed: boolean, l: IrExpr, r: IrExpr): void {
    const a = this.a;
    const rhs = this.#operands(l, r, false);
    const jop = compareJump(op, signed);
    const done = this.#label("cmp");
    a.mov64(Reg.R2, Reg.R0)
      .mov64(Reg.R0, 1)
      .jmp(jop, Reg.R2, rhs, done)
      .mov64(Reg.R0, 0)
      .label(done);
  }

  /** Keep the low `bits` of R0, zero- or sign-extended. */
  #extend(bits: number, signed: boolean): void {
    const a = this.a;
    if (bits === 32 && !signed) {
      a.mov32(Reg.R0, Reg.R0);
      return;
    }
    const shift = 64 - bits;
    a.lsh64(Reg.R0, shift);
    if (signed) a.arsh64(Reg.R0, shift);
    else a.rsh64(Reg.R0, shift);
  }

  /** R0 = *(size *)addr from user memory, with NullDeref / ReadError in R9. */
  #read(addr: IrExpr, size: 1 | 2 | 4 | 8, signed: boolean): void {
    const a = this.a;
    const nonNull = this.#label("read_addr");
    const ok = this.#label("read_ok");
    const end = this.#label("read_end");
    this.#expr(addr);
    a.jmp(JmpOp.Jne, Reg.R0, 0, nonNull);
    this.#setStatus(ValueStatus.NullDeref);
    a.ja(end);
    a.label(nonNull)
      .stx(Size.DW, Reg.R10, SLOT_READ_ADDR, Reg.R0)
      .mov64(Reg.R3, Reg.R0)
      .mov64(Reg.R1, Reg.R10)
      .add64(Reg.R1, SLOT_READ)
      .mov64(Reg.R2, size)
      .call(BpfHelper.ProbeReadUser)
      .jmp(JmpOp.Jeq, Reg.R0, 0, ok);
    this.#setStatus(ValueStatus.ReadError, SLOT_READ_ADDR);
    a.mov64(Reg.R0, 0).ja(end);
    a.label(ok);
    const sz = { 1: Size.B, 2: Size.H, 4: Size.W, 8: Size.DW }[size];
    a.ldx(sz, Reg.R0, Reg.R10, SLOT_READ);
    if (signed && size < 8) this.#extend(size * 8, true);
    a.label(end);
  }
}
