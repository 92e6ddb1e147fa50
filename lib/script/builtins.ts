/**
 * The built-in registry: every `$name` value and every `name(args)` function of the language is
 * one entry here. An entry gives the name, the arity and the role of each argument, the result
 * type, constant folding (when every argument is known at compile time) and the lowering to IR.
 * The resolver (`passes/resolve.ts`) checks calls against the entry (arity, roles, the entry's own
 * `check`), folds them, and records the entry on the call node; the lowering
 * (`passes/lower.ts`) calls the entry's `lower` with the bound arguments. Adding a function is
 * one entry in {@link FUNCTIONS} (plus, when it needs a new IR form, its code generation in
 * `bpf/`).
 * @module
 */

import { IrBuiltin, type IrBytes, type IrExpr } from "../../bpf/ir.ts";
import { MAX_STRLEN } from "../../bpf/strlen.ts";
import type { ScriptType } from "./types.ts";

// ---------------------------------------------------------------------------------------------
// `$name` values

/** Where a `$name` value is looked up. */
export interface BuiltinVariableContext {
  /** The -p PID, when there is one. */
  inputPid?: number;
  /** True in a `trace f:return` block. */
  returnBlock?: boolean;
}

/** Variable id the return half of a `:return` block binds `$duration` to (see bpf/return_pairing.ts). */
export const DURATION_VAR = 0x7fff_0000;
/** Variable id of the first `entry(x)` capture; capture `i` is `ENTRY_VAR_BASE + i`. */
export const ENTRY_VAR_BASE = 0x7fff_0001;

/** What a `$name` becomes: a value the program computes, a constant, or why it is unavailable. */
export type BuiltinVariableValue =
  | { kind: "ir"; builtin: IrBuiltin }
  | { kind: "const"; value: bigint }
  | { kind: "error"; message: string }
  /** A program value the variable resolver gives as `$name` (typed from DWARF, per site). */
  | { kind: "program" }
  /** A value the program binds to script variable `id` before the body runs. */
  | { kind: "var"; id: number };

/** A `$name` value. */
export interface BuiltinVariable {
  /** Without the `$`. */
  name: string;
  /** One line for `--script-help` and the README. */
  summary: string;
  type: ScriptType;
  value(ctx: BuiltinVariableContext): BuiltinVariableValue;
}

function computed(name: string, builtin: IrBuiltin, summary: string): BuiltinVariable {
  return { name, summary, type: "i64", value: () => ({ kind: "ir", builtin }) };
}

/** Every `$name`, in the order messages list them. */
export const VARIABLES: readonly BuiltinVariable[] = [
  computed("pid", IrBuiltin.Pid, "process id (tgid) in the target's PID namespace view"),
  computed("tid", IrBuiltin.Tid, "thread id in the target's PID namespace view"),
  computed("host_pid", IrBuiltin.HostPid, "process id in the initial PID namespace"),
  {
    name: "input_pid",
    summary: "the PID given with -p",
    type: "i64",
    value: (ctx) =>
      ctx.inputPid === undefined
        ? {
          kind: "error",
          message: "'$input_pid' is only available when tracing a process (-p)",
        }
        : { kind: "const", value: BigInt(ctx.inputPid) },
  },
  computed("timestamp", IrBuiltin.Timestamp, "monotonic time in ns (bpf_ktime_get_ns)"),
  {
    name: "retval",
    summary: "the value the function returns (trace f:return), typed from DWARF",
    type: "i64",
    value: (ctx) => ctx.returnBlock ? { kind: "program" } : notInReturn("$retval"),
  },
  {
    name: "duration",
    summary: "ns since the matching entry of the same thread (trace f:return)",
    type: "u64",
    value: (ctx) => ctx.returnBlock ? { kind: "var", id: DURATION_VAR } : notInReturn("$duration"),
  },
  {
    name: "func",
    summary: "the name of the function the probe is in (e.g. the one a wildcard matched)",
    type: "i64",
    value: () => ({ kind: "program" }),
  },
  { ...computed("sp", IrBuiltin.StackPointer, "the probed thread's stack pointer"), type: "u64" },
  {
    ...computed("pc", IrBuiltin.InstructionPointer, "the probed instruction's address"),
    type: "u64",
  },
];

function notInReturn(name: string): BuiltinVariableValue {
  return {
    kind: "error",
    message: `'${name}' is only available in a return block (trace FUNCTION:return { ... })`,
  };
}

/** The `$name` value named `name` (without `$`), or undefined. */
export function builtinVariable(name: string): BuiltinVariable | undefined {
  return VARIABLES.find((v) => v.name === name);
}

// ---------------------------------------------------------------------------------------------
// functions

/**
 * The role of a function argument:
 * - `int`: a script or program integer (`n` of `strncmp`);
 * - `intLiteral`: an integer known at compile time (a literal or a constant expression);
 * - `string`: a string literal;
 * - `memory`: bytes to compare: a program pointer or array (or an alias of one, `&x`), or a
 *   constant byte string (`hex("..")`);
 * - `text`: like `memory`, a string literal too.
 */
export type ArgRole = "int" | "intLiteral" | "string" | "memory" | "text" | "parameter";

/** One parameter of a function. */
export interface Param {
  name: string;
  role: ArgRole;
  /** May be left out (only trailing parameters). */
  optional?: boolean;
}

/** An argument as the resolver knows it (site-independent). */
export type ResolvedArg =
  /** An integer; `constant` when known at compile time. */
  | { role: "int"; constant?: bigint }
  /** A left-out optional argument. */
  | { role: "absent" }
  /** A string literal. */
  | { role: "string"; value: string }
  /** Constant bytes (a string literal used as memory, `hex(..)`). */
  | { role: "bytes"; bytes: Uint8Array; fromString: boolean }
  /** Program memory; `size` when its extent is known (a `char[N]` array: N bytes). */
  | { role: "memory"; size?: number; what: string };

/** An argument as the lowering gets it (bound to a probe site). */
export type BoundArg =
  | { role: "int"; expr: IrExpr; constant?: bigint }
  | { role: "absent" }
  | { role: "string"; value: string }
  | { role: "bytes"; bytes: Uint8Array; fromString: boolean }
  | { role: "memory"; addr: IrExpr; size?: number; what: string };

/** A misuse of a function found by its entry: `arg` is the index of the argument to point at. */
export class CallError extends Error {
  override name = "CallError";
  readonly arg?: number;
  constructor(message: string, arg?: number) {
    super(message);
    this.arg = arg;
  }
}

/** The value of a call known at compile time. */
export type Folded = { kind: "int"; value: bigint } | { kind: "bytes"; bytes: Uint8Array };

/** A function of the language. */
export interface BuiltinFunction {
  name: string;
  /** Usage line for messages and help: `strncmp(a, b, n)`. */
  usage: string;
  summary: string;
  params: readonly Param[];
  /** `bytes`: a constant byte string (only usable where memory is compared). */
  result: ScriptType | "bytes";
  /** Checks beyond arity and roles (throws {@link CallError}). */
  check?(args: readonly ResolvedArg[]): void;
  /** The value when it is known at compile time, else undefined. */
  fold?(args: readonly ResolvedArg[]): Folded | undefined;
  /** The IR computing the call at a probe site. */
  lower(args: readonly BoundArg[]): IrExpr;
}

const encoder = new TextEncoder();

/** Bytes of a string literal (UTF-8). */
export function stringBytes(s: string): Uint8Array {
  return encoder.encode(s);
}

/** A comparison side: constant bytes or user memory. */
function side(a: BoundArg, size: number, string: boolean): IrBytes {
  if (a.role === "bytes") return { kind: "constBytes", bytes: a.bytes.slice(0, size) };
  if (a.role === "string") {
    return { kind: "constBytes", bytes: stringBytes(a.value).slice(0, size) };
  }
  if (a.role === "memory") return { kind: "userBytes", addr: a.addr, size, string };
  throw new CallError("internal: an integer is not memory");
}

function constBytesOf(a: ResolvedArg | BoundArg): Uint8Array | undefined {
  if (a.role === "bytes") return a.bytes;
  if (a.role === "string") return stringBytes(a.value);
  return undefined;
}

function sameBytes(a: Uint8Array, b: Uint8Array, n: number): boolean {
  if (a.length < n || b.length < n) return false;
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** At least one side of a string comparison must be a string literal. */
function needsOneString(args: readonly ResolvedArg[], fn: string): void {
  if (constBytesOf(args[0]) === undefined && constBytesOf(args[1]) === undefined) {
    throw new CallError(
      `${fn}: at least one of the first two arguments must be a string literal`,
      0,
    );
  }
}

/** Largest number of bytes a string built-in compares. */
export const STRING_COMPARE_CAP = 256;

/** Effective length of `strncmp(a, b, n)`: at most `n` and the literal's length. */
function strncmpLength(args: readonly ResolvedArg[] | readonly BoundArg[], n: bigint): number {
  const lens = [args[0], args[1]].map((a) => constBytesOf(a)?.length).filter((x) =>
    x !== undefined
  ) as number[];
  const lit = Math.min(...lens);
  return Math.min(Number(n < 0n ? 0n : n > 1_000_000n ? 1_000_000n : n), lit, STRING_COMPARE_CAP);
}

/** The prefix equality of two byte strings, folded when both are constant. */
function prefixEqual(a: BoundArg, b: BoundArg, n: number): IrExpr {
  const ca = constBytesOf(a);
  const cb = constBytesOf(b);
  if (ca && cb) return { kind: "const", value: sameBytes(ca, cb, n) ? 1n : 0n };
  if (n === 0) return { kind: "const", value: 1n };
  return {
    kind: "bytesEqual",
    left: side(a, n, true),
    right: side(b, n, true),
    length: n,
    stopAtNul: false,
  };
}

function intConstant(a: ResolvedArg | BoundArg): bigint | undefined {
  return a.role === "int" ? a.constant : undefined;
}

/** Every function, by name. */
export const FUNCTIONS: readonly BuiltinFunction[] = [
  {
    // Resolved by the resolve pass itself (the parameter is captured by the entry program).
    name: "entry",
    usage: "entry(x)",
    summary: "parameter x as it was when the function was entered (trace f:return)",
    params: [{ name: "x", role: "parameter" }],
    result: "i64",
    lower() {
      throw new CallError("internal: entry(x) is bound by the return block, not lowered");
    },
  },
  {
    name: "strncmp",
    usage: "strncmp(a, b, n)",
    summary: "true when a and b agree on their first n bytes (one of them a string literal)",
    params: [
      { name: "a", role: "text" },
      { name: "b", role: "text" },
      { name: "n", role: "int" },
    ],
    result: "bool",
    check(args) {
      needsOneString(args, "strncmp");
      const n = intConstant(args[2]);
      if (n !== undefined && BigInt.asIntN(64, n) < 0n) {
        throw new CallError(
          `strncmp: the length must not be negative (got ${BigInt.asIntN(64, n)})`,
          2,
        );
      }
    },
    fold(args) {
      const a = constBytesOf(args[0]);
      const b = constBytesOf(args[1]);
      const n = intConstant(args[2]);
      if (!a || !b || n === undefined) return undefined;
      const len = strncmpLength(args, n);
      return { kind: "int", value: sameBytes(a, b, len) ? 1n : 0n };
    },
    lower(args) {
      const n = intConstant(args[2]);
      if (n !== undefined) return prefixEqual(args[0], args[1], strncmpLength(args, n));
      // a run-time n: clamped to 0..the literal's length
      const cap = strncmpLength(args, BigInt(STRING_COMPARE_CAP));
      const eq = prefixEqual(args[0], args[1], cap);
      if (eq.kind !== "bytesEqual" || args[2].role !== "int") return eq;
      return { ...eq, dynLength: args[2].expr };
    },
  },
  {
    name: "starts_with",
    usage: "starts_with(a, b)",
    summary: "true when a begins with b (one of them a string literal)",
    params: [{ name: "a", role: "text" }, { name: "b", role: "text" }],
    result: "bool",
    check(args) {
      needsOneString(args, "starts_with");
    },
    fold(args) {
      const a = constBytesOf(args[0]);
      const b = constBytesOf(args[1]);
      if (!a || !b) return undefined;
      return { kind: "int", value: sameBytes(a, b, b.length) ? 1n : 0n };
    },
    lower(args) {
      const b = constBytesOf(args[1]);
      const n = Math.min(b?.length ?? constBytesOf(args[0])!.length, STRING_COMPARE_CAP);
      return prefixEqual(args[0], args[1], n);
    },
  },
  {
    name: "hex",
    usage: 'hex("50 4F")',
    summary: "constant bytes written as hex digit pairs (spaces allowed), for memcmp",
    params: [{ name: "digits", role: "string" }],
    result: "bytes",
    check(args) {
      parseHex(args[0].role === "string" ? args[0].value : "");
    },
    fold(args) {
      return { kind: "bytes", bytes: parseHex(args[0].role === "string" ? args[0].value : "") };
    },
    lower() {
      throw new CallError("internal: hex(..) is always folded");
    },
  },
  {
    name: "memcmp",
    usage: "memcmp(a, b, n)",
    summary: "true when the first n bytes at a and b are equal (n may be left out next to hex)",
    params: [
      { name: "a", role: "memory" },
      { name: "b", role: "memory" },
      { name: "n", role: "int", optional: true },
    ],
    result: "bool",
    check(args) {
      const sizes = hexSizes(args);
      const n = args[2];
      if (n.role === "absent") {
        if (sizes.length === 0) {
          throw new CallError(
            'memcmp needs a length (memcmp(a, b, n)) unless one side is hex("..")',
            2,
          );
        }
        if (sizes.length === 2 && sizes[0] !== sizes[1]) {
          throw new CallError(
            `memcmp: the hex sides have different sizes (${sizes[0]} and ${sizes[1]} bytes)`,
            1,
          );
        }
        return;
      }
      const k = intConstant(n);
      if (k === undefined) return;
      const v = BigInt.asIntN(64, k);
      if (v < 0n) throw new CallError(`memcmp: the length must not be negative (got ${v})`, 2);
      const small = Math.min(...sizes);
      if (sizes.length > 0 && v > BigInt(small)) {
        throw new CallError(
          `memcmp: length ${v} is larger than the ${small} bytes of hex(..)`,
          2,
        );
      }
      if (v > BigInt(MAX_MEMCMP_BYTES)) {
        throw new CallError(
          `memcmp: length ${v} is over the limit of ${MAX_MEMCMP_BYTES} bytes`,
          2,
        );
      }
    },
    fold(args) {
      const a = constBytesOf(args[0]);
      const b = constBytesOf(args[1]);
      if (!a || !b) {
        if (intConstant(args[2]) === 0n) return { kind: "int", value: 1n };
        return undefined;
      }
      const k = intConstant(args[2]);
      if (args[2].role !== "absent" && k === undefined) return undefined;
      const n = k === undefined ? a.length : Number(k);
      return { kind: "int", value: sameBytes(a, b, n) ? 1n : 0n };
    },
    lower(args) {
      const sizes = hexSizes(args);
      const n = args[2];
      const k = intConstant(n);
      if (n.role === "absent" || k !== undefined) {
        const len = k === undefined ? Math.min(...sizes) : Number(k);
        if (len === 0) return { kind: "const", value: 1n };
        return {
          kind: "bytesEqual",
          left: side(args[0], len, false),
          right: side(args[1], len, false),
          length: len,
          stopAtNul: false,
        };
      }
      // a run-time length: clamped to 0..the hex size, or the compare cap
      const cap = sizes.length ? Math.min(...sizes) : MEMCMP_DYNAMIC_CAP;
      if (cap === 0) return { kind: "const", value: 1n };
      return {
        kind: "bytesEqual",
        left: side(args[0], cap, false),
        right: side(args[1], cap, false),
        length: cap,
        stopAtNul: false,
        dynLength: n.role === "int" ? n.expr : undefined,
      };
    },
  },
  {
    name: "strlen",
    usage: "strlen(s)",
    summary: "the length of the C string s (at most 4095), or of a string literal",
    params: [{ name: "s", role: "text" }],
    result: "i64",
    fold(args) {
      const s = constBytesOf(args[0]);
      return s ? { kind: "int", value: BigInt(s.length) } : undefined;
    },
    lower(args) {
      const s = args[0];
      if (s.role !== "memory") throw new CallError("internal: strlen of a constant is folded");
      return { kind: "strLen", addr: s.addr, cap: s.size ?? MAX_STRLEN };
    },
  },
];

/**
 * `s == "lit"` / `"lit" == s` for a `char *` or `char[N]` `s` (not callable by name; the
 * resolver lowers `==` / `!=` with a string literal to it): strict NUL semantics, `s` must hold
 * exactly the literal followed by a NUL. A `char *` is read with `bpf_probe_read_user_str`
 * (up to L + 1 bytes), a `char[N]` with `bpf_probe_read_user` of L + 1 bytes (never equal when
 * L + 1 > N).
 */
export const STRING_EQUALS: BuiltinFunction = {
  name: "==",
  usage: 's == "literal"',
  summary: "a C string equal to a literal (strict NUL)",
  params: [{ name: "s", role: "text" }, { name: "literal", role: "text" }],
  result: "bool",
  fold(args) {
    const a = constBytesOf(args[0]);
    const b = constBytesOf(args[1]);
    if (a && b) {
      return { kind: "int", value: sameBytes(a, b, Math.max(a.length, b.length)) ? 1n : 0n };
    }
    const lit = a ?? b;
    const mem = a ? args[1] : args[0];
    if (lit && mem.role === "memory" && mem.size !== undefined && lit.length + 1 > mem.size) {
      return { kind: "int", value: 0n };
    }
    return undefined;
  },
  lower(args) {
    const litFirst = constBytesOf(args[0]) !== undefined;
    const mem = litFirst ? args[1] : args[0];
    const lit = constBytesOf(litFirst ? args[0] : args[1])!;
    if (mem.role !== "memory") throw new CallError("internal: == needs memory");
    const n = Math.min(lit.length + 1, STRING_COMPARE_CAP);
    const withNul = new Uint8Array(n);
    withNul.set(lit.slice(0, n - 1));
    const user: IrBytes = {
      kind: "userBytes",
      addr: mem.addr,
      size: n,
      string: mem.size === undefined,
    };
    const constant: IrBytes = { kind: "constBytes", bytes: withNul };
    return {
      kind: "bytesEqual",
      left: litFirst ? constant : user,
      right: litFirst ? user : constant,
      length: n,
      stopAtNul: false,
    };
  },
};

/** Most bytes `memcmp` compares with a constant length. */
export const MAX_MEMCMP_BYTES = 1024;
/** Most bytes `memcmp` compares with a length known only at run time. */
export const MEMCMP_DYNAMIC_CAP = 64;

/** Sizes of the constant (hex) sides of a call. */
function hexSizes(args: readonly (ResolvedArg | BoundArg)[]): number[] {
  const out: number[] = [];
  for (const a of args.slice(0, 2)) {
    const c = constBytesOf(a);
    if (c) out.push(c.length);
  }
  return out;
}

/** The bytes of `hex("..")`'s digits: pairs of hex digits, spaces between them allowed. */
export function parseHex(text: string): Uint8Array {
  const bad = /[^0-9a-fA-F ]/.exec(text);
  if (bad) {
    const c = bad[0] === "\t" ? "a tab" : `'${bad[0]}'`;
    throw new CallError(
      `hex: ${c} is not a hex digit (only 0-9, a-f, A-F and spaces)`,
      0,
    );
  }
  const digits = text.replace(/ /g, "");
  if (digits.length % 2 !== 0) {
    throw new CallError(
      `hex: odd number of hex digits (${digits.length}); each byte takes two`,
      0,
    );
  }
  const out = new Uint8Array(digits.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(digits.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** The function named `name`, or undefined. */
export function builtinFunction(name: string): BuiltinFunction | undefined {
  return FUNCTIONS.find((f) => f.name === name);
}

/** Fewest and most arguments of `f`. */
export function arity(f: BuiltinFunction): { min: number; max: number } {
  return { min: f.params.filter((p) => !p.optional).length, max: f.params.length };
}
