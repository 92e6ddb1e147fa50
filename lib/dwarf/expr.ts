/**
 * Symbolic evaluation of DWARF location expressions into a {@link LocationPlan}: a small typed
 * IR that a BPF code generator can lower to `pt_regs` loads, adds, ALU ops and probe reads.
 *
 * The evaluator never touches memory: it builds an expression tree (register values, link-time
 * addresses, constants, dereferences, arithmetic), folds constants, and linearizes the tree into
 * stack-machine {@link LocStep}s.
 * @module
 */

import * as C from "./constants.ts";
import { addrIndex, type FormUnit } from "./forms.ts";
import { Reader } from "./reader.ts";

/** x86_64 DWARF register number → name and byte offset in `struct pt_regs`. */
export const X86_64_REGS: readonly { name: string; ptRegsOffset: number }[] = [
  { name: "rax", ptRegsOffset: 80 },
  { name: "rdx", ptRegsOffset: 96 },
  { name: "rcx", ptRegsOffset: 88 },
  { name: "rbx", ptRegsOffset: 40 },
  { name: "rsi", ptRegsOffset: 104 },
  { name: "rdi", ptRegsOffset: 112 },
  { name: "rbp", ptRegsOffset: 32 },
  { name: "rsp", ptRegsOffset: 152 },
  { name: "r8", ptRegsOffset: 72 },
  { name: "r9", ptRegsOffset: 64 },
  { name: "r10", ptRegsOffset: 56 },
  { name: "r11", ptRegsOffset: 48 },
  { name: "r12", ptRegsOffset: 24 },
  { name: "r13", ptRegsOffset: 16 },
  { name: "r14", ptRegsOffset: 8 },
  { name: "r15", ptRegsOffset: 0 },
  { name: "rip", ptRegsOffset: 128 },
];

/** Name of DWARF register `n` on x86_64 (`xmm0`... for 17-32, `r<n>` otherwise). */
export function regName(n: number): string {
  if (n < X86_64_REGS.length) return X86_64_REGS[n].name;
  if (n >= 17 && n <= 32) return `xmm${n - 17}`;
  if (n >= 33 && n <= 40) return `st${n - 33}`;
  return `reg${n}`;
}

/** Byte offset of DWARF register `n` in x86_64 `struct pt_regs`, or -1 if not there. */
export function ptRegsOffset(n: number): number {
  return n < X86_64_REGS.length ? X86_64_REGS[n].ptRegsOffset : -1;
}

/** Binary operators of {@link LocStep} `alu` (pop b, pop a, push a OP b; comparisons give 0/1). */
export type AluOp =
  | "plus"
  | "minus"
  | "mul"
  | "div"
  | "mod"
  | "and"
  | "or"
  | "xor"
  | "shl"
  | "shr"
  | "shra"
  | "eq"
  | "ne"
  | "lt"
  | "le"
  | "gt"
  | "ge";

/**
 * One step of a location program over a stack of 64-bit values.
 * - `reg`: push the register's value (8 bytes at `ptRegsOffset` in pt_regs).
 * - `addr`: push a link-time address; add the module's load bias at runtime.
 * - `const`: push a constant (two's complement).
 * - `add`: add a signed immediate to the top.
 * - `deref`: replace the top with the zero-extended `size`-byte value it points to.
 * - `alu`: pop b, pop a, push `a op b` (signed for div/mod/shra/lt/le/gt/ge).
 * - `neg` / `not` / `abs`: unary ops on the top.
 */
export type LocStep =
  | { op: "reg"; reg: number; name: string; ptRegsOffset: number }
  | { op: "addr"; address: number }
  | { op: "const"; value: bigint }
  | { op: "add"; value: number }
  | { op: "deref"; size: number }
  | { op: "alu"; kind: AluOp }
  | { op: "neg" }
  | { op: "not" }
  | { op: "abs" }
  /** The address of a thread-local variable: the popped offset in the module's TLS block. */
  | { op: "tls" };

/** One piece of a value held in registers: `size` low bytes of `reg`, or missing (optimized out). */
export interface RegPiece {
  size: number;
  reg?: number;
  name?: string;
  ptRegsOffset?: number;
}

/**
 * Where a variable lives at one pc, as a plan a code generator can follow.
 * - `regs`: the value is in register(s); one piece per register, low bytes first.
 * - `memory`: `steps` compute the object's address; read the type's size from there.
 *   `rebase` is true when the address includes a link-time address (`addr` step).
 * - `value`: `steps` compute the value itself (DW_OP_stack_value, constants, implicit values).
 * - `optimized-out`: no location at this pc (gdb prints `<optimized out>`).
 * - `unsupported`: a location exists but needs something the plan cannot express.
 * `text` is a short human description ("rdi", "CFA-20 (CFA=rbp+16)", "addr 0x4010").
 */
export type LocationPlan =
  | { kind: "regs"; pieces: RegPiece[]; text: string }
  | { kind: "memory"; steps: LocStep[]; rebase: boolean; text: string }
  | { kind: "value"; steps: LocStep[]; rebase: boolean; text: string }
  | { kind: "optimized-out"; text: string }
  | { kind: "unsupported"; reason: string; text: string };

// ---------------------------------------------------------------------------------------------
// Expression trees

/** Symbolic value of the DWARF stack machine. */
export type Node =
  | { t: "reg"; reg: number }
  | { t: "addr"; a: number }
  | { t: "const"; v: bigint }
  | { t: "deref"; size: number; x: Node }
  | { t: "bin"; op: AluOp; a: Node; b: Node }
  | { t: "un"; op: "neg" | "not" | "abs" | "tls"; x: Node };

const MASK64 = (1n << 64n) - 1n;

function wrap(v: bigint): bigint {
  return BigInt.asIntN(64, v);
}

function konst(v: bigint): Node {
  return { t: "const", v: wrap(v) };
}

/** a + b with constant folding (reg+c+d → reg+(c+d)). */
export function plus(a: Node, b: Node): Node {
  if (a.t === "const" && b.t === "const") return konst(a.v + b.v);
  if (a.t === "const") [a, b] = [b, a];
  if (b.t === "const") {
    if (b.v === 0n) return a;
    if (a.t === "bin" && a.op === "plus" && a.b.t === "const") return plus(a.a, konst(a.b.v + b.v));
    if (a.t === "addr") {
      const s = a.a + Number(b.v);
      if (Number.isSafeInteger(s) && s >= 0) return { t: "addr", a: s };
    }
  }
  return { t: "bin", op: "plus", a, b };
}

function binop(op: AluOp, a: Node, b: Node): Node {
  if (op === "plus") return plus(a, b);
  if (op === "minus" && b.t === "const") return plus(a, konst(-b.v));
  if (a.t === "const" && b.t === "const") {
    const x = a.v;
    const y = b.v;
    const ux = x & MASK64;
    const uy = y & MASK64;
    switch (op) {
      case "minus":
        return konst(x - y);
      case "mul":
        return konst(x * y);
      case "div":
        if (y !== 0n) return konst(x / y);
        break;
      case "mod":
        if (y !== 0n) return konst(ux % uy);
        break;
      case "and":
        return konst(x & y);
      case "or":
        return konst(x | y);
      case "xor":
        return konst(x ^ y);
      case "shl":
        return konst(ux << (uy & 63n));
      case "shr":
        return konst(ux >> (uy & 63n));
      case "shra":
        return konst(x >> (uy & 63n));
      case "eq":
        return konst(x === y ? 1n : 0n);
      case "ne":
        return konst(x !== y ? 1n : 0n);
      case "lt":
        return konst(x < y ? 1n : 0n);
      case "le":
        return konst(x <= y ? 1n : 0n);
      case "gt":
        return konst(x > y ? 1n : 0n);
      case "ge":
        return konst(x >= y ? 1n : 0n);
    }
  }
  return { t: "bin", op, a, b };
}

/** Lowers a tree into stack steps (post-order). */
export function linearize(n: Node, out: LocStep[] = []): LocStep[] {
  switch (n.t) {
    case "reg":
      out.push({ op: "reg", reg: n.reg, name: regName(n.reg), ptRegsOffset: ptRegsOffset(n.reg) });
      break;
    case "addr":
      out.push({ op: "addr", address: n.a });
      break;
    case "const":
      out.push({ op: "const", value: n.v });
      break;
    case "deref":
      linearize(n.x, out);
      out.push({ op: "deref", size: n.size });
      break;
    case "un":
      linearize(n.x, out);
      out.push({ op: n.op });
      break;
    case "bin":
      if (n.op === "plus" && n.b.t === "const" && n.b.v >= -(1n << 31n) && n.b.v < (1n << 31n)) {
        linearize(n.a, out);
        out.push({ op: "add", value: Number(n.b.v) });
      } else {
        linearize(n.a, out);
        linearize(n.b, out);
        out.push({ op: "alu", kind: n.op });
      }
      break;
  }
  return out;
}

/** Short human rendering of a tree: `rbp-20`, `*(rdi+8)`, `0x4010`. */
export function nodeText(n: Node): string {
  switch (n.t) {
    case "reg":
      return regName(n.reg);
    case "addr":
      return `0x${n.a.toString(16)}`;
    case "const":
      return n.v.toString();
    case "deref":
      return `*(${nodeText(n.x)})${n.size === 8 ? "" : `:${n.size}`}`;
    case "un":
      return `${n.op}(${nodeText(n.x)})`;
    case "bin": {
      if (n.op === "plus" && n.b.t === "const") {
        const v = n.b.v;
        return `${nodeText(n.a)}${v < 0n ? "-" : "+"}${v < 0n ? -v : v}`;
      }
      const sym: Record<AluOp, string> = {
        plus: "+",
        minus: "-",
        mul: "*",
        div: "/",
        mod: "%",
        and: "&",
        or: "|",
        xor: "^",
        shl: "<<",
        shr: ">>",
        shra: ">>>",
        eq: "==",
        ne: "!=",
        lt: "<",
        le: "<=",
        gt: ">",
        ge: ">=",
      };
      return `(${nodeText(n.a)} ${sym[n.op]} ${nodeText(n.b)})`;
    }
  }
}

function hasAddr(n: Node): boolean {
  switch (n.t) {
    case "addr":
      return true;
    case "deref":
    case "un":
      return hasAddr(n.x);
    case "bin":
      return hasAddr(n.a) || hasAddr(n.b);
    default:
      return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Evaluation

/** Symbolic frame base / CFA: a tree, or a reason it is unavailable. */
export type Symbolic = { node: Node; text: string } | { error: string };

/** What the evaluator needs from its surroundings. All callbacks are lazy. */
export interface ExprContext {
  unit: FormUnit;
  /** The pc the location is wanted for. */
  pc: number;
  /** Entry pc of the (out-of-line) function containing pc, for DW_OP_entry_value. */
  functionEntry?: number;
  /** Value of DW_AT_frame_base at pc (for DW_OP_fbreg). */
  frameBase?: () => Symbolic;
  /** The canonical frame address at pc (for DW_OP_call_frame_cfa). */
  cfa?: () => Symbolic;
}

/** Result of evaluating one expression (or one piece of it). */
type EvalResult =
  | { k: "memory"; node: Node }
  | { k: "reg"; reg: number }
  | { k: "value"; node: Node }
  | { k: "empty" }
  | { k: "optimized"; why: string }
  | { k: "error"; why: string };

class Unsupported {
  constructor(readonly why: string, readonly optimizedOut = false) {}
}

function regLocationText(reg: number): string {
  return regName(reg);
}

/** Evaluates a location description (DW_AT_location, a loclist entry's expression). */
export function evaluateLocation(expr: Uint8Array, ctx: ExprContext): LocationPlan {
  if (expr.length === 0) return { kind: "optimized-out", text: "<optimized out>" };
  const pieces: { size: number; res: EvalResult }[] = [];
  const r = new Reader(expr);
  let start = 0;
  let sawPiece = false;
  // Split into pieces at DW_OP_piece / DW_OP_bit_piece boundaries.
  while (r.pos < expr.length) {
    const opPos = r.pos;
    const op = expr[r.pos++];
    if (op === C.DW_OP_piece || op === C.DW_OP_bit_piece) {
      let size: number;
      if (op === C.DW_OP_piece) size = r.uleb();
      else {
        const bits = r.uleb();
        const off = r.uleb();
        if (bits % 8 !== 0 || off !== 0) {
          return unsupported(`bit piece of ${bits} bits at bit ${off}`);
        }
        size = bits / 8;
      }
      sawPiece = true;
      pieces.push({ size, res: evalSimple(expr.subarray(start, opPos), ctx) });
      start = r.pos;
    } else {
      skipOperands(r, op, ctx.unit);
    }
  }
  if (!sawPiece) return finish(evalSimple(expr, ctx));
  if (start < expr.length) {
    return unsupported("trailing operations after the last DW_OP_piece");
  }
  const out: RegPiece[] = [];
  const texts: string[] = [];
  let anyPresent = false;
  for (const p of pieces) {
    const res = p.res;
    if (res.k === "reg") {
      if (p.size > 8) return unsupported(`piece of ${p.size} bytes in ${regName(res.reg)}`);
      const off = ptRegsOffset(res.reg);
      if (off < 0) return unsupported(`register ${regName(res.reg)} is not in pt_regs`);
      out.push({ size: p.size, reg: res.reg, name: regName(res.reg), ptRegsOffset: off });
      texts.push(`${regName(res.reg)}:${p.size}`);
      anyPresent = true;
    } else if (res.k === "empty" || res.k === "optimized") {
      out.push({ size: p.size });
      texts.push(`<optimized out>:${p.size}`);
    } else if (res.k === "error") {
      return unsupported(res.why);
    } else {
      return unsupported("value split into pieces that are not all registers");
    }
  }
  if (!anyPresent) return { kind: "optimized-out", text: "<optimized out>" };
  return { kind: "regs", pieces: out, text: texts.join(" ") };
}

function unsupported(reason: string): LocationPlan {
  return { kind: "unsupported", reason, text: `<unsupported: ${reason}>` };
}

function finish(res: EvalResult): LocationPlan {
  switch (res.k) {
    case "empty":
      return { kind: "optimized-out", text: "<optimized out>" };
    case "optimized":
      return { kind: "optimized-out", text: `<optimized out> (${res.why})` };
    case "error":
      return unsupported(res.why);
    case "reg": {
      const off = ptRegsOffset(res.reg);
      if (off < 0) return unsupported(`register ${regName(res.reg)} is not in pt_regs`);
      return {
        kind: "regs",
        pieces: [{ size: 8, reg: res.reg, name: regName(res.reg), ptRegsOffset: off }],
        text: regLocationText(res.reg),
      };
    }
    case "memory":
    case "value": {
      const bad = badRegister(res.node);
      if (bad >= 0) return unsupported(`register ${regName(bad)} is not in pt_regs`);
      const kind = res.k;
      return {
        kind,
        steps: linearize(res.node),
        rebase: hasAddr(res.node),
        text: kind === "memory" ? `[${nodeText(res.node)}]` : `value ${nodeText(res.node)}`,
      };
    }
  }
}

function badRegister(n: Node): number {
  switch (n.t) {
    case "reg":
      return ptRegsOffset(n.reg) < 0 ? n.reg : -1;
    case "deref":
    case "un":
      return badRegister(n.x);
    case "bin": {
      const a = badRegister(n.a);
      return a >= 0 ? a : badRegister(n.b);
    }
    default:
      return -1;
  }
}

/**
 * Evaluates an expression that computes a value or address (frame base, CFA expressions,
 * DW_AT_data_member_location): the result is the top of the stack, or a register's value.
 */
export function evaluateValue(expr: Uint8Array, ctx: ExprContext, initial?: Node): Symbolic {
  const res = evalSimple(expr, ctx, initial);
  switch (res.k) {
    case "memory":
    case "value":
      return { node: res.node, text: nodeText(res.node) };
    case "reg":
      return { node: { t: "reg", reg: res.reg }, text: regName(res.reg) };
    case "empty":
      return { error: "empty expression" };
    case "optimized":
    case "error":
      return { error: res.why };
  }
}

function evalSimple(expr: Uint8Array, ctx: ExprContext, initial?: Node): EvalResult {
  try {
    return run(expr, ctx, initial);
  } catch (e) {
    if (e instanceof Unsupported) {
      return e.optimizedOut ? { k: "optimized", why: e.why } : { k: "error", why: e.why };
    }
    if (e instanceof RangeError) return { k: "error", why: "truncated location expression" };
    throw e;
  }
}

function run(expr: Uint8Array, ctx: ExprContext, initial?: Node): EvalResult {
  if (expr.length === 0) return { k: "empty" };
  const stack: Node[] = initial ? [initial] : [];
  const r = new Reader(expr);
  const u = ctx.unit;
  const pop = (): Node => {
    const v = stack.pop();
    if (!v) throw new Unsupported("location expression pops an empty stack");
    return v;
  };
  while (r.pos < expr.length) {
    const op = expr[r.pos++];
    if (op >= C.DW_OP_lit0 && op <= C.DW_OP_lit31) {
      stack.push(konst(BigInt(op - C.DW_OP_lit0)));
      continue;
    }
    if (op >= C.DW_OP_reg0 && op <= C.DW_OP_reg31) {
      return registerLocation(op - C.DW_OP_reg0, r, expr);
    }
    if (op >= C.DW_OP_breg0 && op <= C.DW_OP_breg31) {
      stack.push(plus({ t: "reg", reg: op - C.DW_OP_breg0 }, konst(r.slebBig())));
      continue;
    }
    switch (op) {
      case C.DW_OP_addr:
        stack.push({ t: "addr", a: r.addr(u.addrSize) });
        break;
      case C.DW_OP_addrx:
      case C.DW_OP_GNU_addr_index:
        stack.push({ t: "addr", a: addrIndex(u, r.uleb()) });
        break;
      case C.DW_OP_constx:
      case C.DW_OP_GNU_const_index:
        stack.push(konst(BigInt(addrIndex(u, r.uleb()))));
        break;
      case C.DW_OP_deref:
        stack.push({ t: "deref", size: u.addrSize, x: pop() });
        break;
      case C.DW_OP_deref_size: {
        const size = r.u8();
        if (size !== 1 && size !== 2 && size !== 4 && size !== 8) {
          throw new Unsupported(`DW_OP_deref_size ${size}`);
        }
        stack.push({ t: "deref", size, x: pop() });
        break;
      }
      case C.DW_OP_const1u:
        stack.push(konst(BigInt(r.u8())));
        break;
      case C.DW_OP_const1s:
        stack.push(konst(BigInt(r.i8())));
        break;
      case C.DW_OP_const2u:
        stack.push(konst(BigInt(r.u16())));
        break;
      case C.DW_OP_const2s:
        stack.push(konst(BigInt(r.i16())));
        break;
      case C.DW_OP_const4u:
        stack.push(konst(BigInt(r.u32())));
        break;
      case C.DW_OP_const4s:
        stack.push(konst(BigInt(r.i32())));
        break;
      case C.DW_OP_const8u:
        stack.push(konst(r.u64big()));
        break;
      case C.DW_OP_const8s:
        stack.push(konst(r.i64big()));
        break;
      case C.DW_OP_constu:
        stack.push(konst(r.ulebBig()));
        break;
      case C.DW_OP_consts:
        stack.push(konst(r.slebBig()));
        break;
      case C.DW_OP_dup: {
        const v = pop();
        stack.push(v, v);
        break;
      }
      case C.DW_OP_drop:
        pop();
        break;
      case C.DW_OP_over: {
        if (stack.length < 2) throw new Unsupported("DW_OP_over on a short stack");
        stack.push(stack[stack.length - 2]);
        break;
      }
      case C.DW_OP_pick: {
        const i = r.u8();
        if (i >= stack.length) throw new Unsupported("DW_OP_pick past the stack");
        stack.push(stack[stack.length - 1 - i]);
        break;
      }
      case C.DW_OP_swap: {
        const a = pop();
        const b = pop();
        stack.push(a, b);
        break;
      }
      case C.DW_OP_rot: {
        const a = pop();
        const b = pop();
        const c = pop();
        stack.push(a, c, b);
        break;
      }
      case C.DW_OP_abs:
      case C.DW_OP_neg:
      case C.DW_OP_not: {
        const x = pop();
        const kind = op === C.DW_OP_abs ? "abs" : op === C.DW_OP_neg ? "neg" : "not";
        if (x.t === "const") {
          const v = x.v;
          stack.push(konst(kind === "abs" ? (v < 0n ? -v : v) : kind === "neg" ? -v : ~v));
        } else stack.push({ t: "un", op: kind, x });
        break;
      }
      case C.DW_OP_plus_uconst:
        stack.push(plus(pop(), konst(r.ulebBig())));
        break;
      case C.DW_OP_and:
      case C.DW_OP_div:
      case C.DW_OP_minus:
      case C.DW_OP_mod:
      case C.DW_OP_mul:
      case C.DW_OP_or:
      case C.DW_OP_plus:
      case C.DW_OP_shl:
      case C.DW_OP_shr:
      case C.DW_OP_shra:
      case C.DW_OP_xor:
      case C.DW_OP_eq:
      case C.DW_OP_ge:
      case C.DW_OP_gt:
      case C.DW_OP_le:
      case C.DW_OP_lt:
      case C.DW_OP_ne: {
        const b = pop();
        const a = pop();
        stack.push(binop(BINOPS[op], a, b));
        break;
      }
      case C.DW_OP_skip:
      case C.DW_OP_bra:
        throw new Unsupported("control flow (DW_OP_skip/bra) in a location expression");
      case C.DW_OP_regx:
        return registerLocation(r.uleb(), r, expr);
      case C.DW_OP_bregx: {
        const reg = r.uleb();
        stack.push(plus({ t: "reg", reg }, konst(r.slebBig())));
        break;
      }
      case C.DW_OP_fbreg: {
        const off = r.slebBig();
        if (!ctx.frameBase) throw new Unsupported("DW_OP_fbreg outside a function");
        const fb = ctx.frameBase();
        if ("error" in fb) throw new Unsupported(`frame base: ${fb.error}`);
        stack.push(plus(fb.node, konst(off)));
        break;
      }
      case C.DW_OP_call_frame_cfa: {
        if (!ctx.cfa) throw new Unsupported("DW_OP_call_frame_cfa without call frame information");
        const cfa = ctx.cfa();
        if ("error" in cfa) throw new Unsupported(`CFA: ${cfa.error}`);
        stack.push(cfa.node);
        break;
      }
      case C.DW_OP_nop:
        break;
      case C.DW_OP_stack_value: {
        const v = pop();
        if (r.pos !== expr.length) throw new Unsupported("operations after DW_OP_stack_value");
        return { k: "value", node: v };
      }
      case C.DW_OP_implicit_value: {
        const len = r.uleb();
        const bytes = r.bytesView(len);
        if (len > 8) throw new Unsupported(`implicit value of ${len} bytes`);
        let v = 0n;
        for (let i = len - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[i]);
        return { k: "value", node: konst(v) };
      }
      case C.DW_OP_entry_value:
      case C.DW_OP_GNU_entry_value: {
        const len = r.uleb();
        const sub = r.bytesView(len);
        stack.push(entryValue(sub, ctx));
        break;
      }
      case C.DW_OP_implicit_pointer:
      case C.DW_OP_GNU_implicit_pointer:
        throw new Unsupported("implicit pointer: the pointed-to object was optimized away", true);
      case C.DW_OP_form_tls_address:
      case C.DW_OP_GNU_push_tls_address:
        stack.push({ t: "un", op: "tls", x: pop() });
        break;
      case C.DW_OP_GNU_parameter_ref:
        throw new Unsupported("parameter passed by the caller (DW_OP_GNU_parameter_ref)", true);
      case C.DW_OP_GNU_variable_value:
        throw new Unsupported("DW_OP_GNU_variable_value");
      case C.DW_OP_regval_type:
      case C.DW_OP_GNU_regval_type: {
        const reg = r.uleb();
        r.uleb();
        stack.push({ t: "reg", reg });
        break;
      }
      case C.DW_OP_convert:
      case C.DW_OP_GNU_convert:
      case C.DW_OP_reinterpret:
      case C.DW_OP_GNU_reinterpret: {
        const typeOff = r.uleb();
        if (typeOff !== 0) throw new Unsupported("typed DWARF stack conversion");
        break;
      }
      case C.DW_OP_const_type:
      case C.DW_OP_GNU_const_type:
      case C.DW_OP_deref_type:
      case C.DW_OP_GNU_deref_type:
        throw new Unsupported("typed DWARF stack operation");
      case C.DW_OP_piece:
      case C.DW_OP_bit_piece:
        throw new Unsupported("nested piece");
      default:
        throw new Unsupported(`unsupported DWARF operation 0x${op.toString(16)}`);
    }
  }
  const top = stack.pop();
  if (!top) return { k: "empty" };
  return { k: "memory", node: top };
}

function registerLocation(reg: number, r: Reader, expr: Uint8Array): EvalResult {
  // A register location must be the whole (piece of the) description; allow trailing nops.
  while (r.pos < expr.length && expr[r.pos] === C.DW_OP_nop) r.pos++;
  if (r.pos !== expr.length) throw new Unsupported("operations after a register location");
  return { k: "reg", reg };
}

function entryValue(sub: Uint8Array, ctx: ExprContext): Node {
  if (ctx.functionEntry === undefined || ctx.pc !== ctx.functionEntry) {
    throw new Unsupported(
      "value at function entry (DW_OP_entry_value) is not available here",
      true,
    );
  }
  // At the function's first instruction every register still holds its entry value.
  const res = run(sub, { ...ctx, functionEntry: undefined });
  switch (res.k) {
    case "reg":
      return { t: "reg", reg: res.reg };
    case "memory":
    case "value":
      return res.node;
  }
  throw new Unsupported("DW_OP_entry_value with an unusable sub-expression", true);
}

const BINOPS: Record<number, AluOp> = {
  [C.DW_OP_and]: "and",
  [C.DW_OP_div]: "div",
  [C.DW_OP_minus]: "minus",
  [C.DW_OP_mod]: "mod",
  [C.DW_OP_mul]: "mul",
  [C.DW_OP_or]: "or",
  [C.DW_OP_plus]: "plus",
  [C.DW_OP_shl]: "shl",
  [C.DW_OP_shr]: "shr",
  [C.DW_OP_shra]: "shra",
  [C.DW_OP_xor]: "xor",
  [C.DW_OP_eq]: "eq",
  [C.DW_OP_ge]: "ge",
  [C.DW_OP_gt]: "gt",
  [C.DW_OP_le]: "le",
  [C.DW_OP_lt]: "lt",
  [C.DW_OP_ne]: "ne",
};

/** Moves `r` past the operands of `op` (used to find piece boundaries). */
export function skipOperands(r: Reader, op: number, u: FormUnit): void {
  if (op >= C.DW_OP_lit0 && op <= C.DW_OP_reg31) return;
  if (op >= C.DW_OP_breg0 && op <= C.DW_OP_breg31) {
    r.skipLeb();
    return;
  }
  switch (op) {
    case C.DW_OP_addr:
      r.skip(u.addrSize);
      return;
    case C.DW_OP_const1u:
    case C.DW_OP_const1s:
    case C.DW_OP_pick:
    case C.DW_OP_deref_size:
    case C.DW_OP_xderef_size:
      r.skip(1);
      return;
    case C.DW_OP_const2u:
    case C.DW_OP_const2s:
    case C.DW_OP_skip:
    case C.DW_OP_bra:
    case C.DW_OP_call2:
      r.skip(2);
      return;
    case C.DW_OP_const4u:
    case C.DW_OP_const4s:
    case C.DW_OP_call4:
      r.skip(4);
      return;
    case C.DW_OP_const8u:
    case C.DW_OP_const8s:
      r.skip(8);
      return;
    case C.DW_OP_call_ref:
      r.skip(u.offsetSize);
      return;
    case C.DW_OP_constu:
    case C.DW_OP_consts:
    case C.DW_OP_plus_uconst:
    case C.DW_OP_regx:
    case C.DW_OP_fbreg:
    case C.DW_OP_piece:
    case C.DW_OP_addrx:
    case C.DW_OP_constx:
    case C.DW_OP_GNU_addr_index:
    case C.DW_OP_GNU_const_index:
    case C.DW_OP_convert:
    case C.DW_OP_GNU_convert:
    case C.DW_OP_reinterpret:
    case C.DW_OP_GNU_reinterpret:
      r.skipLeb();
      return;
    case C.DW_OP_bregx:
    case C.DW_OP_bit_piece:
    case C.DW_OP_regval_type:
    case C.DW_OP_GNU_regval_type:
      r.skipLeb();
      r.skipLeb();
      return;
    case C.DW_OP_deref_type:
    case C.DW_OP_GNU_deref_type:
      r.skip(1);
      r.skipLeb();
      return;
    case C.DW_OP_implicit_value:
    case C.DW_OP_entry_value:
    case C.DW_OP_GNU_entry_value:
      r.skip(r.uleb());
      return;
    case C.DW_OP_implicit_pointer:
    case C.DW_OP_GNU_implicit_pointer:
      r.skip(u.version <= 2 ? u.addrSize : u.offsetSize);
      r.skipLeb();
      return;
    case C.DW_OP_const_type:
    case C.DW_OP_GNU_const_type: {
      r.skipLeb();
      const n = r.u8();
      r.skip(n);
      return;
    }
    case C.DW_OP_GNU_parameter_ref:
      r.skip(4);
      return;
    case C.DW_OP_GNU_variable_value:
      r.skip(u.offsetSize);
      return;
  }
}
