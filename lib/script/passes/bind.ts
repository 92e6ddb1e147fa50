/**
 * The bind pass: a resolved trace block ({@link ResolvedTrace}) at one probe site ->
 * {@link BoundTrace}. The only pass that depends on the probe pc: each program variable is
 * looked up at the site (its location: a register, a stack slot, a global, optimized out), the
 * typed paths of the resolve pass (members, indexes, `*`, `&`, pointer offsets) become the IR
 * that reads them, and each print argument gets its copy plan. The print table comes from the
 * resolve pass: a record whose type differs at this site is an error.
 * @module
 */

import type { IrExpr, IrPrintArg } from "../../../bpf/ir.ts";
import { ValueType } from "../../../bpf/wire.ts";
import { type BoundArg, stringBytes } from "../builtins.ts";
import type { Reporter, Span } from "../diagnostics.ts";
import type { PrintInfo } from "../print_table.ts";
import {
  type ResolvedVariable,
  type VariableContext,
  VariableError,
  type VariableResolver,
} from "../resolver.ts";
import { type DumpLength, DYNAMIC_DUMP_CAP, printPlan } from "../variables/print.ts";
import {
  addressOf,
  castTo,
  deref,
  type DValue,
  index as indexValue,
  member as memberValue,
  pointerAdd,
  pointerDiff,
  scriptValueType,
  toScalar,
  ValueError,
} from "../variables/values.ts";
import type { BoundTrace, BPrintArg, BScalar, BStmt } from "./bound.ts";
import { lowerExpr } from "./lower.ts";
import type {
  RCallArg,
  ResolvedTrace,
  RLength,
  RPrintArg,
  RScalar,
  RStmt,
  RValue,
} from "./resolved.ts";

/** Inputs of {@link bindTrace}. */
export interface BindOptions {
  resolveVariable: VariableResolver;
  /** The print table of the script (from the resolve pass). */
  prints: readonly PrintInfo[];
}

/** How many probe sites a resolved block has (1 when it reads no program variables). */
export function siteCount(t: ResolvedTrace, resolver: VariableResolver): number {
  if (!t.programVariables) return 1;
  const ctx = { traceId: t.traceId, target: t.target, targetText: t.targetText };
  return Math.max(1, resolver.siteCount?.(ctx) ?? 1);
}

/** Binds block `t` to its probe site `site`. Throws a {@link ScriptError} on a site problem. */
export function bindTrace(
  t: ResolvedTrace,
  site: number,
  reporter: Reporter,
  opts: BindOptions,
): BoundTrace {
  const b = new SiteBinder(t, site, reporter, opts);
  const body = b.stmts(t.body);
  const probeAddress = opts.resolveVariable.probeAddress?.(b.ctx);
  return {
    traceId: t.traceId,
    target: t.target,
    targetText: t.targetText,
    site,
    body,
    probeAddress,
  };
}

/**
 * The IR of each `entry(x)` capture of a return block at its entry site `site` (read there by
 * the entry program, in slot order).
 */
export function bindCaptures(
  t: ResolvedTrace,
  site: number,
  reporter: Reporter,
  opts: BindOptions,
): IrExpr[] {
  const b = new SiteBinder(t, site, reporter, opts);
  return (t.entryCaptures ?? []).map((c) => lowerExpr(b.scalar(c.value)));
}

class SiteBinder {
  readonly t: ResolvedTrace;
  readonly site: number;
  readonly r: Reporter;
  readonly opts: BindOptions;
  readonly ctx: VariableContext;
  /** Program variables at this site, by name. */
  readonly #variables: Map<string, ResolvedVariable>;

  constructor(t: ResolvedTrace, site: number, r: Reporter, opts: BindOptions) {
    this.t = t;
    this.site = site;
    this.r = r;
    this.opts = opts;
    this.ctx = { traceId: t.traceId, target: t.target, targetText: t.targetText, site };
    this.#variables = new Map(site === 0 ? t.firstSite : []);
  }

  stmts(body: readonly RStmt[]): BStmt[] {
    const out: BStmt[] = [];
    for (const s of body) {
      switch (s.kind) {
        case "alias":
          break;
        case "let":
          out.push({ kind: "let", id: s.id, value: this.scalar(s.value), span: s.span });
          break;
        case "print":
          out.push({
            kind: "print",
            printId: s.printId,
            args: s.args.map((a, i) => this.#printArg(a, s.printId, i)),
            span: s.span,
          });
          break;
        case "backtrace":
          out.push(s);
          break;
        case "if":
          out.push({
            kind: "if",
            cond: this.scalar(s.cond),
            then: this.stmts(s.then),
            else: this.stmts(s.else),
            span: s.span,
            errorPrintId: s.errorPrintId,
          });
          break;
      }
    }
    return out;
  }

  /** Runs a value operation; its {@link ValueError} is reported at `span`. */
  #op<T>(span: Span, f: () => T): T {
    try {
      return f();
    } catch (e) {
      if (e instanceof ValueError) throw this.r.error(span, e.message);
      if (e instanceof VariableError) throw this.r.error(span, e.message);
      throw e;
    }
  }

  #lookup(name: string, span: Span): ResolvedVariable {
    const known = this.#variables.get(name);
    if (known) return known;
    const found = this.#op(span, () => this.opts.resolveVariable.resolve(name, this.ctx));
    if (!found) {
      throw this.r.error(
        span,
        `unknown variable '${name}' at probe site ${this.site + 1} of '${this.t.targetText}'`,
      );
    }
    this.#variables.set(name, found);
    return found;
  }

  /** The value of program value `v` at this site. */
  value(v: RValue): DValue {
    switch (v.kind) {
      case "variable": {
        const found = this.#lookup(v.name, v.span);
        if (!("value" in found)) {
          throw this.r.error(v.span, `'${v.name}' is not a program variable at this site`);
        }
        return found.value;
      }
      case "letValue":
        return { kind: "scalar", type: v.type, expr: { kind: "var", id: v.id } };
      case "member": {
        const obj = this.value(v.object);
        return this.#op(v.nameSpan, () => memberValue(obj, v.name, v.arrow, v.object.text));
      }
      case "index": {
        const obj = this.value(v.object);
        const idx = lowerExpr(this.scalar(v.index));
        const constant = v.constant;
        return this.#op(
          constant !== undefined ? v.indexSpan : v.span,
          () => indexValue(obj, { expr: idx, constant }, v.object.text),
        );
      }
      case "deref": {
        const obj = this.value(v.operand);
        return this.#op(v.span, () => deref(obj, v.operand.text));
      }
      case "addr": {
        const obj = this.value(v.operand);
        return this.#op(v.span, () => addressOf(obj, v.operand.text));
      }
      case "cast": {
        const obj = this.value(v.operand);
        return this.#op(v.span, () => castTo(obj, v.type, v.operand.text));
      }
      case "castScript": {
        const x = lowerExpr(this.scalar(v.operand));
        const src: DValue = { kind: "scalar", type: scriptValueType(v.operand.type), expr: x };
        return this.#op(v.span, () => castTo(src, v.type, v.text));
      }
      case "ptrAdd": {
        const ptr = this.value(v.ptr);
        const n = lowerExpr(this.scalar(v.offset));
        return this.#op(v.span, () => pointerAdd(ptr, n, v.negate, v.ptr.text));
      }
    }
  }

  /** A resolved scalar at this site. */
  scalar(e: RScalar): BScalar {
    switch (e.kind) {
      case "const":
      case "builtin":
        return e;
      case "var":
        return { kind: "var", id: e.id, type: e.type, span: e.span, cint: e.cint };
      case "value": {
        const d = this.value(e.value);
        const s = this.#op(e.span, () => toScalar(d, e.value.text));
        return { kind: "external", expr: s.expr, type: e.type, span: e.span, cint: e.cint };
      }
      case "ptrDiff": {
        const a = this.value(e.left);
        const b = this.value(e.right);
        const expr = this.#op(e.span, () => pointerDiff(a, b, e.left.text, e.right.text));
        return { kind: "external", expr, type: e.type, span: e.span, cint: e.cint };
      }
      case "external": {
        const found = this.#lookup(e.name, e.span);
        if (!("expr" in found)) {
          throw this.r.error(e.span, `'${e.name}' is a program value at this site`);
        }
        return { kind: "external", expr: found.expr, type: e.type, span: e.span };
      }
      case "unary":
        return { ...e, operand: this.scalar(e.operand) };
      case "convert":
        return { ...e, operand: this.scalar(e.operand) };
      case "arith":
        return { ...e, left: this.scalar(e.left), right: this.scalar(e.right) };
      case "compare":
        return { ...e, left: this.scalar(e.left), right: this.scalar(e.right) };
      case "logical":
        return { ...e, left: this.scalar(e.left), right: this.scalar(e.right) };
      case "call":
        return {
          kind: "call",
          fn: e.fn,
          args: e.args.map((a) => this.#callArg(a)),
          type: e.type,
          span: e.span,
          errorPrintId: e.errorPrintId,
        };
    }
  }

  #callArg(a: RCallArg): BoundArg {
    switch (a.role) {
      case "int": {
        const expr = lowerExpr(this.scalar(a.expr));
        const constant = a.info.role === "int" ? a.info.constant : undefined;
        return { role: "int", expr, constant };
      }
      case "string":
      case "bytes":
      case "absent":
        return a.info as BoundArg;
      case "memory": {
        const d = this.value(a.value);
        const addr = this.#op(a.value.span, () => toScalar(d, a.value.text).expr);
        const info = a.info.role === "memory" ? a.info : undefined;
        return { role: "memory", addr, size: info?.size, what: a.value.text };
      }
    }
  }

  #length(l: RLength): DumpLength {
    return "fixed" in l ? l : { expr: lowerExpr(this.scalar(l.expr)) };
  }

  #printArg(a: RPrintArg, printId: number, i: number): BPrintArg {
    switch (a.kind) {
      case "scalar":
        return { kind: "scalar", expr: this.scalar(a.expr) };
      case "siteFunction":
      case "constString": {
        const value = a.kind === "constString"
          ? a.value
          : this.opts.resolveVariable.functionName?.(this.ctx) ?? "?";
        const bytes = stringBytes(value);
        const arg: IrPrintArg = {
          kind: "memory",
          type: ValueType.Str,
          addr: { kind: "const", value: 0n },
          capacity: bytes.length + 1,
          string: false,
          constant: bytes,
        };
        return { kind: "ir", arg };
      }
      case "address": {
        const addr: IrExpr = lowerExpr(this.scalar(a.addr));
        const type = a.str ? ValueType.Str : ValueType.Bytes;
        const length = this.#length(a.length);
        const arg: IrPrintArg = "fixed" in length
          ? { kind: "memory", type, addr, capacity: length.fixed, string: false }
          : {
            kind: "memory",
            type,
            addr,
            capacity: DYNAMIC_DUMP_CAP,
            string: false,
            length: length.expr,
          };
        return { kind: "ir", arg };
      }
      case "program": {
        const d = this.value(a.value);
        const length = a.length ? this.#length(a.length) : undefined;
        const plan = this.#op(a.value.span, () => printPlan(d, a.spec, a.value.text, length));
        const info = this.opts.prints[printId];
        if (info && info.argTypes[i] !== plan.arg.type) {
          throw this.r.error(
            { start: this.t.span.start, end: this.t.span.start + 5 },
            `trace block '${this.t.targetText}': the values printed by '${info.text}' have ` +
              `different types at its probe site ${this.site + 1} than at site 1; trace one ` +
              "address instead",
          );
        }
        return { kind: "ir", arg: plan.arg };
      }
    }
  }
}
