/**
 * DWARF location plans (lib/dwarf `LocationPlan`, already specialized to the probe pc: location
 * lists selected, frame base and CFA folded into register + offset) lowered to IR:
 *
 * - a register → a `ctx` load from `struct pt_regs`, cut to the variable's size;
 * - `breg` / `fbreg` / `call_frame_cfa` arithmetic → `ctx` + constants;
 * - `DW_OP_addr` (globals, statics) → the link-time address plus the module's load bias
 *   (`moduleBias` for the probed module, computed in the kernel from the probe's ip);
 * - `deref` → a checked user-memory read;
 * - no location at this pc → a value with status `OptimizedOut`.
 * @module
 */

import type { IrExpr } from "../../../bpf/ir.ts";
import { ValueStatus } from "../../../bpf/wire.ts";
import {
  type DwarfType,
  isSigned,
  type LocationPlan,
  type LocStep,
  stripType,
  typeSize,
} from "../../dwarf/index.ts";
import { type DValue, fitTo, irAdd, irConst, ValueError } from "./values.ts";

/** How addresses of a module are rebased: an IR value of the bias, or why it is unknown. */
export type Bias =
  | { kind: "ir"; expr: IrExpr }
  | { kind: "unavailable"; why: string };

/** The bias of the probed module: `regs->ip - probe link address`, computed in the kernel. */
export const PROBE_MODULE_BIAS: Bias = { kind: "ir", expr: { kind: "moduleBias" } };

/** A bias known at compile time (-p: the process is fixed). */
export function constantBias(bias: bigint): Bias {
  return { kind: "ir", expr: irConst(bias) };
}

function valueSignedness(t: DwarfType): boolean {
  const s = stripType(t);
  return (s.kind === "base" || s.kind === "enum") && isSigned(s);
}

/**
 * Where a module's thread-local variables are: its static TLS block `blockOffset` bytes below
 * the thread pointer (the executable's, x86_64 variant II), the pointer read from `task_struct`
 * at `fsbaseOffset`; or why they cannot be read.
 */
export type TlsBlock =
  | { ok: true; blockOffset: number; fsbaseOffset: number }
  | { ok: false; why: string };

/** Lowers stack-machine steps to one IR expression. Throws {@link ValueError} if impossible. */
export function stepsToIr(steps: readonly LocStep[], bias: Bias, tls?: TlsBlock): IrExpr {
  const stack: IrExpr[] = [];
  const pop = (): IrExpr => {
    const x = stack.pop();
    if (!x) throw new ValueError("malformed location expression (empty stack)");
    return x;
  };
  for (const s of steps) {
    switch (s.op) {
      case "reg":
        if (s.ptRegsOffset < 0) {
          throw new ValueError(`register ${s.name} is not available to uprobes (not in pt_regs)`);
        }
        stack.push({ kind: "ctx", offset: s.ptRegsOffset });
        break;
      case "addr":
        if (bias.kind === "unavailable") {
          stack.push({ kind: "unavailable", status: ValueStatus.OffsetsUnavailable });
        } else {
          stack.push(irAdd(irConst(s.address), bias.expr));
        }
        break;
      case "const":
        stack.push(irConst(s.value));
        break;
      case "add":
        stack.push(irAdd(pop(), irConst(s.value)));
        break;
      case "deref": {
        const size = s.size;
        if (size !== 1 && size !== 2 && size !== 4 && size !== 8) {
          throw new ValueError(`location reads ${size} bytes`);
        }
        stack.push({ kind: "read", addr: pop(), size, signed: false });
        break;
      }
      case "neg":
        stack.push({ kind: "unary", op: "neg", operand: pop() });
        break;
      case "not":
        stack.push({
          kind: "arith",
          op: "xor",
          signed: false,
          left: pop(),
          right: irConst(-1n),
        });
        break;
      case "abs":
        throw new ValueError("DW_OP_abs in a location is not supported");
      case "tls": {
        const off = pop();
        if (!tls) {
          throw new ValueError(
            "it is thread-local, and only the executable's own (static) TLS can be read",
          );
        }
        if (!tls.ok) throw new ValueError(`it is thread-local: ${tls.why}`);
        // tp - blockOffset + offset
        const tp: IrExpr = { kind: "threadPointer", fsbaseOffset: tls.fsbaseOffset };
        stack.push(
          irAdd({
            kind: "arith",
            op: "sub",
            signed: false,
            left: tp,
            right: irConst(tls.blockOffset),
          }, off),
        );
        break;
      }
      case "alu": {
        const b = pop();
        const a = pop();
        switch (s.kind) {
          case "plus":
            stack.push(irAdd(a, b));
            break;
          case "minus":
            stack.push({ kind: "arith", op: "sub", signed: false, left: a, right: b });
            break;
          case "mul":
          case "and":
          case "or":
          case "xor":
          case "shl":
            stack.push({ kind: "arith", op: s.kind, signed: false, left: a, right: b });
            break;
          case "div":
            stack.push({ kind: "arith", op: "div", signed: true, left: a, right: b });
            break;
          case "mod":
            stack.push({ kind: "arith", op: "mod", signed: false, left: a, right: b });
            break;
          case "shr":
            stack.push({ kind: "arith", op: "shr", signed: false, left: a, right: b });
            break;
          case "shra":
            stack.push({ kind: "arith", op: "shr", signed: true, left: a, right: b });
            break;
          default:
            stack.push({ kind: "compare", op: s.kind, signed: true, left: a, right: b });
        }
        break;
      }
    }
  }
  const top = stack.pop();
  if (!top) throw new ValueError("empty location expression");
  return top;
}

/**
 * The value of a variable of type `type` whose location at the probe pc is `plan`. Throws
 * {@link ValueError} for locations that exist but cannot be followed (with the reason).
 */
export function valueFromPlan(
  plan: LocationPlan,
  type: DwarfType,
  bias: Bias,
  tls?: TlsBlock,
): DValue {
  switch (plan.kind) {
    case "optimized-out":
      return { kind: "unavailable", type, status: ValueStatus.OptimizedOut, why: plan.text };
    case "unsupported":
      throw new ValueError(`its location cannot be read by a probe (${plan.reason})`);
    case "memory": {
      const addr = stepsToIr(plan.steps, bias, tls);
      if (addr.kind === "unavailable") {
        const why = bias.kind === "unavailable" ? bias.why : "address unavailable";
        return { kind: "unavailable", type, status: addr.status, why };
      }
      return { kind: "memory", type, addr };
    }
    case "value": {
      const size = typeSize(type) ?? 8;
      const expr = stepsToIr(plan.steps, bias);
      return { kind: "scalar", type, expr: fitTo(expr, Math.min(size, 8), valueSignedness(type)) };
    }
    case "regs": {
      const size = typeSize(type) ?? 8;
      const signed = valueSignedness(type);
      if (plan.pieces.length === 1) {
        const p = plan.pieces[0];
        if (p.ptRegsOffset === undefined || p.ptRegsOffset < 0) {
          return { kind: "unavailable", type, status: ValueStatus.OptimizedOut, why: plan.text };
        }
        if (size > 8) {
          throw new ValueError(
            `it is a ${size}-byte value held in ${p.name ?? "a register"} (only the low 8 bytes ` +
              "of a register are available to uprobes)",
          );
        }
        const fitted = fitTo(
          { kind: "ctx", offset: p.ptRegsOffset },
          Math.min(size, p.size),
          signed,
        );
        return { kind: "scalar", type, expr: fitted };
      }
      // several registers: assemble the pieces (low bytes first) when they fit in 64 bits
      let total = 0;
      for (const p of plan.pieces) total += p.size;
      const [lo, hi] = plan.pieces;
      if (
        total > 8 && total <= 16 && plan.pieces.length === 2 && lo.size === 8 &&
        lo.ptRegsOffset !== undefined && lo.ptRegsOffset >= 0 &&
        hi.ptRegsOffset !== undefined && hi.ptRegsOffset >= 0
      ) {
        // a 9-16 byte struct in two registers (a value returned in rax:rdx): members only
        return {
          kind: "scalar",
          type,
          expr: { kind: "ctx", offset: lo.ptRegsOffset },
          high: fitTo({ kind: "ctx", offset: hi.ptRegsOffset }, hi.size, false),
        };
      }
      if (total > 8) {
        throw new ValueError(
          `it is split over several registers (${plan.text}) into more than 8 bytes`,
        );
      }
      let expr: IrExpr | undefined;
      let shift = 0;
      for (const p of plan.pieces) {
        if (p.ptRegsOffset === undefined || p.ptRegsOffset < 0) {
          return { kind: "unavailable", type, status: ValueStatus.OptimizedOut, why: plan.text };
        }
        let part = fitTo({ kind: "ctx", offset: p.ptRegsOffset }, p.size, false);
        if (shift > 0) {
          part = { kind: "arith", op: "shl", signed: false, left: part, right: irConst(shift) };
        }
        expr = expr ? { kind: "arith", op: "or", signed: false, left: expr, right: part } : part;
        shift += p.size * 8;
      }
      return { kind: "scalar", type, expr: fitTo(expr!, Math.min(size, 8), signed) };
    }
  }
}
