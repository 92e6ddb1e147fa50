/**
 * The intermediate representation the script compiler hands to the trace program builder
 * (`trace_program.ts`). It is a typed expression tree per statement: small enough to reason about
 * register use, rich enough that a value may come from a constant, a helper, a register of the
 * probed task (`ctx`) or a user-memory read that can fail (`read`, with a {@link ValueStatus}).
 *
 * Integer semantics: every value is 64 bits. `signed` on an operation picks signed or unsigned
 * division, remainder and ordering. Booleans are 0 / 1. A failed read yields 0 and sets the
 * expression's status (the first failure wins); a `print` argument carries that status in its
 * value record, a failed `if` condition behaves as false.
 * @module
 */

import type { ValueStatus, ValueType } from "./wire.ts";

/** Values a program computes itself. */
export enum IrBuiltin {
  /** tgid in the configured {@link PidView} (`$pid`). */
  Pid = "pid",
  /** thread id in the configured PidView (`$tid`). */
  Tid = "tid",
  /** host tgid (`$host_pid`). */
  HostPid = "host_pid",
  /** host thread id. */
  HostTid = "host_tid",
  /** `bpf_ktime_get_ns()` (`$timestamp`). */
  Timestamp = "timestamp",
  /** The probed task's stack pointer (`$sp`, `regs->sp`). */
  StackPointer = "sp",
  /** The probed instruction's address (`$pc`, `regs->ip`). */
  InstructionPointer = "pc",
}

/** Integer operators producing integers. */
export type IrArithOp =
  | "add"
  | "sub"
  | "mul"
  | "div"
  | "mod"
  | "and"
  | "or"
  | "xor"
  | "shl"
  | "shr";
/** Comparison operators producing 0 / 1. */
export type IrCompareOp = "eq" | "ne" | "lt" | "le" | "gt" | "ge";
/** Short-circuit logical operators producing 0 / 1. */
export type IrLogicalOp = "and" | "or";
/** Unary operators: two's complement negation, logical not, bitwise complement. */
export type IrUnaryOp = "neg" | "not" | "bitnot";

/**
 * A byte string a comparison reads: `size` bytes of user memory at `addr` (`string`: read with
 * `bpf_probe_read_user_str`, so a shorter C string ends at its NUL and nothing past it is read),
 * or constant bytes known when the program is built (a string literal, `hex("..")`).
 */
export type IrBytes =
  | { kind: "userBytes"; addr: IrExpr; size: number; string: boolean }
  | { kind: "constBytes"; bytes: Uint8Array };

/** An expression; evaluates to a 64-bit value (and a status when it contains reads). */
export type IrExpr =
  /** A constant (taken modulo 2^64). */
  | { kind: "const"; value: bigint }
  /** A program-computed value. */
  | { kind: "builtin"; builtin: IrBuiltin }
  /** The value of a `let` (by id, unique within the trace). */
  | { kind: "var"; id: number }
  /** `-x` (two's complement), `!x` (1 if x is 0, else 0) or `~x` (bitwise complement). */
  | { kind: "unary"; op: IrUnaryOp; operand: IrExpr }
  /** Integer arithmetic. Division by zero yields 0, remainder by zero yields the dividend. */
  | { kind: "arith"; op: IrArithOp; signed: boolean; left: IrExpr; right: IrExpr }
  /** Comparison, 0 / 1. */
  | { kind: "compare"; op: IrCompareOp; signed: boolean; left: IrExpr; right: IrExpr }
  /** Short-circuit `&&` / `||` on truthiness (non-zero), 0 / 1. */
  | { kind: "logical"; op: IrLogicalOp; left: IrExpr; right: IrExpr }
  /**
   * 1 when the first `length` bytes of `left` and `right` are equal, else 0; with `stopAtNul`
   * the comparison ends (equal) at the first NUL both share, like `strncmp(..) == 0`. A byte
   * string read from user memory goes through a stack buffer, or the per-CPU scratch map when
   * it is larger than the stack allows; a failed read gives status `ReadError` (`NullDeref` for
   * a NULL address).
   */
  | {
    kind: "bytesEqual";
    left: IrBytes;
    right: IrBytes;
    length: number;
    stopAtNul: boolean;
    /**
     * A run-time length, clamped to `0..length` (the buffers' size); 0 compares nothing
     * (equal) and reads nothing.
     */
    dynLength?: IrExpr;
  }
  /**
   * Keep the low `bits` of `operand`, zero- or sign-extended to 64 bits (e.g. an `int` argument
   * held in a 64-bit register).
   */
  | { kind: "extend"; operand: IrExpr; bits: 8 | 16 | 32; signed: boolean }
  /** A u64 field of the probe's `struct pt_regs` (a register of the probed task), by offset. */
  | { kind: "ctx"; offset: number }
  /**
   * `size` bytes of user memory at `addr` (zero- or sign-extended). A NULL address yields status
   * `NullDeref`, a failing `bpf_probe_read_user` yields `ReadError` (and records the address).
   */
  | { kind: "read"; addr: IrExpr; size: 1 | 2 | 4 | 8; signed: boolean }
  /** A value known at compile time to be unavailable (e.g. optimized out): 0 with `status`. */
  | { kind: "unavailable"; status: ValueStatus }
  /**
   * The load bias of the probed module, computed in the kernel from the probe's own instruction
   * pointer: `regs->ip - probeLinkAddress` (at a uprobe hit `regs->ip` is the runtime address of
   * the probed instruction). Needs {@link IrTrace}'s program to be built with the probe's link
   * address. Works for any process that runs the module, whatever its pid namespace, without
   * a map.
   */
  | { kind: "moduleBias" }
  /**
   * The load bias of another module (`module`, identified by its sysmon `cookie`) in the current
   * process, looked up at run time in `proc_module_offsets` (maintained by the process monitor,
   * -t mode; `bpf/sysmon_lookup.ts`); `OffsetsUnavailable` when the process or module is not
   * there. A program using it references the sysmon maps. In -p mode the bias of every mapped
   * module is a compile-time constant instead.
   */
  | { kind: "moduleOffsets"; module: string; cookie: bigint }
  /**
   * `value` if `cond` is non-zero; otherwise 0 with `status` (e.g. an array index out of bounds),
   * without evaluating `value`.
   */
  | { kind: "check"; cond: IrExpr; status: ValueStatus; value: IrExpr }
  /** `operand`, or 0 with status `NullDeref` when it is 0 (a pointer about to be followed). */
  | { kind: "nonNull"; operand: IrExpr }
  /**
   * `operand`, but a failure inside it is contained: the value is then 0 with status Ok, and
   * the failure (status and address) is recorded as error `id` of the enclosing `print`, which
   * reports it in an ExprError event after its own ({@link IrExprError}).
   */
  | { kind: "guard"; operand: IrExpr; id: number }
  /** 0 with the status and address recorded for error `id` (the value of an ExprError event). */
  | { kind: "failure"; id: number }
  /**
   * The length of the C string at `addr` (at most `cap`), read with `bpf_probe_read_user_str`;
   * `NullDeref` / `ReadError` when it cannot be read.
   */
  | { kind: "strLen"; addr: IrExpr; cap: number };

/**
 * An ExprError event: when error `id` was recorded (a failed `if` condition, a failed built-in
 * call inside a `print`), one event of print `printId` carrying the failure is emitted.
 */
export interface IrExprError {
  id: number;
  printId: number;
}

/**
 * One argument of a `print`, computed in registers: the record type written to the wire and how
 * to compute its 64-bit value. `len` (1..8, default 8) is the record's payload length: a `Bytes`
 * record of `len` bytes holds the low bytes of the value (a small struct held in a register).
 */
export interface IrScalarArg {
  kind?: "scalar";
  type: ValueType;
  expr: IrExpr;
  len?: number;
}

/**
 * One argument of a `print` copied from user memory straight into the ring record (no stack):
 * `capacity` bytes are reserved in the record (a compile-time constant, at most 65535).
 * - `string`: `bpf_probe_read_user_str` (stops at NUL; `used` = bytes copied including NUL);
 *   otherwise `bpf_probe_read_user` of `length` bytes.
 * - `length`: run-time byte count (clamped to 0..capacity; 0 gives status `ZeroLength`);
 *   absent = `capacity`.
 * A NULL address gives `NullDeref`, a failed read `ReadError` with the address in the payload;
 * a failure while computing `addr` or `length` keeps its own status.
 */
export interface IrMemoryArg {
  kind: "memory";
  type: ValueType.Str | ValueType.Bytes;
  addr: IrExpr;
  capacity: number;
  string: boolean;
  length?: IrExpr;
  /**
   * Bytes known when the program is built (a script string variable): written into the record
   * by the program with a NUL (`capacity` = their length + 1), nothing read; `addr` unused.
   */
  constant?: Uint8Array;
}

/**
 * The one value of a `backtrace` statement's event: registers and a copy of the user stack
 * (`stack_capture.ts`); its size is the program's `stackCopyBytes` option.
 */
export interface IrStackArg {
  kind: "stack";
  type: ValueType.Stack;
}

/** One argument of a `print`. */
export type IrPrintArg = IrScalarArg | IrMemoryArg;

/** The expressions an argument evaluates. */
export function printArgExprs(a: IrPrintArg): IrExpr[] {
  if (a.kind === "memory") return a.length ? [a.addr, a.length] : [a.addr];
  return [a.expr];
}

/** A statement. */
export type IrStmt =
  /** Bind variable `id` (visible to the rest of the enclosing block and nested blocks). */
  | { kind: "let"; id: number; value: IrExpr }
  /** Emit one event with `printId` and one value record per argument. */
  | { kind: "print"; printId: number; args: IrPrintArg[]; errors?: IrExprError[] }
  /**
   * Conditional; `else` may be empty (an `else if` is an `if` inside `else`). A condition whose
   * evaluation failed is false; with `error` the failure is reported in an ExprError event first.
   */
  | { kind: "if"; cond: IrExpr; then: IrStmt[]; else: IrStmt[]; error?: IrExprError }
  /** `bt`: emit one event with `printId` holding a stack capture ({@link IrStackArg}). */
  | { kind: "backtrace"; printId: number };

/** One `trace` block: becomes one BPF program. */
export interface IrTrace {
  /** Index of the trace block in the script (header `trace_id`). */
  traceId: number;
  /** BPF program name (at most 15 characters of `[A-Za-z0-9_.]`). */
  name: string;
  body: IrStmt[];
}

/** Calls `f` on `e` and every sub-expression, parents first. */
export function walkExpr(e: IrExpr, f: (e: IrExpr) => void): void {
  f(e);
  switch (e.kind) {
    case "unary":
    case "extend":
    case "nonNull":
    case "guard":
      walkExpr(e.operand, f);
      break;
    case "arith":
    case "compare":
    case "logical":
      walkExpr(e.left, f);
      walkExpr(e.right, f);
      break;
    case "read":
    case "strLen":
      walkExpr(e.addr, f);
      break;
    case "check":
      walkExpr(e.cond, f);
      walkExpr(e.value, f);
      break;
    case "bytesEqual":
      if (e.dynLength) walkExpr(e.dynLength, f);
      for (const b of [e.left, e.right]) if (b.kind === "userBytes") walkExpr(b.addr, f);
      break;
  }
}

/** Calls `stmt` on every statement and `expr` on every expression of `body`, depth first. */
export function walkStmts(
  body: readonly IrStmt[],
  visit: { stmt?: (s: IrStmt) => void; expr?: (e: IrExpr) => void },
): void {
  for (const s of body) {
    visit.stmt?.(s);
    const ex = visit.expr;
    switch (s.kind) {
      case "let":
        if (ex) walkExpr(s.value, ex);
        break;
      case "print":
        if (ex) {
          for (const a of s.args) for (const x of printArgExprs(a)) walkExpr(x, ex);
        }
        break;
      case "if":
        if (ex) walkExpr(s.cond, ex);
        walkStmts(s.then, visit);
        walkStmts(s.else, visit);
        break;
    }
  }
}
