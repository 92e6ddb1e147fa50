/**
 * The resolve pass: syntax tree -> {@link ResolvedScript}, once per trace block whatever its
 * number of probe sites. It resolves every name (script variables, `$` built-ins, functions of
 * the registry, program variables), types every expression (C conversions included), checks
 * calls against the built-in registry (with constant folding), and fixes what each `print`
 * emits (the print table).
 *
 * Program variables are looked up at the block's first probe site: a C object's type is the
 * same at every site, so the types and the print table hold for all of them; the bind pass gives
 * the values their location per site.
 *
 * Checks: unknown built-ins and functions (with a suggestion), arity and argument roles of
 * calls, `$input_pid` without an input pid, unknown variables (script variables first, then the
 * {@link VariableResolver}; with a suggestion), use of a variable before its `let` or outside
 * its block, re-declaration and shadowing (script variables are immutable), operand types,
 * division by the constant 0, string literals outside a format or string position, format
 * string syntax and placeholder / argument counts.
 * @module
 */

import type { IrExpr } from "../../../bpf/ir.ts";
import { ValueType } from "../../../bpf/wire.ts";
import { type DwarfType, stripType } from "../../dwarf/index.ts";
import type { Block, Expr, Script, Stmt, TraceTarget } from "../ast.ts";
import {
  arity,
  type BuiltinFunction,
  builtinFunction,
  builtinVariable,
  CallError,
  ENTRY_VAR_BASE,
  FUNCTIONS,
  type ResolvedArg,
  STRING_EQUALS,
  stringBytes,
  VARIABLES,
} from "../builtins.ts";
import { applyDeclarator, builtinType, isShortSpelling, parseTypeSpelling } from "../cast_type.ts";
import { closest, didYouMean, lineCol, type Reporter, type Span } from "../diagnostics.ts";
import {
  type CompiledFormat,
  FormatConv,
  FormatError,
  type FormatSpec,
  parseFormat,
  valueFormat,
  type ValueView,
} from "../format.ts";
import { BINARY_OPERATORS, UNARY_OPERATORS } from "../operators.ts";
import type { PrintInfo } from "../print_table.ts";
import {
  type ResolvedVariable,
  type VariableContext,
  VariableError,
  type VariableResolver,
} from "../resolver.ts";
import { type ScriptType, wireType } from "../types.ts";
import { printPlan } from "../variables/print.ts";
import {
  addressOf,
  castTo,
  type CInt,
  deref,
  type DValue,
  index as indexValue,
  isStringElement,
  member as memberValue,
  pointerAdd,
  pointerDiff,
  scriptValueType,
  toScalar,
  typeText,
  ValueError,
} from "../variables/values.ts";
import { MAX_ENTRY_CAPTURES } from "../../../bpf/return_pairing.ts";
import type {
  EntryCapture,
  RCallArg,
  ResolvedScript,
  ResolvedTrace,
  RLength,
  RPrintArg,
  RScalar,
  RStmt,
  RValue,
} from "./resolved.ts";

/** The name of the cast form (`cast(expr, "TYPE")`), resolved here rather than in the registry. */
const CAST = "cast";

/** Inputs of {@link resolveScript}. */
export interface ResolveOptions {
  /** Value of `$input_pid`; undefined makes `$input_pid` an error (no -p). */
  inputPid?: number;
  /** Resolver of program variables. */
  resolveVariable: VariableResolver;
}

/**
 * A program value during resolution: its typed path, and its value at the first probe site
 * (which validates the operations and gives their C types).
 */
interface PValue {
  kind: "program";
  path: RValue;
  first: DValue;
  text: string;
  span: Span;
}

/**
 * A resolved expression: a scalar, a program value, or (where a function takes them) a string
 * literal or constant bytes (`hex("..")`).
 */
type RExpr =
  | RScalar
  | PValue
  | { kind: "string"; value: string; span: Span }
  | { kind: "bytes"; bytes: Uint8Array; span: Span; text: string };

/** A `let` binding in scope. */
interface Binding {
  /** -1 for an alias (no stack slot). */
  id: number;
  name: string;
  type: ScriptType;
  span: Span;
  cint?: CInt;
  /** The program value the name stands for (typed `let`s and aliases). */
  value?: PValue;
  /** A script string variable's value (`let s = "abc";`). */
  str?: string;
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

function isLiteral(c: RScalar): boolean {
  if (c.kind === "const") return c.literal === true;
  return c.kind === "unary" && c.op === "neg" && isLiteral(c.operand);
}

function literalValue(c: RScalar): bigint {
  if (c.kind === "const") return c.value;
  if (c.kind === "unary") return literalValue(c.operand);
  return 0n;
}

/** The C type of a scalar that came from the program (or mixes with one), else undefined. */
export function cintOf(c: RScalar): CInt | undefined {
  switch (c.kind) {
    case "var":
    case "value":
    case "ptrDiff":
    case "unary":
    case "convert":
    case "arith":
      return c.cint;
    default:
      return undefined;
  }
}

/** The value of `c` when it is known at compile time (literals and their negation). */
export function constantOf(c: RScalar): bigint | undefined {
  if (c.kind === "const") return c.value;
  if (c.kind === "unary" && c.op === "neg") {
    const v = constantOf(c.operand);
    return v === undefined ? undefined : BigInt.asUintN(64, -v);
  }
  return undefined;
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

/** Resolve and type a parsed script. Throws a {@link ScriptError} on the first problem. */
export function resolveScript(
  script: Script,
  reporter: Reporter,
  opts: ResolveOptions,
): ResolvedScript {
  const prints: PrintInfo[] = [];
  const traces = script.traces.map((t, traceId) =>
    resolveTrace(t, traceId, reporter, opts, prints)
  );
  return { traces, prints };
}

/** Resolves one trace block, appending its prints to `prints`. */
function resolveTrace(
  t: Script["traces"][number],
  traceId: number,
  reporter: Reporter,
  opts: ResolveOptions,
  prints: PrintInfo[],
): ResolvedTrace {
  const c = new TraceResolver(reporter, opts, traceId, t.target, t.targetText, prints);
  const body = c.resolveBody(t.body);
  return {
    traceId,
    target: t.target,
    targetText: t.targetText,
    span: t.span,
    body,
    programVariables: c.programVariables,
    firstSite: c.found,
    entryCaptures: c.returnBlock ? c.captures : undefined,
  };
}

class TraceResolver {
  readonly r: Reporter;
  readonly opts: ResolveOptions;
  readonly traceId: number;
  /** Program variables are typed at the first probe site. */
  readonly ctx: VariableContext;
  readonly prints: PrintInfo[];
  /** Innermost scope last. */
  readonly scopes: Map<string, Binding>[] = [];
  /** Blocks being resolved, innermost last. */
  readonly blocks: Block[] = [];
  lets: LetSite[] = [];
  /** Set once a name resolved to a program value. */
  programVariables = false;
  /** Program variables found at the first site. */
  readonly found = new Map<string, ResolvedVariable>();
  /** True for a `trace f:return` block. */
  readonly returnBlock: boolean;
  /** The parameters `entry(x)` captures, in slot order. */
  readonly captures: EntryCapture[] = [];
  #nextId = 0;
  /** Set while `entry(x)` resolves its parameter (which is read at the entry site). */
  #capturing = false;

  constructor(
    reporter: Reporter,
    opts: ResolveOptions,
    traceId: number,
    target: TraceTarget,
    targetText: string,
    prints: PrintInfo[],
  ) {
    this.r = reporter;
    this.opts = opts;
    this.traceId = traceId;
    this.ctx = { traceId, target, targetText, site: 0 };
    this.prints = prints;
    this.returnBlock = target.kind === "function" && target.ret === true;
  }

  resolveBody(body: Block): RStmt[] {
    this.lets = [];
    collectLets(body, this.lets);
    return this.#block(body);
  }

  #block(b: Block): RStmt[] {
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

  #stmt(s: Stmt): RStmt {
    switch (s.kind) {
      case "let":
        return this.#let(s);
      case "print": {
        const arg = this.#expr(s.expr);
        const text = this.#text(s.expr.span);
        const format = valueFormat(`${text} = `);
        return this.#addPrint(format, [this.#printArg(arg, format.specs[0])], s.span);
      }
      case "printf":
        return this.#printf(s);
      case "backtrace": {
        const printId = this.prints.length;
        this.prints.push({
          printId,
          traceId: this.traceId,
          format: { source: "", literals: [""], convs: [], specs: [], argCount: 0 },
          argTypes: [ValueType.Stack],
          views: [undefined],
          text: this.r.source.slice(s.span.start, s.span.end),
          backtrace: s.mode,
        });
        return { kind: "backtrace", printId, span: s.span };
      }
      case "if": {
        const cond = this.#scalarExpr(s.cond);
        const errorPrintId = mayFail(cond) ? this.#exprErrorPrint(s.cond.span) : undefined;
        const then = this.#block(s.then);
        const otherwise = s.otherwise ? this.#block(s.otherwise) : [];
        return { kind: "if", cond, then, else: otherwise, span: s.span, errorPrintId };
      }
    }
  }

  #let(s: Stmt & { kind: "let" }): RStmt {
    const value = this.#expr(s.value);
    const prev = this.#lookup(s.name);
    if (prev) {
      const here = this.scopes[this.scopes.length - 1].get(s.name) === prev;
      throw this.r.error(
        s.nameSpan,
        here
          ? `'${s.name}' is already declared (line ${this.#line(prev.span)}); script variables ` +
            `are immutable, use a new name`
          : `shadowing is not allowed: '${s.name}' is already declared in an enclosing block ` +
            `(line ${this.#line(prev.span)})`,
      );
    }
    const scope = this.scopes[this.scopes.length - 1];
    if (value.kind === "string") {
      // a string variable: a compile-time constant (no code), usable where a string literal is
      scope.set(s.name, { id: -1, name: s.name, type: "i64", span: s.nameSpan, str: value.value });
      return { kind: "alias", name: s.name, span: s.span };
    }
    if (value.kind === "bytes") throw this.#bytesMisuse(value);
    if (value.kind === "program") {
      // A number (or pointer) is computed once and keeps its C type; anything else (a struct,
      // an array, a float) names the object.
      let scalar: RScalar | undefined;
      try {
        scalar = this.#scalar(value);
      } catch {
        scalar = undefined;
      }
      // an array stays an alias (`let a = g.arr; a[1]`, `&a`), it does not decay
      const isArray = stripType(value.first.type).kind === "array";
      if (scalar && scalar.kind === "value" && !isArray) {
        const id = this.#nextId++;
        const dtype = scalar.dtype;
        scope.set(s.name, {
          id,
          name: s.name,
          type: scalar.type,
          span: s.nameSpan,
          cint: scalar.cint,
          value: {
            kind: "program",
            path: { kind: "letValue", id, type: dtype, text: s.name, span: s.nameSpan },
            first: { kind: "scalar", type: dtype, expr: { kind: "var", id } },
            text: s.name,
            span: s.nameSpan,
          },
        });
        return { kind: "let", id, name: s.name, value: scalar, span: s.span };
      }
      scope.set(s.name, { id: -1, name: s.name, type: "i64", span: s.nameSpan, value });
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

  #printf(s: Stmt & { kind: "printf" }): RStmt {
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
    const args: (RPrintArg & { view?: ValueView; wire: ValueType })[] = [];
    let k = 0;
    for (const spec of format.specs) {
      let length: RLength | undefined;
      const len = spec.length;
      if (len?.kind === "fixed") length = { fixed: len.n };
      else if (len?.kind === "arg") {
        const e = s.args[k++];
        length = { expr: this.#integer(this.#expr(e), `the length of ${spec.text}`) };
      } else if (len?.kind === "var") {
        const span = this.#formatSpan(s.format, spec.index, spec.text.length);
        const v = this.#ident(len.name, span);
        length = { expr: this.#integer(v, `the length of ${spec.text}`) };
      }
      args.push(this.#printArg(this.#expr(s.args[k++]), spec, length));
    }
    return this.#addPrint(format, args, s.span);
  }

  /** The source span of characters `[index, index + length)` of a format literal. */
  #formatSpan(f: { span: Span; offsets: number[] }, index: number, length: number): Span {
    const offs = f.offsets;
    const start = offs[index] ?? f.span.start;
    const last = offs[Math.min(index + length, offs.length - 1)] ?? start + 1;
    return { start, end: Math.max(last, start + 1) };
  }

  /** A print argument for `c` under placeholder `spec`, with its record type and view. */
  #printArg(
    c: RExpr,
    spec: FormatSpec,
    length?: RLength,
  ): RPrintArg & { view?: ValueView; wire: ValueType } {
    if (c.kind === "string") {
      if (spec.conv !== FormatConv.Display && spec.conv !== FormatConv.Str || length) {
        throw this.r.error(c.span, `'${spec.text}' does not apply to a string; use {} or {:s}`);
      }
      return { kind: "constString", value: c.value, view: { kind: "string" }, wire: ValueType.Str };
    }
    if (c.kind === "bytes") throw this.#bytesMisuse(c);
    if (
      c.kind === "program" && c.path.kind === "variable" && c.path.name === "$func" &&
      (spec.conv === FormatConv.Display || spec.conv === FormatConv.Str) && !length
    ) {
      // rendered bare, like an enumerator (a "bytes" view shows a string as is)
      return { kind: "siteFunction", view: { kind: "bytes" }, wire: ValueType.Str };
    }
    if (c.kind === "program") {
      try {
        // planned at the first site for the record type and view; the bind pass plans each site
        const p = printPlan(c.first, spec, c.text, firstSiteLength(length));
        return { kind: "program", value: c.path, spec, length, view: p.view, wire: p.arg.type };
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
      const str = spec.conv === FormatConv.Str;
      return {
        kind: "address",
        addr: c,
        str,
        length,
        view: str ? { kind: "string" } : { kind: "bytes" },
        wire: str ? ValueType.Str : ValueType.Bytes,
      };
    }
    return { kind: "scalar", expr: c, wire: wireType(c.type) };
  }

  /** A print table entry for the ExprError event of the expression at `span`. */
  #exprErrorPrint(span: Span): number {
    const text = this.#text(span);
    const printId = this.prints.length;
    this.prints.push({
      printId,
      traceId: this.traceId,
      format: parseFormat(`ExprError: ${text.replace(/[{}]/g, (c) => c + c)} {}`),
      argTypes: [ValueType.I64],
      views: [undefined],
      text,
      kind: "exprError",
    });
    return printId;
  }

  /** Gives every built-in call inside a print argument its ExprError event. */
  #guardCalls(e: RScalar): void {
    switch (e.kind) {
      case "call":
        e.errorPrintId = this.#exprErrorPrint(e.span);
        for (const a of e.args) if (a.role === "int") this.#guardCalls(a.expr);
        return;
      case "unary":
      case "convert":
        return this.#guardCalls(e.operand);
      case "arith":
      case "compare":
      case "logical":
        this.#guardCalls(e.left);
        return this.#guardCalls(e.right);
    }
  }

  #addPrint(
    format: CompiledFormat,
    args: (RPrintArg & { view?: ValueView; wire: ValueType })[],
    span: Span,
  ): RStmt {
    const printId = this.prints.length;
    this.prints.push({
      printId,
      traceId: this.traceId,
      format,
      argTypes: args.map((a) => a.wire),
      views: args.map((a) => a.view),
      text: this.r.source.slice(span.start, span.end),
    });
    for (const a of args) if (a.kind === "scalar") this.#guardCalls(a.expr);
    return {
      kind: "print",
      printId,
      args: args.map(({ view: _v, wire: _w, ...a }) => a as RPrintArg),
      span,
    };
  }

  // ---------------------------------------------------------------- expressions

  /** `c` as a number: program values are read / converted; errors at `c`'s span. */
  #scalar(c: RExpr): RScalar {
    if (c.kind === "string") throw this.#stringMisuse(c.span);
    if (c.kind === "bytes") throw this.#bytesMisuse(c);
    if (c.kind !== "program") return c;
    try {
      const s = toScalar(c.first, c.text);
      return {
        kind: "value",
        value: c.path,
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

  #scalarExpr(e: Expr): RScalar {
    return this.#scalar(this.#expr(e));
  }

  /** An integer operand (`what` names its role in messages). */
  #integer(c: RExpr, what: string): RScalar {
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
  #object(e: Expr, op: string): PValue {
    const c = this.#expr(e);
    if (c.kind === "program") return c;
    if (c.kind === "string") throw this.#stringMisuse(c.span);
    if (c.kind === "bytes") throw this.#bytesMisuse(c);
    const text = this.#text(e.span);
    throw this.r.error(
      e.span,
      `'${op}' applies to program variables, but '${text}' is a script value (${c.type})`,
    );
  }

  #stringMisuse(span: Span) {
    return this.r.error(
      span,
      'string literals can only be used as the format string of print (print "...", args) ' +
        "or as arguments of string functions",
    );
  }

  #bytesMisuse(c: { span: Span; text: string }) {
    return this.r.error(
      c.span,
      `'${c.text}' is a byte string: it can only be compared with memcmp(..)`,
    );
  }

  #text(span: Span): string {
    return this.r.source.slice(span.start, span.end).replace(/\s+/g, " ");
  }

  /** A program value built by `f` at the first site; `path` records the operation. */
  #pvalue(
    span: Span,
    f: () => DValue,
    path: (type: DValue["type"], text: string) => RValue,
    errorSpan: Span = span,
  ): PValue {
    try {
      const first = f();
      const text = this.#text(span);
      return { kind: "program", path: path(first.type, text), first, text, span };
    } catch (e) {
      if (e instanceof ValueError) throw this.r.error(errorSpan, e.message);
      throw e;
    }
  }

  #expr(e: Expr): RExpr {
    switch (e.kind) {
      case "int":
        return { kind: "const", value: e.value, type: "i64", span: e.span, literal: true };
      case "bool":
        return { kind: "const", value: e.value ? 1n : 0n, type: "bool", span: e.span };
      case "string":
        return { kind: "string", value: e.value, span: e.span };
      case "builtin":
        return this.#builtin(e.name, e.span);
      case "ident":
        return this.#ident(e.name, e.span);
      case "unary": {
        const operand = this.#scalarExpr(e.operand);
        const op = UNARY_OPERATORS.get(e.op)!;
        if (op === "not") return { kind: "unary", op, operand, type: "bool", span: e.span };
        if (operand.type === "ptr") {
          throw this.r.error(
            e.span,
            op === "neg" ? "cannot negate a pointer" : "'~' applies to integers, not pointers",
          );
        }
        const from = cintOf(operand);
        const type = operand.type === "u64" ? "u64" : "i64";
        return { kind: "unary", op, operand, type, span: e.span, cint: from };
      }
      case "binary":
        return this.#binary(e);
      case "member": {
        const obj = this.#object(e.object, e.arrow ? "->" : ".");
        return this.#pvalue(
          e.span,
          () => memberValue(obj.first, e.name, e.arrow, obj.text),
          (type, text) => ({
            kind: "member",
            object: obj.path,
            name: e.name,
            arrow: e.arrow,
            nameSpan: e.nameSpan,
            type,
            text,
            span: e.span,
          }),
          e.nameSpan,
        );
      }
      case "index": {
        const obj = this.#object(e.object, "[]");
        const idx = this.#integer(this.#expr(e.index), "an index");
        const constant = constantOf(idx);
        const firstIdx: IrExpr = constant !== undefined
          ? { kind: "const", value: constant }
          : { kind: "unavailable", status: 0 };
        return this.#pvalue(
          e.span,
          () => indexValue(obj.first, { expr: firstIdx, constant }, obj.text),
          (type, text) => ({
            kind: "index",
            object: obj.path,
            index: idx,
            constant,
            indexSpan: e.index.span,
            type,
            text,
            span: e.span,
          }),
          constant !== undefined ? e.index.span : e.span,
        );
      }
      case "deref": {
        const obj = this.#object(e.operand, "*");
        return this.#pvalue(
          e.span,
          () => deref(obj.first, obj.text),
          (type, text) => ({ kind: "deref", operand: obj.path, type, text, span: e.span }),
        );
      }
      case "addr": {
        const obj = this.#object(e.operand, "&");
        return this.#pvalue(
          e.span,
          () => addressOf(obj.first, obj.text),
          (type, text) => ({ kind: "addr", operand: obj.path, type, text, span: e.span }),
        );
      }
      case "call":
        return this.#call(e);
    }
  }

  #builtin(name: string, span: Span): RExpr {
    const b = builtinVariable(name);
    if (b === undefined) {
      const names = VARIABLES.map((v) => `$${v.name}`);
      const hint = didYouMean(`$${name}`, names);
      const known = hint ? "" : ` (builtins: ${names.join(" ")})`;
      throw this.r.error(span, `unknown builtin '$${name}'${hint}${known}`);
    }
    const v = b.value({ inputPid: this.opts.inputPid, returnBlock: this.returnBlock });
    switch (v.kind) {
      case "error":
        throw this.r.error(span, v.message);
      case "program":
        return this.#programBuiltin(`$${name}`, span);
      case "var":
        return { kind: "var", id: v.id, name: `$${name}`, type: b.type, span };
      case "const":
        return { kind: "const", value: v.value, type: b.type, span };
      case "ir":
        return { kind: "builtin", builtin: v.builtin, type: b.type, span };
    }
  }

  /** A `$name` the variable resolver types (`$retval`, `$func`). */
  #programBuiltin(name: string, span: Span): RExpr {
    let resolved: ResolvedVariable | undefined;
    try {
      resolved = this.found.get(name) ?? this.opts.resolveVariable.resolve(name, this.ctx);
    } catch (e) {
      if (e instanceof VariableError) throw this.r.error(span, e.message);
      throw e;
    }
    if (resolved === undefined || !("value" in resolved)) {
      throw this.r.error(span, `'${name}' needs the target's debug info (DWARF), which is missing`);
    }
    this.programVariables = true;
    this.found.set(name, resolved);
    const path: RValue = { kind: "variable", name, type: resolved.value.type, text: name, span };
    return { kind: "program", path, first: resolved.value, text: name, span };
  }

  /** `entry(x)`: parameter `x` as captured by the block's entry program. */
  #entry(e: Expr & { kind: "call" }): RExpr {
    if (!this.returnBlock) {
      throw this.r.error(
        e.span,
        "'entry(x)' is only available in a return block (trace FUNCTION:return { ... })",
      );
    }
    const arg = e.args[0];
    if (e.args.length !== 1 || arg.kind !== "ident") {
      throw this.r.error(
        e.args.length === 1 ? arg.span : e.span,
        "entry(x) takes the name of one parameter of the function",
      );
    }
    const name = arg.name;
    const resolver = this.opts.resolveVariable;
    this.#capturing = true;
    try {
      return this.#entryOf(e, name, arg.span, resolver);
    } finally {
      this.#capturing = false;
    }
  }

  #entryOf(
    e: Expr & { kind: "call" },
    name: string,
    argSpan: Span,
    resolver: VariableResolver,
  ): RExpr {
    const arg = { span: argSpan };
    const kind = resolver.variableKind?.(name, this.ctx);
    const fn = resolver.functionName?.(this.ctx) ?? "the function";
    if (kind === "local") {
      throw this.r.error(
        arg.span,
        `entry(${name}): '${name}' is a local variable of ${fn}, not a parameter (entry() ` +
          "captures parameters as they were when the function was entered)",
      );
    }
    if (kind === "global") {
      throw this.r.error(
        arg.span,
        `entry(${name}): '${name}' is a global, not a parameter of ${fn} (read it directly)`,
      );
    }
    let capture = this.captures.find((c) => c.name === name);
    if (!capture) {
      const c = this.#ident(name, arg.span);
      if (c.kind !== "program") {
        throw this.r.error(arg.span, `entry(${name}): '${name}' is not a parameter of ${fn}`);
      }
      let scalar: RScalar;
      try {
        scalar = this.#scalar(c);
      } catch {
        throw this.r.error(
          arg.span,
          `entry(${name}): '${name}' is not a number or a pointer; entry() captures scalars ` +
            "(capture a pointer to it and read the members at return)",
        );
      }
      if (this.captures.length >= MAX_ENTRY_CAPTURES - 1) {
        throw this.r.error(
          e.span,
          `a return block can capture at most ${MAX_ENTRY_CAPTURES - 1} parameters with entry()`,
        );
      }
      if (scalar.kind !== "value") {
        throw this.r.error(arg.span, `entry(${name}): '${name}' is not a parameter of ${fn}`);
      }
      capture = { id: ENTRY_VAR_BASE + this.captures.length, name, value: scalar, span: arg.span };
      this.captures.push(capture);
    }
    const dtype = capture.value.kind === "value" ? capture.value.dtype : undefined;
    const text = `entry(${name})`;
    return {
      kind: "program",
      path: { kind: "letValue", id: capture.id, type: dtype!, text, span: e.span },
      first: { kind: "scalar", type: dtype!, expr: { kind: "var", id: capture.id } },
      text,
      span: e.span,
    };
  }

  #call(e: Expr & { kind: "call" }): RExpr {
    if (e.name === "entry") return this.#entry(e);
    if (e.name === CAST) return this.#cast(e);
    const fn = builtinFunction(e.name);
    if (!fn) {
      const names = [...FUNCTIONS.map((f) => f.name), CAST];
      const hint = didYouMean(e.name, names);
      const known = hint ? "" : ` (functions: ${names.join(", ")})`;
      throw this.r.error(e.nameSpan, `unknown function '${e.name}'${hint}${known}`);
    }
    const { min, max } = arity(fn);
    if (e.args.length < min || e.args.length > max) {
      const want = min === max ? `${min}` : `${min} or ${max}`;
      throw this.r.error(
        e.span,
        `${fn.name} takes ${want} argument${max === 1 ? "" : "s"} (${fn.usage}), but ${
          plural(e.args.length, "argument")
        } ${e.args.length === 1 ? "was" : "were"} given`,
      );
    }
    const args = fn.params.map((_, i): RCallArg =>
      i < e.args.length
        ? this.#callArg(fn, i, e.args[i])
        : { role: "absent", info: { role: "absent" } }
    );
    const infos = args.map((a) => a.info);
    let folded;
    try {
      fn.check?.(infos);
      folded = fn.fold?.(infos);
    } catch (err) {
      if (err instanceof CallError) {
        const at = err.arg !== undefined ? e.args[err.arg]?.span ?? e.span : e.span;
        throw this.r.error(at, err.message);
      }
      throw err;
    }
    if (folded?.kind === "bytes") {
      return { kind: "bytes", bytes: folded.bytes, span: e.span, text: this.#text(e.span) };
    }
    if (fn.result === "bytes") {
      throw this.r.error(e.span, `${fn.name}(..) needs constant arguments`);
    }
    if (folded?.kind === "int") {
      return { kind: "const", value: folded.value, type: fn.result, span: e.span };
    }
    return { kind: "call", fn, args, type: fn.result, span: e.span };
  }

  /** `cast(expr, "TYPE")`: a program value of that type (see `castTo`). */
  #cast(e: Expr & { kind: "call" }): PValue {
    if (e.args.length !== 2) {
      throw this.r.error(
        e.span,
        `cast takes 2 arguments (cast(expr, "TYPE")), but ${plural(e.args.length, "argument")} ` +
          `${e.args.length === 1 ? "was" : "were"} given`,
      );
    }
    const [what, typeArg] = e.args;
    if (typeArg.kind !== "string") {
      throw this.r.error(
        typeArg.span,
        'argument 2 of cast (TYPE) must be a string literal naming a type, e.g. "struct node *"',
      );
    }
    const target = this.#typeNamed(typeArg.value, typeArg.span);
    const operand = this.#expr(what);
    if (operand.kind === "string") throw this.#stringMisuse(operand.span);
    if (operand.kind === "bytes") throw this.#bytesMisuse(operand);
    const text = this.#text(e.span);
    if (operand.kind === "program") {
      return this.#pvalue(
        e.span,
        () => castTo(operand.first, target, operand.text),
        (type) => ({ kind: "cast", operand: operand.path, type, text, span: e.span }),
      );
    }
    const src: DValue = {
      kind: "scalar",
      type: scriptValueType(operand.type),
      expr: { kind: "const", value: 0n },
    };
    return this.#pvalue(
      e.span,
      () => castTo(src, target, text),
      (type) => ({ kind: "castScript", operand, type, text, span: e.span }),
    );
  }

  /** The DWARF type a cast's type string names (errors at the string). */
  #typeNamed(spelling: string, span: Span): DwarfType {
    const s = parseTypeSpelling(spelling);
    if (typeof s === "string") throw this.r.error(span, `cast: "${spelling}" is not a type (${s})`);
    let base = isShortSpelling(s) ? builtinType(s, false) : undefined;
    if (!base) {
      const found = this.opts.resolveVariable.findType?.(s, this.ctx);
      // a C base spelling (int32_t) defined by several other modules is the built-in one
      const builtin = builtinType(s, true);
      if (found?.ok) base = found.type;
      else if (found && found.reason === "ambiguous" && !builtin) {
        const name = s.tag ? `${s.tag} ${s.name}` : s.name;
        throw this.r.error(
          span,
          `cast: type '${name}' is ambiguous: it is defined in ${found.modules.length} other ` +
            `modules (${found.modules.join(", ")}) and not in the probed one`,
        );
      } else base = builtin;
    }
    if (!base) {
      const name = s.tag ? `${s.tag} ${s.name}` : s.name;
      throw this.r.error(span, `cast: type '${name}' was not found in the debug info`);
    }
    return applyDeclarator(base, s);
  }

  #callArg(fn: BuiltinFunction, i: number, a: Expr): RCallArg {
    const param = fn.params[i];
    const c = this.#expr(a);
    const where = `argument ${i + 1} of ${fn.name} (${param.name})`;
    switch (param.role) {
      case "parameter":
        throw this.r.error(a.span, `${where}: only entry(x) takes a parameter name`);
      case "int":
      case "intLiteral": {
        if (c.kind === "string" || c.kind === "bytes") {
          throw this.r.error(a.span, `${where} must be an integer, not a string`);
        }
        const expr = this.#integer(c, where);
        const constant = constantOf(expr);
        if (param.role === "intLiteral" && constant === undefined) {
          throw this.r.error(a.span, `${where} must be an integer literal`);
        }
        return { role: "int", expr, info: { role: "int", constant } };
      }
      case "string":
        if (c.kind !== "string") {
          throw this.r.error(a.span, `${where} must be a string literal`);
        }
        return { role: "string", info: { role: "string", value: c.value } };
      case "memory":
      case "text": {
        if (c.kind === "string") {
          if (param.role !== "text") {
            throw this.r.error(
              a.span,
              `${where} must be a pointer, an array or hex("..") (compare strings with ` +
                "strncmp or starts_with)",
            );
          }
          const info: ResolvedArg = {
            role: "bytes",
            bytes: stringBytes(c.value),
            fromString: true,
          };
          return { role: "bytes", info };
        }
        if (c.kind === "bytes") {
          return { role: "bytes", info: { role: "bytes", bytes: c.bytes, fromString: false } };
        }
        const kinds = param.role === "text"
          ? "a string, a pointer or an array"
          : 'a pointer, an array or hex("..")';
        if (c.kind === "program") {
          const t = stripType(c.first.type);
          if (t.kind !== "pointer" && t.kind !== "array") {
            throw this.r.error(
              a.span,
              `${where} must be ${kinds}, but '${c.text}' is ${typeText(c.first.type)}`,
            );
          }
          const size = t.kind === "array" && t.count !== undefined ? t.count : undefined;
          return {
            role: "memory",
            value: c.path,
            info: { role: "memory", size, what: c.text },
          };
        }
        throw this.r.error(
          a.span,
          `${where} must be ${kinds}, not a script value (${c.type}); the expression is not a ` +
            "pointer/address",
        );
      }
    }
  }

  #ident(name: string, span: Span): RExpr {
    const b = this.#lookup(name);
    if (b) {
      if (b.str !== undefined) return { kind: "string", value: b.str, span };
      if (b.value) return { ...b.value, text: name, span };
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
    let resolved = this.found.get(name);
    try {
      resolved ??= resolver.resolve(name, this.ctx);
    } catch (e) {
      if (e instanceof VariableError) throw this.r.error(span, e.message);
      throw e;
    }
    if (resolved && this.returnBlock && !this.#capturing) {
      const kind = resolver.variableKind?.(name, this.ctx);
      if (kind === "parameter" || kind === "local") {
        const fn = resolver.functionName?.(this.ctx) ?? "the function";
        throw this.r.error(
          span,
          kind === "parameter"
            ? `'${name}' is a parameter of ${fn}: in a return block read it as it was at entry ` +
              `with entry(${name})`
            : `'${name}' is a local variable of ${fn}, which no longer exists when it returns`,
        );
      }
    }
    if (resolved) {
      this.programVariables = true;
      this.found.set(name, resolved);
      if ("value" in resolved) {
        const path: RValue = {
          kind: "variable",
          name,
          type: resolved.value.type,
          text: name,
          span,
        };
        return { kind: "program", path, first: resolved.value, text: name, span };
      }
      return { kind: "external", name, type: resolved.type, span };
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
  #pointerArith(e: Expr & { kind: "binary" }, l: RExpr, r: RExpr): RExpr | undefined {
    if (isPointerLike(l) && isPointerLike(r)) {
      if (e.op !== "-" || l.kind !== "program" || r.kind !== "program") return undefined;
      try {
        pointerDiff(l.first, r.first, l.text, r.text);
      } catch (err) {
        if (err instanceof ValueError) throw this.r.error(e.span, err.message);
        throw err;
      }
      return {
        kind: "ptrDiff",
        left: l.path,
        right: r.path,
        type: "i64",
        span: e.span,
        cint: LONG,
      };
    }
    const [ptr, n] = isPointerLike(l) ? [l, r] : [r, l];
    if (ptr.kind !== "program" || (e.op === "-" && ptr !== l)) return undefined;
    const idx = this.#integer(n, `the offset added to '${ptr.text}'`);
    const negate = e.op === "-";
    const probe: IrExpr = { kind: "const", value: constantOf(idx) ?? 0n };
    return this.#pvalue(
      e.span,
      () => pointerAdd(ptr.first, probe, negate, ptr.text),
      (type, text) => ({
        kind: "ptrAdd",
        ptr: ptr.path,
        offset: idx,
        negate,
        type,
        text,
        span: e.span,
      }),
      e.span,
    );
  }

  /** Brings both operands to their C common type when a program value is involved. */
  #common(left: RScalar, right: RScalar): { left: RScalar; right: RScalar; cint?: CInt } {
    const lc = cintOf(left);
    const rc = cintOf(right);
    if (!lc && !rc) return { left, right };
    const typeOf = (c: RScalar, own: CInt | undefined): CInt =>
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
    const conv = (c: RScalar, from: CInt): RScalar =>
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

  /** `s == "lit"` / `s != "lit"` for a C string `s` (see {@link STRING_EQUALS}). */
  #stringCompare(
    e: Expr & { kind: "binary" },
    l: RExpr,
    r: RExpr,
    op: string,
  ): RScalar {
    if (op !== "eq" && op !== "ne") {
      throw this.r.error(e.opSpan, `strings can only be compared with '==' and '!='`);
    }
    const arg = (c: RExpr, x: Expr): RCallArg => {
      if (c.kind === "string") {
        return {
          role: "bytes",
          info: { role: "bytes", bytes: stringBytes(c.value), fromString: true },
        };
      }
      if (c.kind === "program") {
        const t = stripType(c.first.type);
        const element = t.kind === "pointer"
          ? t.target
          : t.kind === "array"
          ? t.element
          : undefined;
        if (element && isStringElement(element)) {
          const size = t.kind === "array" && t.count !== undefined ? t.count : undefined;
          return { role: "memory", value: c.path, info: { role: "memory", size, what: c.text } };
        }
        throw this.r.error(
          x.span,
          `a string literal can only be compared with a C string (char * or char[N]), but ` +
            `'${c.text}' is ${typeText(c.first.type)}`,
        );
      }
      throw this.r.error(
        x.span,
        "a string literal can only be compared with a C string (char * or char[N]) of the program",
      );
    };
    const args = [arg(l, e.left), arg(r, e.right)];
    const folded = STRING_EQUALS.fold?.(args.map((a) => a.info));
    let eq: RScalar = folded?.kind === "int"
      ? { kind: "const", value: folded.value, type: "bool", span: e.span }
      : { kind: "call", fn: STRING_EQUALS, args, type: "bool", span: e.span };
    if (op === "ne") eq = { kind: "unary", op: "not", operand: eq, type: "bool", span: e.span };
    return eq;
  }

  /**
   * `a << b`, `a >> b`: the result has the (promoted) type of `a` alone, like C; `>>` is
   * arithmetic on a signed `a`.
   */
  #shift(op: "shl" | "shr", left: RScalar, right: RScalar, span: Span): RScalar {
    const lc = cintOf(left);
    const rc = cintOf(right);
    if (!lc && !rc) {
      const type = left.type === "u64" ? "u64" : "i64";
      return { kind: "arith", op, signed: type === "i64", left, right, type, span };
    }
    const cint = lc ?? (isLiteral(left) ? literalCInt(literalValue(left)) : LONG);
    const type = cint.signed ? "i64" : "u64";
    return { kind: "arith", op, signed: cint.signed, left, right, type, span, cint };
  }

  #binary(e: Expr & { kind: "binary" }): RExpr {
    const info = BINARY_OPERATORS.get(e.op);
    if (!info) throw this.r.error(e.opSpan, `unsupported operator '${e.op}'`);
    const l = this.#expr(e.left);
    const r = this.#expr(e.right);
    const span = e.span;
    if ((e.op === "+" || e.op === "-") && (isPointerLike(l) || isPointerLike(r))) {
      const p = this.#pointerArith(e, l, r);
      if (p) return p;
    }
    const operator = info.operator;
    if ((l.kind === "string" || r.kind === "string") && operator.kind === "compare") {
      return this.#stringCompare(e, l, r, operator.op);
    }
    const left0 = this.#scalar(l);
    if (operator.kind === "logical") {
      // `1 || x`, `0 && x`: x is never evaluated (whatever it is), the result is known
      const k = constantOf(left0);
      if (k !== undefined && (k !== 0n) === (operator.op === "or")) {
        return { kind: "const", value: operator.op === "or" ? 1n : 0n, type: "bool", span };
      }
    }
    const right0 = this.#scalar(r);
    switch (operator.kind) {
      case "logical":
        return { kind: "logical", op: operator.op, left: left0, right: right0, type: "bool", span };
      case "arith": {
        const op = operator.op;
        for (const side of [left0, right0]) {
          if (side.type === "ptr") {
            throw this.r.error(side.span, `pointer arithmetic ('${e.op}') is not supported yet`);
          }
        }
        if ((op === "div" || op === "mod") && right0.kind === "const" && right0.value === 0n) {
          throw this.r.error(
            right0.span,
            op === "div" ? "division by zero" : "remainder by zero ('%' with 0)",
          );
        }
        if (op === "shl" || op === "shr") return this.#shift(op, left0, right0, span);
        const { left, right, cint } = this.#common(left0, right0);
        const type = cint
          ? (cint.signed ? "i64" : "u64")
          : left.type === "u64" || right.type === "u64"
          ? "u64"
          : "i64";
        return { kind: "arith", op, signed: type === "i64", left, right, type, span, cint };
      }
      case "compare": {
        const cmp = operator.op;
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
    }
  }
}

/** True when evaluating `e` may fail at run time (it reads program memory or calls). */
function mayFail(e: RScalar): boolean {
  switch (e.kind) {
    case "value":
    case "ptrDiff":
    case "external":
    case "call":
      return true;
    case "var":
      // a script variable computed from program values carries their failure
      return e.cint !== undefined;
    case "unary":
    case "convert":
      return mayFail(e.operand);
    case "arith":
    case "compare":
    case "logical":
      return mayFail(e.left) || mayFail(e.right);
    default:
      return false;
  }
}

/** The dump length to plan the first site with (a run-time length as a placeholder). */
function firstSiteLength(length: RLength | undefined) {
  if (length === undefined) return undefined;
  if ("fixed" in length) return length;
  return { expr: { kind: "const", value: 0n } as IrExpr };
}

/** A program pointer or array (which decays to a pointer in arithmetic). */
function isPointerLike(c: RExpr): boolean {
  if (c.kind !== "program") return false;
  const k = stripType(c.first.type).kind;
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
