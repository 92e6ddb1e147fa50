/**
 * Evaluates the DWARF expressions call frame information uses (`DW_CFA_def_cfa_expression`,
 * `DW_CFA_expression`, `DW_CFA_val_expression`) over a frame's registers and the copied stack:
 * PLT stubs' CFA (`rsp + 8 + ((rip & 15) >= 11) * 8`), glibc's signal frames, realigned stacks.
 * Only the operations CFI uses are supported; anything else is an explained failure, never a
 * guess.
 * @module
 */
import * as C from "../dwarf/constants.ts";
import { Reader } from "../dwarf/reader.ts";
import type { RegisterSet } from "./registers.ts";

/** The result of {@link evalCfiExpression}. */
export type CfiExprResult = { ok: true; value: number } | { ok: false; reason: string };

const MASK = (1n << 64n) - 1n;
const signed = (v: bigint) => BigInt.asIntN(64, v);

/**
 * Runs `expr` with `initial` pushed first (the CFA for register rules, nothing for a CFA rule);
 * `read` gives the u64 at an address (undefined when it is not in the stack copy).
 */
export function evalCfiExpression(
  expr: Uint8Array,
  regs: RegisterSet,
  read: (addr: number) => number | undefined,
  initial?: number,
): CfiExprResult {
  const stack: bigint[] = initial === undefined ? [] : [BigInt(initial)];
  const r = new Reader(expr);
  const pop = (): bigint => {
    const v = stack.pop();
    if (v === undefined) throw new ExprFailure("expression stack underflow");
    return v;
  };
  const push = (v: bigint) => stack.push(v & MASK);
  const reg = (n: number): bigint => {
    const v = regs.get(n);
    if (v === undefined) throw new ExprFailure(`register ${n} unavailable`);
    return BigInt(v);
  };
  try {
    while (r.pos < expr.length) {
      const op = r.u8();
      if (op >= C.DW_OP_lit0 && op <= C.DW_OP_lit31) push(BigInt(op - C.DW_OP_lit0));
      else if (op >= C.DW_OP_breg0 && op <= C.DW_OP_breg31) {
        push(reg(op - C.DW_OP_breg0) + r.slebBig());
      } else {
        switch (op) {
          case C.DW_OP_bregx: {
            const n = r.uleb();
            push(reg(n) + r.slebBig());
            break;
          }
          case C.DW_OP_const1u:
            push(BigInt(r.u8()));
            break;
          case C.DW_OP_const1s:
            push(BigInt(r.i8()));
            break;
          case C.DW_OP_const2u:
            push(BigInt(r.u16()));
            break;
          case C.DW_OP_const2s:
            push(BigInt(r.i16()));
            break;
          case C.DW_OP_const4u:
            push(BigInt(r.u32()));
            break;
          case C.DW_OP_const4s:
            push(BigInt(r.i32()));
            break;
          case C.DW_OP_const8u:
            push(r.u64big());
            break;
          case C.DW_OP_const8s:
            push(r.i64big());
            break;
          case C.DW_OP_constu:
            push(r.ulebBig());
            break;
          case C.DW_OP_consts:
            push(r.slebBig());
            break;
          case C.DW_OP_dup:
            push(stack[stack.length - 1] ?? pop());
            break;
          case C.DW_OP_drop:
            pop();
            break;
          case C.DW_OP_over: {
            if (stack.length < 2) throw new ExprFailure("expression stack underflow");
            push(stack[stack.length - 2]);
            break;
          }
          case C.DW_OP_swap: {
            const a = pop();
            const b = pop();
            push(a);
            push(b);
            break;
          }
          case C.DW_OP_deref: {
            const addr = pop();
            const v = addr < 2n ** 53n ? read(Number(addr)) : undefined;
            if (v === undefined) {
              throw new ExprFailure(`stack copy ended (0x${addr.toString(16)})`);
            }
            push(BigInt(v));
            break;
          }
          case C.DW_OP_plus_uconst:
            push(pop() + r.ulebBig());
            break;
          case C.DW_OP_neg:
            push(-signed(pop()));
            break;
          case C.DW_OP_not:
            push(~pop());
            break;
          case C.DW_OP_nop:
            break;
          case C.DW_OP_skip: {
            const d = r.i16();
            r.pos += d;
            break;
          }
          case C.DW_OP_bra: {
            const d = r.i16();
            if (pop() !== 0n) r.pos += d;
            break;
          }
          default: {
            if (!binary(op, stack, pop, push)) {
              throw new ExprFailure(`unsupported CFI expression op 0x${op.toString(16)}`);
            }
          }
        }
      }
    }
  } catch (err) {
    if (err instanceof ExprFailure) return { ok: false, reason: err.message };
    if (err instanceof RangeError) return { ok: false, reason: "truncated CFI expression" };
    throw err;
  }
  const top = stack.pop();
  return top === undefined
    ? { ok: false, reason: "empty CFI expression" }
    : { ok: true, value: Number(top) };
}

/** Two-operand operations; false when `op` is not one. */
function binary(
  op: number,
  _stack: bigint[],
  pop: () => bigint,
  push: (v: bigint) => void,
): boolean {
  const ops: Record<number, (a: bigint, b: bigint) => bigint> = {
    [C.DW_OP_plus]: (a, b) => a + b,
    [C.DW_OP_minus]: (a, b) => a - b,
    [C.DW_OP_mul]: (a, b) => a * b,
    [C.DW_OP_and]: (a, b) => a & b,
    [C.DW_OP_or]: (a, b) => a | b,
    [C.DW_OP_xor]: (a, b) => a ^ b,
    [C.DW_OP_shl]: (a, b) => b >= 64n ? 0n : a << b,
    [C.DW_OP_shr]: (a, b) => b >= 64n ? 0n : a >> b,
    [C.DW_OP_shra]: (a, b) => signed(a) >> (b >= 64n ? 63n : b),
    [C.DW_OP_eq]: (a, b) => signed(a) === signed(b) ? 1n : 0n,
    [C.DW_OP_ne]: (a, b) => signed(a) !== signed(b) ? 1n : 0n,
    [C.DW_OP_ge]: (a, b) => signed(a) >= signed(b) ? 1n : 0n,
    [C.DW_OP_gt]: (a, b) => signed(a) > signed(b) ? 1n : 0n,
    [C.DW_OP_le]: (a, b) => signed(a) <= signed(b) ? 1n : 0n,
    [C.DW_OP_lt]: (a, b) => signed(a) < signed(b) ? 1n : 0n,
  };
  const f = ops[op];
  if (f === undefined) return false;
  const b = pop();
  const a = pop();
  push(f(a, b));
  return true;
}

class ExprFailure extends Error {}
