/**
 * Program values as the compiler manipulates them: a {@link DValue} is a C object of a DWARF type
 * that is either in user memory (its address is an IR expression), computed in registers (its
 * value is an IR expression), or known to be unavailable at compile time (optimized out, module
 * offsets unavailable). The operations of the script language on program values (members,
 * `->`, indexing, `*`, `&`, use as an integer) are defined here; they throw {@link ValueError}
 * with a user-facing message.
 * @module
 */

import type { IrExpr } from "../../../bpf/ir.ts";
import { ValueStatus } from "../../../bpf/wire.ts";
import {
  closeNames,
  describeType,
  type DwarfType,
  memberNames,
  memberOf,
  stripType,
  typeSize,
} from "../../dwarf/index.ts";
import { closest } from "../diagnostics.ts";
import type { ScriptType } from "../types.ts";

/** A program value. */
export type DValue =
  /** The object at `addr` in user memory; `bits` for a bitfield (`shift` bits into `addr`). */
  | { kind: "memory"; type: DwarfType; addr: IrExpr; bits?: { size: number; shift: number } }
  /** A value computed in registers (an integer extended to 64 bits, or the bytes of a small
   * struct in the low bytes). */
  | {
    kind: "scalar";
    type: DwarfType;
    expr: IrExpr;
    /** Bytes 8..15 of a 9-16 byte struct held in two registers (returned in rax:rdx). */
    high?: IrExpr;
  }
  /** Not available: `status` says why (`OptimizedOut`, `OffsetsUnavailable`). */
  | { kind: "unavailable"; type: DwarfType; status: ValueStatus; why: string };

/** A misuse of a program value; the message is shown to the user at the expression. */
export class ValueError extends Error {
  override name = "ValueError";
}

/** A C integer type after the integer promotions: `int`, `unsigned int`, `long`, `unsigned long`. */
export interface CInt {
  bits: 32 | 64;
  signed: boolean;
}

/** A program value usable in arithmetic and comparisons. */
export interface ScalarValue {
  expr: IrExpr;
  type: ScriptType;
  /** Its C type after promotion (pointers: `unsigned long`). */
  cint: CInt;
  /** The (unpromoted) DWARF type, for rendering. */
  dtype: DwarfType;
}

// ---------------------------------------------------------------------------------------------
// IR helpers

/** An IR constant. */
export function irConst(v: bigint | number): IrExpr {
  return { kind: "const", value: BigInt.asUintN(64, BigInt(v)) };
}

/** `a + b` (folds constants and `x + 0`). */
export function irAdd(a: IrExpr, b: IrExpr): IrExpr {
  if (b.kind === "const" && b.value === 0n) return a;
  if (a.kind === "const" && b.kind === "const") return irConst(a.value + b.value);
  if (a.kind === "const") return irAdd(b, a);
  if (
    b.kind === "const" && a.kind === "arith" && a.op === "add" && a.right.kind === "const"
  ) {
    return irAdd(a.left, irConst(a.right.value + b.value));
  }
  return { kind: "arith", op: "add", signed: false, left: a, right: b };
}

/** `a * n` for a constant `n`. */
export function irMul(a: IrExpr, n: number): IrExpr {
  if (n === 1) return a;
  if (a.kind === "const") return irConst(a.value * BigInt(n));
  return { kind: "arith", op: "mul", signed: false, left: a, right: irConst(n) };
}

/**
 * Keeps the low `size` bytes of `e`, sign-extended when `signed` (what a value of a C type of
 * that size held in a 64-bit register means).
 */
export function fitTo(e: IrExpr, size: number, signed: boolean): IrExpr {
  if (size >= 8) return e;
  if (size === 1 || size === 2 || size === 4) {
    return { kind: "extend", operand: e, bits: (size * 8) as 8 | 16 | 32, signed };
  }
  const bits = BigInt(size * 8);
  if (!signed) {
    return {
      kind: "arith",
      op: "and",
      signed: false,
      left: e,
      right: irConst((1n << bits) - 1n),
    };
  }
  return bitExtract(e, 0, size * 8, true);
}

/** Bits `[shift, shift + size)` of `e`, zero- or sign-extended. */
export function bitExtract(e: IrExpr, shift: number, size: number, signed: boolean): IrExpr {
  const up = 64 - shift - size;
  let x = e;
  if (up > 0) x = { kind: "arith", op: "shl", signed: false, left: x, right: irConst(up) };
  const down = 64 - size;
  if (down > 0) x = { kind: "arith", op: "shr", signed, left: x, right: irConst(down) };
  return x;
}

// ---------------------------------------------------------------------------------------------
// Types

const POINTER_SIZE = 8;

/** A synthesized `T *`. */
export function pointerTo(t: DwarfType): DwarfType {
  return { kind: "pointer", size: POINTER_SIZE, target: t, dieOffset: 0 };
}

/** The C spelling of a type for messages. */
export function typeText(t: DwarfType): string {
  return describeType(t);
}

/** True for `char`, `signed char`, `unsigned char` (and typedefs of them). */
export function isCharType(t: DwarfType): boolean {
  const s = stripType(t);
  return s.kind === "base" && s.encoding === "char" && s.size === 1;
}

/** True for byte-like pointees that `{:s}` accepts: chars, `int8_t` / `uint8_t`, `void`. */
export function isStringElement(t: DwarfType): boolean {
  const s = stripType(t);
  if (s.kind === "void") return true;
  return s.kind === "base" && s.size === 1 && s.encoding !== "bool" && s.encoding !== "float";
}

function isAggregate(t: DwarfType): boolean {
  const s = stripType(t);
  return s.kind === "struct" || s.kind === "union";
}

function plural(n: number, w: string): string {
  return `${n} ${w}${n === 1 ? "" : "s"}`;
}

function suggest(names: string[]): string {
  if (names.length === 0) return "";
  const q = names.map((n) => `'${n}'`);
  const list = q.length === 1 ? q[0] : `${q.slice(0, -1).join(", ")} or ${q[q.length - 1]}`;
  return ` (did you mean ${list}?)`;
}

// ---------------------------------------------------------------------------------------------
// Operations

/** `v` used as an integer, a boolean or a pointer. */
export function toScalar(v: DValue, what: string): ScalarValue {
  const t = stripType(v.type);
  let type: ScriptType;
  let cint: CInt;
  let size: number;
  let signed = false;
  switch (t.kind) {
    case "base":
      if (t.encoding === "float") {
        throw new ValueError(
          `'${what}' is a floating-point value (${typeText(v.type)}): it can be printed but ` +
            "not used in expressions",
        );
      }
      size = t.size;
      signed = t.signed;
      if (t.encoding === "bool") {
        type = "bool";
        cint = { bits: 32, signed: true };
      } else {
        cint = promote(size, signed);
        type = cint.signed ? "i64" : "u64";
      }
      break;
    case "enum":
      size = t.size;
      signed = t.signed;
      cint = promote(size, signed);
      type = cint.signed ? "i64" : "u64";
      break;
    case "pointer":
      size = t.size;
      type = "ptr";
      cint = { bits: 64, signed: false };
      break;
    case "array": {
      // an array decays to a pointer to its first element
      const ptrType = pointerTo(t.element);
      if (v.kind === "memory") {
        return { expr: v.addr, type: "ptr", cint: { bits: 64, signed: false }, dtype: ptrType };
      }
      if (v.kind === "unavailable") {
        return {
          expr: { kind: "unavailable", status: v.status },
          type: "ptr",
          cint: { bits: 64, signed: false },
          dtype: ptrType,
        };
      }
      throw new ValueError(`'${what}' is an array that is not in memory here`);
    }
    case "struct":
    case "union": {
      const names = memberNames(t.members);
      const hint = names.length
        ? `; use one of its members (${names.slice(0, 6).join(", ")}${
          names.length > 6 ? ", ..." : ""
        })`
        : "";
      throw new ValueError(
        `'${what}' is ${
          typeText(v.type)
        }, not a number${hint}, or print it whole with 'print ${what};'`,
      );
    }
    default:
      throw new ValueError(`'${what}' has type ${typeText(v.type)}, which has no value`);
  }
  if (size > 8 || size < 1) {
    throw new ValueError(`'${what}' is a ${size}-byte ${typeText(v.type)}: too wide for 64 bits`);
  }
  return { expr: rawValue(v, size, signed), type, cint, dtype: v.type };
}

function promote(size: number, signed: boolean): CInt {
  if (size < 4) return { bits: 32, signed: true };
  if (size === 4) return { bits: 32, signed };
  return { bits: 64, signed };
}

/**
 * The IR computing the value of a scalar `v` of `size` bytes (zero- or sign-extended), reading
 * memory when `v` is in memory. Floats come out as their bit pattern.
 */
export function rawValue(v: DValue, size: number, signed: boolean): IrExpr {
  switch (v.kind) {
    case "unavailable":
      return { kind: "unavailable", status: v.status };
    case "scalar":
      return v.expr;
    case "memory": {
      if (v.bits) {
        const span = Math.ceil((v.bits.shift + v.bits.size) / 8);
        const readSize = span <= 1 ? 1 : span <= 2 ? 2 : span <= 4 ? 4 : span <= 8 ? 8 : 0;
        if (readSize === 0) throw new ValueError("bit-field spans more than 8 bytes");
        const raw: IrExpr = { kind: "read", addr: v.addr, size: readSize, signed: false };
        return bitExtract(raw, v.bits.shift, v.bits.size, signed);
      }
      if (size !== 1 && size !== 2 && size !== 4 && size !== 8) {
        throw new ValueError(`cannot read a ${size}-byte value as a number`);
      }
      return { kind: "read", addr: v.addr, size, signed };
    }
  }
}

/** `*v`. */
export function deref(v: DValue, what: string): DValue {
  const t = stripType(v.type);
  if (t.kind === "array") {
    if (v.kind === "memory") return { kind: "memory", type: t.element, addr: v.addr };
    if (v.kind === "unavailable") return { ...v, type: t.element };
    throw new ValueError(`'${what}' is an array that is not in memory here`);
  }
  if (t.kind !== "pointer") {
    throw new ValueError(
      `cannot dereference '${what}': it is ${typeText(v.type)}, not a pointer`,
    );
  }
  const target = stripType(t.target);
  if (target.kind === "void") {
    throw new ValueError(
      `cannot dereference '${what}': it is a void pointer (${typeText(v.type)})`,
    );
  }
  if (target.kind === "function") {
    throw new ValueError(`cannot dereference '${what}': it points to a function`);
  }
  if (v.kind === "unavailable") return { ...v, type: t.target };
  return { kind: "memory", type: t.target, addr: followed(toScalar(v, what).expr) };
}

/** A pointer about to be followed: NULL gives `NullDeref` even when an offset is added next. */
function followed(ptr: IrExpr): IrExpr {
  return ptr.kind === "nonNull" ? ptr : { kind: "nonNull", operand: ptr };
}

/** `&v`. */
export function addressOf(v: DValue, what: string): DValue {
  const type = pointerTo(v.type);
  switch (v.kind) {
    case "memory":
      if (v.bits) throw new ValueError(`cannot take the address of bit-field '${what}'`);
      return { kind: "scalar", type, expr: v.addr };
    case "unavailable":
      return { ...v, type };
    case "scalar":
      throw new ValueError(
        `cannot take the address of '${what}': it is not in memory at this point (held in a ` +
          "register or computed)",
      );
  }
}

/** `v.name` (auto-dereferencing a pointer to a struct, like upstream) or `v->name`. */
export function member(v: DValue, name: string, arrow: boolean, what: string): DValue {
  const t = stripType(v.type);
  let base = v;
  if (arrow) {
    if (t.kind !== "pointer" && t.kind !== "array") {
      const hint = isAggregate(v.type) ? ` (use '${what}.${name}')` : "";
      throw new ValueError(
        `'->' needs a pointer, but '${what}' is ${typeText(v.type)}${hint}`,
      );
    }
    base = deref(v, what);
  } else if (t.kind === "pointer" && isAggregate(t.target)) {
    base = deref(v, what);
  }
  const m = memberOf(base.type, name);
  if (!m.ok) {
    switch (m.reason) {
      case "not-aggregate":
        throw new ValueError(
          `'${what}' is ${typeText(v.type)}, not a struct or union: it has no member '${name}'`,
        );
      case "incomplete":
        throw new ValueError(
          `'${what}' has an incomplete type (${m.typeName} is only declared here): its members ` +
            "are unknown",
        );
      case "no-member": {
        const s = stripType(base.type);
        const all = s.kind === "struct" || s.kind === "union" ? memberNames(s.members) : [];
        let close = m.suggestions.length ? m.suggestions : closeNames(name, all);
        if (close.length === 0) {
          // edit distance with transpositions (`nmae` → `name`)
          const c = closest(name, all);
          if (c !== undefined) close = [c];
        }
        const list = close.length
          ? suggest(close)
          : all.length
          ? ` (members: ${all.slice(0, 8).join(", ")}${all.length > 8 ? ", ..." : ""})`
          : "";
        throw new ValueError(`${m.typeName} has no member named '${name}'${list}`);
      }
    }
  }
  const bf = m.member.bitfield;
  switch (base.kind) {
    case "unavailable":
      return { ...base, type: m.type };
    case "memory": {
      const addr = irAdd(base.addr, irConst(m.offset));
      if (bf) {
        return {
          kind: "memory",
          type: m.type,
          addr,
          bits: { size: bf.bitSize, shift: bf.bitOffset - 8 * m.member.offset },
        };
      }
      return { kind: "memory", type: m.type, addr };
    }
    case "scalar": {
      // a small struct held in a register: the member's bytes are bits of the value
      const size = typeSize(m.type) ?? 0;
      const signed = isSignedScalar(m.type);
      if (bf) {
        const shift = 8 * m.offset + bf.bitOffset - 8 * m.member.offset;
        return {
          kind: "scalar",
          type: m.type,
          expr: bitExtract(base.expr, shift, bf.bitSize, signed),
        };
      }
      const upper = base.high !== undefined && m.offset >= 8 && m.offset + size <= 16;
      if (m.offset + size > 8 && !upper) {
        throw new ValueError(`member '${name}' of '${what}' is not held in the register`);
      }
      const word = upper ? base.high! : base.expr;
      const offset = upper ? m.offset - 8 : m.offset;
      const shifted: IrExpr = offset === 0 ? word : {
        kind: "arith",
        op: "shr",
        signed: false,
        left: word,
        right: irConst(8 * offset),
      };
      return { kind: "scalar", type: m.type, expr: fitTo(shifted, size, signed) };
    }
  }
}

function isSignedScalar(t: DwarfType): boolean {
  const s = stripType(t);
  return (s.kind === "base" || s.kind === "enum") && s.signed;
}

/** An index operand: its IR value and, when constant, the value. */
export interface IndexOperand {
  expr: IrExpr;
  constant?: bigint;
}

/** `v[i]` for an array or a pointer. */
export function index(v: DValue, i: IndexOperand, what: string): DValue {
  const t = stripType(v.type);
  if (t.kind === "array") {
    const size = typeSize(t.element);
    if (size === undefined || size === 0) {
      throw new ValueError(`cannot index '${what}': its elements have no known size`);
    }
    if (t.count !== undefined && i.constant !== undefined) {
      const k = BigInt.asIntN(64, i.constant);
      if (k < 0n || k >= BigInt(t.count)) {
        throw new ValueError(
          `index ${k} is out of bounds: '${what}' is ${typeText(v.type)} (${
            plural(t.count, "element")
          }, 0..${t.count - 1})`,
        );
      }
    }
    switch (v.kind) {
      case "unavailable":
        return { ...v, type: t.element };
      case "scalar":
        throw new ValueError(`cannot index '${what}': the array is not in memory at this point`);
      case "memory": {
        let addr = irAdd(v.addr, irMul(i.expr, size));
        if (t.count !== undefined && i.constant === undefined) {
          // a run-time index is checked against the bound (AccessError when outside)
          addr = {
            kind: "check",
            cond: {
              kind: "compare",
              op: "lt",
              signed: false,
              left: i.expr,
              right: irConst(t.count),
            },
            status: ValueStatus.AccessError,
            value: addr,
          };
        }
        return { kind: "memory", type: t.element, addr };
      }
    }
  }
  if (t.kind === "pointer") {
    const target = stripType(t.target);
    const size = typeSize(t.target);
    if (target.kind === "void" || size === undefined || size === 0) {
      throw new ValueError(
        `cannot index '${what}': it points to ${typeText(t.target)}, which has no size`,
      );
    }
    if (v.kind === "unavailable") return { ...v, type: t.target };
    const ptr = followed(toScalar(v, what).expr);
    return { kind: "memory", type: t.target, addr: irAdd(ptr, irMul(i.expr, size)) };
  }
  throw new ValueError(
    `cannot index '${what}': it is ${typeText(v.type)}; only arrays and pointers can be indexed`,
  );
}

/** The size of what a pointer (or an array's element) designates, for arithmetic. */
function strideOf(v: DValue, what: string): { size: number; target: DwarfType } {
  const t = stripType(v.type);
  const target = t.kind === "pointer" ? t.target : t.kind === "array" ? t.element : undefined;
  if (!target) throw new ValueError(`'${what}' is not a pointer`);
  // `void *` arithmetic counts bytes (the GNU C extension upstream follows)
  if (stripType(target).kind === "void") return { size: 1, target };
  const size = typeSize(target);
  if (size === undefined || size === 0) {
    throw new ValueError(
      `pointer arithmetic on '${what}' needs the size of ${typeText(target)}, which is unknown`,
    );
  }
  return { size, target };
}

/** `v + n` (or `v - n` when `negate`) for a pointer or array `v`, scaled like C. */
export function pointerAdd(v: DValue, n: IrExpr, negate: boolean, what: string): DValue {
  const { size, target } = strideOf(v, what);
  const type = pointerTo(target);
  if (v.kind === "unavailable") return { ...v, type };
  const base = toScalar(v, what).expr;
  const offset = irMul(n, size);
  const expr: IrExpr = negate
    ? { kind: "arith", op: "sub", signed: false, left: base, right: offset }
    : irAdd(base, offset);
  return { kind: "scalar", type, expr };
}

/** `a - b` for two pointers to objects of the same size: the distance in elements. */
export function pointerDiff(a: DValue, b: DValue, whatA: string, whatB: string): IrExpr {
  const sa = strideOf(a, whatA);
  const sb = strideOf(b, whatB);
  if (sa.size !== sb.size) {
    throw new ValueError(
      `'${whatA}' and '${whatB}' point to objects of different sizes (${sa.size} and ${sb.size})`,
    );
  }
  const bytes: IrExpr = {
    kind: "arith",
    op: "sub",
    signed: true,
    left: toScalar(a, whatA).expr,
    right: toScalar(b, whatB).expr,
  };
  return sa.size === 1
    ? bytes
    : { kind: "arith", op: "div", signed: true, left: bytes, right: irConst(sa.size) };
}

/**
 * `cast(v, "T")`: `v` seen as a `T`. To a pointer: the integer (or address) value; to a struct,
 * union or array: the object at the address `v` holds (a pointer) or at `v`'s own address; to an
 * integer, enum or bool: C's conversion (truncation, sign extension, `!= 0` for bool).
 */
export function castTo(v: DValue, target: DwarfType, what: string): DValue {
  const t = stripType(target);
  if (v.kind === "unavailable") return { ...v, type: target };
  switch (t.kind) {
    case "pointer":
      return { kind: "scalar", type: target, expr: toScalar(v, what).expr };
    case "struct":
    case "union":
    case "array": {
      const src = stripType(v.type);
      if (src.kind === "pointer" || (src.kind === "base" && src.encoding !== "float")) {
        return { kind: "memory", type: target, addr: followed(toScalar(v, what).expr) };
      }
      if (v.kind === "memory" && !v.bits) return { kind: "memory", type: target, addr: v.addr };
      throw new ValueError(
        `cannot cast '${what}' (${typeText(v.type)}) to ${typeText(target)}: it is neither a ` +
          "pointer nor an object in memory",
      );
    }
    case "base":
    case "enum": {
      if (t.kind === "base" && t.encoding === "float") {
        throw new ValueError(
          `cannot cast '${what}' to ${typeText(target)}: floats are not supported`,
        );
      }
      const x = toScalar(v, what).expr;
      if (t.kind === "base" && t.encoding === "bool") {
        const expr: IrExpr = {
          kind: "compare",
          op: "ne",
          signed: false,
          left: x,
          right: irConst(0),
        };
        return { kind: "scalar", type: target, expr };
      }
      return { kind: "scalar", type: target, expr: fitTo(x, t.size, t.signed) };
    }
    default:
      throw new ValueError(`cannot cast '${what}' to ${typeText(target)}`);
  }
}

/** The synthesized C type of a script value of type `t` (for `cast` of a script value). */
export function scriptValueType(t: ScriptType): DwarfType {
  switch (t) {
    case "bool":
      return { kind: "base", name: "bool", size: 1, encoding: "bool", signed: false, dieOffset: 0 };
    case "u64":
      return {
        kind: "base",
        name: "unsigned long",
        size: 8,
        encoding: "unsigned",
        signed: false,
        dieOffset: 0,
      };
    case "ptr":
      return pointerTo({ kind: "void", dieOffset: 0 });
    case "i64":
      return {
        kind: "base",
        name: "long",
        size: 8,
        encoding: "signed",
        signed: true,
        dieOffset: 0,
      };
  }
}
