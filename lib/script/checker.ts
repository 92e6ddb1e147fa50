/**
 * Semantic checks and typing: syntax tree -> {@link CheckedScript}.
 *
 * Checks: unknown builtins (with a suggestion), `$input_pid` without an input pid, unknown
 * variables (script variables first, then the {@link VariableResolver}; with a suggestion), use of
 * a variable before its `let` or outside its block, re-declaration and shadowing (script
 * variables are immutable), operand types, division by the constant 0, string literals outside a
 * format position, format string syntax and placeholder / argument counts.
 * @module
 */

import { IrBuiltin, type IrExpr, type IrPrintArg } from "../../bpf/ir.ts";
import { ValueType } from "../../bpf/wire.ts";
import { type DwarfType, stripType } from "../dwarf/index.ts";
import type { BinaryOp, Block, Expr, Stmt, TraceTarget } from "./ast.ts";
import { closest, didYouMean, lineCol, type Reporter, type Span } from "./diagnostics.ts";
import {
  type CompiledFormat,
  FormatConv,
  FormatError,
  type FormatSpec,
  parseFormat,
  valueFormat,
  type ValueView,
} from "./format.ts";
import { lowerExpr } from "./lower.ts";
import { type VariableContext, VariableError, type VariableResolver } from "./resolver.ts";
import { type ScriptType, wireType } from "./types.ts";
import type { Script } from "./ast.ts";
import { type DumpLength, DYNAMIC_DUMP_CAP, printPlan } from "./variables/print.ts";
import {
  addressOf,
  type CInt,
  deref,
  type DValue,
  index as indexValue,
  member as memberValue,
  pointerAdd,
  pointerDiff,
  toScalar,
  ValueError,
} from "./variables/values.ts";

/** A typed expression with a 64-bit value. */
export type ScalarCExpr =
  /** `literal`: written as an integer literal (C gives it type int when it fits). */
  | { kind: "const"; value: bigint; type: ScriptType; span: Span; literal?: boolean }
  | { kind: "builtin"; builtin: IrBuiltin; type: ScriptType; span: Span }
  | { kind: "var"; id: number; name: string; type: ScriptType; span: Span; cint?: CInt }
  /** A value computed by given IR: a resolver's answer, or a program value used as a number. */
  | {
    kind: "external";
    name: string;
    expr: IrExpr;
    type: ScriptType;
    span: Span;
    /** C type after promotion, for program values (C's usual arithmetic conversions apply). */
    cint?: CInt;
    dtype?: DwarfType;
  }
  | {
    kind: "unary";
    op: "neg" | "not";
    operand: ScalarCExpr;
    type: ScriptType;
    span: Span;
    cint?: CInt;
  }
  /** C conversion of `operand` (of C type `from`) to `cint`. */
  | { kind: "convert"; operand: ScalarCExpr; from: CInt; cint: CInt; type: ScriptType; span: Span }
  | {
    kind: "arith";
    op: "add" | "sub" | "mul" | "div" | "mod";
    signed: boolean;
    left: ScalarCExpr;
    right: ScalarCExpr;
    type: ScriptType;
    span: Span;
    cint?: CInt;
  }
  | {
    kind: "compare";
    op: "eq" | "ne" | "lt" | "le" | "gt" | "ge";
    signed: boolean;
    left: ScalarCExpr;
    right: ScalarCExpr;
    type: "bool";
    span: Span;
  }
  | {
    kind: "logical";
    op: "and" | "or";
    left: ScalarCExpr;
    right: ScalarCExpr;
    type: "bool";
    span: Span;
  };

/** A typed expression: a scalar, or a program value (any C object, from DWARF). */
export type CExpr =
  | ScalarCExpr
  | { kind: "dwarf"; value: DValue; text: string; span: Span };

/** One argument of a checked print. */
export type CPrintArg =
  | { kind: "scalar"; expr: ScalarCExpr }
  /** A program value's record, already in IR. */
  | { kind: "ir"; arg: IrPrintArg };

/** A checked statement. */
export type CStmt =
  | { kind: "let"; id: number; name: string; value: ScalarCExpr; span: Span }
  /** `let` naming a program object (a struct, an array...): no code, uses refer to it. */
  | { kind: "alias"; name: string; span: Span }
  | { kind: "print"; printId: number; args: CPrintArg[]; span: Span }
  | { kind: "if"; cond: ScalarCExpr; then: CStmt[]; else: CStmt[]; span: Span };

/** What userspace needs to render the events of one `print`. */
export interface PrintInfo {
  printId: number;
  traceId: number;
  format: CompiledFormat;
  /** Record type of each value (one per placeholder). */
  argTypes: ValueType[];
  /** How each value is shown when it is a program value (undefined: script value). */
  views: (ValueView | undefined)[];
  /** The statement's source text (for debugging and JSON output). */
  text: string;
}

/** A checked trace block. */
export interface CheckedTrace {
  traceId: number;
  target: TraceTarget;
  targetText: string;
  span: Span;
  body: CStmt[];
  /** Which probe site of the block the body was checked for (program variables differ). */
  site: number;
  /** True when the body reads program variables (then each site needs its own program). */
  programVariables: boolean;
}

/** The checker's output. */
export interface CheckedScript {
  traces: CheckedTrace[];
  prints: PrintInfo[];
}

/** Inputs of {@link checkScript}. */
export interface CheckOptions {
  /** Value of `$input_pid`; undefined makes `$input_pid` an error (no -p). */
  inputPid?: number;
  /** Resolver of program variables. */
  resolveVariable: VariableResolver;
}

/** Builtin `$name`s (without `$`). */
export const BUILTINS: readonly string[] = ["pid", "tid", "host_pid", "input_pid", "timestamp"];

const BUILTIN_IR: Readonly<Record<string, IrBuiltin>> = {
  pid: IrBuiltin.Pid,
  tid: IrBuiltin.Tid,
  host_pid: IrBuiltin.HostPid,
  timestamp: IrBuiltin.Timestamp,
};

const ARITH: Partial<Record<BinaryOp, "add" | "sub" | "mul" | "div" | "mod">> = {
  "+": "add",
  "-": "sub",
  "*": "mul",
  "/": "div",
  "%": "mod",
};

const COMPARE: Partial<Record<BinaryOp, "eq" | "ne" | "lt" | "le" | "gt" | "ge">> = {
  "==": "eq",
  "!=": "ne",
  "<": "lt",
  "<=": "le",
  ">": "gt",
  ">=": "ge",
};

/** A `let` binding in scope. */
interface Binding {
  /** -1 for an alias (no stack slot). */
  id: number;
  name: string;
  type: ScriptType;
  span: Span;
  cint?: CInt;
  /** The program value the name stands for (typed `let`s and aliases). */
  value?: DValue;
}

/** Every `let` of a trace, found before checking (for "used before its let" diagnostics). */
interface LetSite {
  name: string;
  span: Span;
  /** End of the whole `let` statement: the binding is visible only after it. */
  stmtEnd: number;
  block: Block;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

const LONG: CInt = { bits: 64, signed: true };

/** C type of an integer literal: int when it fits, else long, else unsigned long. */
function literalCInt(v: bigint): CInt {
  const s = BigInt.asIntN(64, v);
  if (v <= 0x7fff_ffff_ffff_ffffn) {
    return s >= -0x8000_0000n && s <= 0x7fff_ffffn ? { bits: 32, signed: true } : LONG;
  }
  return { bits: 64, signed: false };
}

function isLiteral(c: ScalarCExpr): boolean {
  if (c.kind === "const") return c.literal === true;
  return c.kind === "unary" && c.op === "neg" && isLiteral(c.operand);
}

function literalValue(c: ScalarCExpr): bigint {
  if (c.kind === "const") return c.value;
  if (c.kind === "unary") return literalValue(c.operand);
  return 0n;
}

/** The C type of a scalar that came from the program (or mixes with one), else undefined. */
function cintOf(c: ScalarCExpr): CInt | undefined {
  switch (c.kind) {
    case "var":
    case "external":
    case "unary":
    case "convert":
    case "arith":
      return c.cint;
    default:
      return undefined;
  }
}

/** C's usual arithmetic conversions on promoted types. */
function usualConversion(a: CInt, b: CInt): CInt {
  if (a.bits !== b.bits) return a.bits > b.bits ? a : b;
  return { bits: a.bits, signed: a.signed && b.signed };
}

function sameCInt(a: CInt, b: CInt): boolean {
  return a.bits === b.bits && a.signed === b.signed;
}

function quoteList(names: readonly string[]): string {
  const q = names.map((n) => `'${n}'`);
  return q.length === 1 ? q[0] : `${q.slice(0, -1).join(", ")} or ${q[q.length - 1]}`;
}

/** Check and type a parsed script. Throws a {@link ScriptError} on the first problem. */
export function checkScript(script: Script, reporter: Reporter, opts: CheckOptions): CheckedScript {
  const prints: PrintInfo[] = [];
  const traces = script.traces.map((_, traceId) =>
    checkTrace(script, traceId, 0, reporter, opts, prints)
  );
  return { traces, prints };
}

/**
 * Checks trace block `traceId` for its probe site `site`, appending its prints to `prints` (print
 * ids are `prints.length` onwards).
 */
export function checkTrace(
  script: Script,
  traceId: number,
  site: number,
  reporter: Reporter,
  opts: CheckOptions,
  prints: PrintInfo[],
): CheckedTrace {
  const t = script.traces[traceId];
  const c = new TraceChecker(reporter, opts, traceId, t.target, t.targetText, prints, site);
  const body = c.checkBody(t.body);
  return {
    traceId,
    target: t.target,
    targetText: t.targetText,
    span: t.span,
    body,
    site,
    programVariables: c.programVariables,
  };
}

class TraceChecker {
  readonly r: Reporter;
  readonly opts: CheckOptions;
  readonly traceId: number;
  readonly ctx: VariableContext;
  readonly prints: PrintInfo[];
  /** Innermost scope last. */
  readonly scopes: Map<string, Binding>[] = [];
  /** Blocks being checked, innermost last. */
  readonly blocks: Block[] = [];
  lets: LetSite[] = [];
  /** Set once a name resolved to a program value. */
  programVariables = false;
  #nextId = 0;

  constructor(
    reporter: Reporter,
    opts: CheckOptions,
    traceId: number,
    target: TraceTarget,
    targetText: string,
    prints: PrintInfo[],
    site: number,
  ) {
    this.r = reporter;
    this.opts = opts;
    this.traceId = traceId;
    this.ctx = { traceId, target, targetText, site };
    this.prints = prints;
  }

  checkBody(body: Block): CStmt[] {
    this.lets = [];
    collectLets(body, this.lets);
    return this.#block(body);
  }

  #block(b: Block): CStmt[] {
    this.scopes.push(new Map());
    this.blocks.push(b);
    const out = b.stmts.map((s) => this.#stmt(s));
    this.blocks.pop();
    this.scopes.pop();
    return out;
  }

  #lookup(name: string): Binding | undefined {
    for (let i = this.scopes.length - 1; i >= 0; i--) {
      const b = this.scopes[i].get(name);
      if (b) return b;
    }
    return undefined;
  }

  #line(span: Span): number {
    return lineCol(this.r.source, span.start).line;
  }

  #stmt(s: Stmt): CStmt {
    switch (s.kind) {
      case "let": {
        const value = this.#expr(s.value);
        const prev = this.#lookup(s.name);
        if (prev) {
          const here = this.scopes[this.scopes.length - 1].get(s.name) === prev;
          throw this.r.error(
            s.nameSpan,
            here
              ? `'${s.name}' is already declared (line ${
                this.#line(prev.span)
              }); script variables ` +
                `are immutable, use a new name`
              : `shadowing is not allowed: '${s.name}' is already declared in an enclosing block ` +
                `(line ${this.#line(prev.span)})`,
          );
        }
        const scope = this.scopes[this.scopes.length - 1];
        if (value.kind === "dwarf") {
          // A number (or pointer) is computed once and keeps its C type; anything else (a struct,
          // an array, a float) names the object.
          let scalar: ScalarCExpr | undefined;
          try {
            scalar = this.#scalar(value);
          } catch {
            scalar = undefined;
          }
          if (scalar && scalar.kind === "external" && scalar.dtype) {
            const id = this.#nextId++;
            scope.set(s.name, {
              id,
              name: s.name,
              type: scalar.type,
              span: s.nameSpan,
              cint: scalar.cint,
              value: { kind: "scalar", type: scalar.dtype, expr: { kind: "var", id } },
            });
            return { kind: "let", id, name: s.name, value: scalar, span: s.span };
          }
          scope.set(s.name, {
            id: -1,
            name: s.name,
            type: "i64",
            span: s.nameSpan,
            value: value.value,
          });
          return { kind: "alias", name: s.name, span: s.span };
        }
        const id = this.#nextId++;
        scope.set(s.name, {
          id,
          name: s.name,
          type: value.type,
          span: s.nameSpan,
          cint: cintOf(value),
        });
        return { kind: "let", id, name: s.name, value, span: s.span };
      }
      case "print": {
        const arg = this.#expr(s.expr);
        const text = this.r.source.slice(s.expr.span.start, s.expr.span.end).replace(/\s+/g, " ");
        const format = valueFormat(`${text} = `);
        return this.#addPrint(format, [this.#printArg(arg, format.specs[0])], s.span);
      }
      case "printf": {
        let format: CompiledFormat;
        try {
          format = parseFormat(s.format.value);
        } catch (e) {
          if (!(e instanceof FormatError)) throw e;
          throw this.r.error(this.#formatSpan(s.format, e.index, e.length), e.message);
        }
        const want = format.argCount;
        if (want !== s.args.length) {
          const stars = want - format.specs.length;
          const got = `${plural(s.args.length, "argument")} ${
            s.args.length === 1 ? "was" : "were"
          } given`;
          throw this.r.error(
            s.format.span,
            stars === 0
              ? `format string has ${plural(want, "placeholder")} but ${got}`
              : `format string expects ${plural(want, "argument")} (${
                plural(format.specs.length, "placeholder")
              }, ${stars} taking its length from the argument before) but ${got}`,
          );
        }
        const args: CPrintArg[] = [];
        let k = 0;
        for (const spec of format.specs) {
          let length: DumpLength | undefined;
          const len = spec.length;
          if (len?.kind === "fixed") length = { fixed: len.n };
          else if (len?.kind === "arg") {
            const e = s.args[k++];
            length = {
              expr: lowerExpr(this.#integer(this.#expr(e), `the length of ${spec.text}`)),
            };
          } else if (len?.kind === "var") {
            const span = this.#formatSpan(s.format, spec.index, spec.text.length);
            const v = this.#ident(len.name, span);
            length = { expr: lowerExpr(this.#integer(v, `the length of ${spec.text}`)) };
          }
          args.push(this.#printArg(this.#expr(s.args[k++]), spec, length));
        }
        return this.#addPrint(format, args, s.span);
      }
      case "if": {
        const cond = this.#scalarExpr(s.cond);
        const then = this.#block(s.then);
        const otherwise = s.otherwise ? this.#block(s.otherwise) : [];
        return { kind: "if", cond, then, else: otherwise, span: s.span };
      }
    }
  }

  /** The source span of characters `[index, index + length)` of a format literal. */
  #formatSpan(f: { span: Span; offsets: number[] }, index: number, length: number): Span {
    const offs = f.offsets;
    const start = offs[index] ?? f.span.start;
    const last = offs[Math.min(index + length, offs.length - 1)] ?? start + 1;
    return { start, end: Math.max(last, start + 1) };
  }

  /** A print argument for `c` under placeholder `spec`. */
  #printArg(c: CExpr, spec: FormatSpec, length?: DumpLength): CPrintArg & { view?: ValueView } {
    if (c.kind === "dwarf") {
      try {
        const p = printPlan(c.value, spec, c.text, length);
        return { kind: "ir", arg: p.arg, view: p.view };
      } catch (e) {
        if (e instanceof ValueError) throw this.r.error(c.span, e.message);
        throw e;
      }
    }
    if (spec.conv === FormatConv.Str && length === undefined) {
      throw this.r.error(
        c.span,
        `'${spec.text}' needs a program string (char * or char[N]), not a script value`,
      );
    }
    if (length !== undefined) {
      // a script integer used as an address
      if (c.type === "bool") {
        throw this.r.error(c.span, `'${spec.text}' needs an address, not a bool`);
      }
      const addr = lowerExpr(c);
      const str = spec.conv === FormatConv.Str;
      const type = str ? ValueType.Str : ValueType.Bytes;
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
      return { kind: "ir", arg, view: str ? { kind: "string" } : { kind: "bytes" } };
    }
    return { kind: "scalar", expr: c };
  }

  #addPrint(
    format: CompiledFormat,
    args: (CPrintArg & { view?: ValueView })[],
    span: Span,
  ): CStmt {
    const printId = this.prints.length;
    this.prints.push({
      printId,
      traceId: this.traceId,
      format,
      argTypes: args.map((a) => a.kind === "ir" ? a.arg.type : wireType(a.expr.type)),
      views: args.map((a) => a.view),
      text: this.r.source.slice(span.start, span.end),
    });
    return {
      kind: "print",
      printId,
      args: args.map((a): CPrintArg => a.kind === "ir" ? { kind: "ir", arg: a.arg } : a),
      span,
    };
  }

  // ---------------------------------------------------------------- expressions

  /** `c` as a number: program values are read / converted; errors at `c`'s span. */
  #scalar(c: CExpr): ScalarCExpr {
    if (c.kind !== "dwarf") return c;
    try {
      const s = toScalar(c.value, c.text);
      return {
        kind: "external",
        name: c.text,
        expr: s.expr,
        type: s.type,
        span: c.span,
        cint: s.cint,
        dtype: s.dtype,
      };
    } catch (e) {
      if (e instanceof ValueError) throw this.r.error(c.span, e.message);
      throw e;
    }
  }

  #scalarExpr(e: Expr): ScalarCExpr {
    return this.#scalar(this.#expr(e));
  }

  /** An integer operand (`what` names its role in messages). */
  #integer(c: CExpr, what: string): ScalarCExpr {
    const s = this.#scalar(c);
    if (s.type === "ptr" || s.type === "bool") {
      throw this.r.error(
        s.span,
        `${what} must be an integer, not a ${s.type === "ptr" ? "pointer" : "bool"}`,
      );
    }
    return s;
  }

  /** The program value `e` denotes (for members, indexing, `*`, `&`). */
  #object(e: Expr, op: string): CExpr & { kind: "dwarf" } {
    const c = this.#expr(e);
    if (c.kind === "dwarf") return c;
    const text = this.#text(e.span);
    throw this.r.error(
      e.span,
      `'${op}' applies to program variables, but '${text}' is a script value (${c.type})`,
    );
  }

  #text(span: Span): string {
    return this.r.source.slice(span.start, span.end).replace(/\s+/g, " ");
  }

  #dvalue(span: Span, f: () => DValue, errorSpan: Span = span): CExpr {
    try {
      return { kind: "dwarf", value: f(), text: this.#text(span), span };
    } catch (e) {
      if (e instanceof ValueError) throw this.r.error(errorSpan, e.message);
      throw e;
    }
  }

  #expr(e: Expr): CExpr {
    switch (e.kind) {
      case "int":
        return { kind: "const", value: e.value, type: "i64", span: e.span, literal: true };
      case "bool":
        return { kind: "const", value: e.value ? 1n : 0n, type: "bool", span: e.span };
      case "string":
        throw this.r.error(
          e.span,
          'string literals can only be used as the format string of print (print "...", args)',
        );
      case "builtin":
        return this.#builtin(e.name, e.span);
      case "ident":
        return this.#ident(e.name, e.span);
      case "unary": {
        const operand = this.#scalarExpr(e.operand);
        if (e.op === "!") return { kind: "unary", op: "not", operand, type: "bool", span: e.span };
        if (operand.type === "ptr") {
          throw this.r.error(e.span, "cannot negate a pointer");
        }
        const from = cintOf(operand);
        const type = operand.type === "u64" ? "u64" : "i64";
        return { kind: "unary", op: "neg", operand, type, span: e.span, cint: from };
      }
      case "binary":
        return this.#binary(e);
      case "member": {
        const obj = this.#object(e.object, e.arrow ? "->" : ".");
        return this.#dvalue(
          e.span,
          () => memberValue(obj.value, e.name, e.arrow, obj.text),
          e.nameSpan,
        );
      }
      case "index": {
        const obj = this.#object(e.object, "[]");
        const idx = this.#integer(this.#expr(e.index), "an index");
        const ir = lowerExpr(idx);
        const constant = ir.kind === "const" ? ir.value : undefined;
        return this.#dvalue(
          e.span,
          () => indexValue(obj.value, { expr: ir, constant }, obj.text),
          constant !== undefined ? e.index.span : e.span,
        );
      }
      case "deref": {
        const obj = this.#object(e.operand, "*");
        return this.#dvalue(e.span, () => deref(obj.value, obj.text));
      }
      case "addr": {
        const obj = this.#object(e.operand, "&");
        return this.#dvalue(e.span, () => addressOf(obj.value, obj.text));
      }
    }
  }

  #builtin(name: string, span: Span): CExpr {
    if (name === "input_pid") {
      if (this.opts.inputPid === undefined) {
        throw this.r.error(span, "'$input_pid' is only available when tracing a process (-p)");
      }
      return { kind: "const", value: BigInt(this.opts.inputPid), type: "i64", span };
    }
    const b = BUILTIN_IR[name];
    if (b === undefined) {
      const hint = didYouMean(`$${name}`, BUILTINS.map((n) => `$${n}`));
      const known = hint ? "" : ` (builtins: ${BUILTINS.map((n) => `$${n}`).join(" ")})`;
      throw this.r.error(span, `unknown builtin '$${name}'${hint}${known}`);
    }
    return { kind: "builtin", builtin: b, type: "i64", span };
  }

  #ident(name: string, span: Span): CExpr {
    const b = this.#lookup(name);
    if (b) {
      if (b.value) return { kind: "dwarf", value: b.value, text: name, span };
      return { kind: "var", id: b.id, name, type: b.type, span, cint: b.cint };
    }

    // A script variable of that name exists but is not visible here?
    const enclosing = new Set(this.blocks);
    const later = this.lets.find((l) =>
      l.name === name && enclosing.has(l.block) && l.stmtEnd > span.start
    );
    if (later) {
      throw this.r.error(
        span,
        `'${name}' is used before its 'let' (line ${this.#line(later.span)})`,
      );
    }
    const elsewhere = this.lets.find((l) => l.name === name && !enclosing.has(l.block));
    if (elsewhere) {
      throw this.r.error(
        span,
        `'${name}' is used outside of its scope (declared in another block, line ` +
          `${this.#line(elsewhere.span)})`,
      );
    }

    const resolver = this.opts.resolveVariable;
    let resolved;
    try {
      resolved = resolver.resolve(name, this.ctx);
    } catch (e) {
      if (e instanceof VariableError) throw this.r.error(span, e.message);
      throw e;
    }
    if (resolved) {
      this.programVariables = true;
      if ("value" in resolved) return { kind: "dwarf", value: resolved.value, text: name, span };
      return { kind: "external", name, expr: resolved.expr, type: resolved.type, span };
    }

    const visible: string[] = [];
    for (const s of this.scopes) visible.push(...s.keys());
    if (resolver.closeNames) {
      const fromScript = closest(name, visible);
      let close = [
        ...new Set([
          ...(fromScript ? [fromScript] : []),
          ...resolver.closeNames(name, this.ctx),
        ]),
      ].slice(0, 3);
      if (close.length === 0) {
        // edit distance with transpositions over every visible name (`reslut` → `result`)
        const c = closest(name, resolver.candidates?.(this.ctx) ?? []);
        if (c !== undefined) close = [c];
      }
      throw this.r.error(
        span,
        `unknown variable '${name}'${close.length ? ` (did you mean ${quoteList(close)}?)` : ""}`,
      );
    }
    const fromResolver = resolver.candidates?.(this.ctx) ?? [];
    throw this.r.error(
      span,
      `unknown variable '${name}'${didYouMean(name, [...visible, ...fromResolver])}`,
    );
  }

  /**
   * C pointer arithmetic on program pointers (and arrays, which decay): `p + n`, `n + p`,
   * `p - n` are scaled by the pointee's size; `p - q` is the element distance (a long).
   * Undefined when the operands are not a pointer and an integer (or two pointers for `-`).
   */
  #pointerArith(e: Expr & { kind: "binary" }, l: CExpr, r: CExpr): CExpr | undefined {
    const run = (f: () => CExpr): CExpr => {
      try {
        return f();
      } catch (err) {
        if (err instanceof ValueError) throw this.r.error(e.span, err.message);
        throw err;
      }
    };
    if (isPointerLike(l) && isPointerLike(r)) {
      if (e.op !== "-" || l.kind !== "dwarf" || r.kind !== "dwarf") return undefined;
      return run(() => ({
        kind: "external",
        name: this.#text(e.span),
        expr: pointerDiff(l.value, r.value, l.text, r.text),
        type: "i64",
        span: e.span,
        cint: LONG,
      }));
    }
    const [ptr, n] = isPointerLike(l) ? [l, r] : [r, l];
    if (ptr.kind !== "dwarf" || (e.op === "-" && ptr !== l)) return undefined;
    const idx = this.#integer(n, `the offset added to '${ptr.text}'`);
    const ir = lowerExpr(idx);
    return this.#dvalue(e.span, () => pointerAdd(ptr.value, ir, e.op === "-", ptr.text));
  }

  /** Brings both operands to their C common type when a program value is involved. */
  #common(
    left: ScalarCExpr,
    right: ScalarCExpr,
  ): { left: ScalarCExpr; right: ScalarCExpr; cint?: CInt } {
    const lc = cintOf(left);
    const rc = cintOf(right);
    if (!lc && !rc) return { left, right };
    const typeOf = (c: ScalarCExpr, own: CInt | undefined): CInt =>
      own ??
        (isLiteral(c)
          ? literalCInt(literalValue(c))
          : c.type === "bool"
          ? { bits: 32, signed: true }
          : c.type === "u64" || c.type === "ptr"
          ? { bits: 64, signed: false }
          : LONG);
    const lt = typeOf(left, lc);
    const rt = typeOf(right, rc);
    const cint = usualConversion(lt, rt);
    const conv = (c: ScalarCExpr, from: CInt): ScalarCExpr =>
      sameCInt(from, cint) ? c : {
        kind: "convert",
        operand: c,
        from,
        cint,
        type: cint.signed ? "i64" : "u64",
        span: c.span,
      };
    return { left: conv(left, lt), right: conv(right, rt), cint };
  }

  #binary(e: Expr & { kind: "binary" }): CExpr {
    const l = this.#expr(e.left);
    const r = this.#expr(e.right);
    const span = e.span;
    if ((e.op === "+" || e.op === "-") && (isPointerLike(l) || isPointerLike(r))) {
      const p = this.#pointerArith(e, l, r);
      if (p) return p;
    }
    const left0 = this.#scalar(l);
    const right0 = this.#scalar(r);
    if (e.op === "&&" || e.op === "||") {
      return {
        kind: "logical",
        op: e.op === "&&" ? "and" : "or",
        left: left0,
        right: right0,
        type: "bool",
        span,
      };
    }
    const arith = ARITH[e.op];
    if (arith) {
      for (const side of [left0, right0]) {
        if (side.type === "ptr") {
          throw this.r.error(side.span, `pointer arithmetic ('${e.op}') is not supported yet`);
        }
      }
      if ((arith === "div" || arith === "mod") && right0.kind === "const" && right0.value === 0n) {
        throw this.r.error(
          right0.span,
          arith === "div" ? "division by zero" : "remainder by zero ('%' with 0)",
        );
      }
      const { left, right, cint } = this.#common(left0, right0);
      const type = cint
        ? (cint.signed ? "i64" : "u64")
        : left.type === "u64" || right.type === "u64"
        ? "u64"
        : "i64";
      return { kind: "arith", op: arith, signed: type === "i64", left, right, type, span, cint };
    }
    const cmp = COMPARE[e.op];
    if (cmp) {
      const anyPtr = left0.type === "ptr" || right0.type === "ptr";
      if (anyPtr && cmp !== "eq" && cmp !== "ne") {
        throw this.r.error(e.opSpan, `pointers can only be compared with '==' and '!='`);
      }
      if (anyPtr) {
        return {
          kind: "compare",
          op: cmp,
          signed: false,
          left: left0,
          right: right0,
          type: "bool",
          span,
        };
      }
      const { left, right, cint } = this.#common(left0, right0);
      const signed = cint ? cint.signed : !(left.type === "u64" || right.type === "u64");
      return { kind: "compare", op: cmp, signed, left, right, type: "bool", span };
    }
    throw this.r.error(e.opSpan, `unsupported operator '${e.op}'`);
  }
}

/** A program pointer or array (which decays to a pointer in arithmetic). */
function isPointerLike(c: CExpr): boolean {
  if (c.kind !== "dwarf") return false;
  const k = stripType(c.value.type).kind;
  return k === "pointer" || k === "array";
}

function collectLets(b: Block, out: LetSite[]): void {
  for (const s of b.stmts) {
    if (s.kind === "let") {
      out.push({ name: s.name, span: s.nameSpan, stmtEnd: s.span.end, block: b });
    } else if (s.kind === "if") {
      collectLets(s.then, out);
      if (s.otherwise) collectLets(s.otherwise, out);
    }
  }
}
