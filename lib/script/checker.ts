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

import { IrBuiltin } from "../../bpf/ir.ts";
import type { ValueType } from "../../bpf/wire.ts";
import type { BinaryOp, Block, Expr, Stmt, TraceTarget } from "./ast.ts";
import { didYouMean, lineCol, type Reporter, type Span } from "./diagnostics.ts";
import { type CompiledFormat, FormatError, parseFormat, valueFormat } from "./format.ts";
import type { ResolvedVariable, VariableContext, VariableResolver } from "./resolver.ts";
import { type ScriptType, wireType } from "./types.ts";
import type { Script } from "./ast.ts";

/** A typed expression. */
export type CExpr =
  | { kind: "const"; value: bigint; type: ScriptType; span: Span }
  | { kind: "builtin"; builtin: IrBuiltin; type: ScriptType; span: Span }
  | { kind: "var"; id: number; name: string; type: ScriptType; span: Span }
  | { kind: "external"; name: string; resolved: ResolvedVariable; type: ScriptType; span: Span }
  | { kind: "unary"; op: "neg" | "not"; operand: CExpr; type: ScriptType; span: Span }
  | {
    kind: "arith";
    op: "add" | "sub" | "mul" | "div" | "mod";
    signed: boolean;
    left: CExpr;
    right: CExpr;
    type: ScriptType;
    span: Span;
  }
  | {
    kind: "compare";
    op: "eq" | "ne" | "lt" | "le" | "gt" | "ge";
    signed: boolean;
    left: CExpr;
    right: CExpr;
    type: "bool";
    span: Span;
  }
  | { kind: "logical"; op: "and" | "or"; left: CExpr; right: CExpr; type: "bool"; span: Span };

/** A checked statement. */
export type CStmt =
  | { kind: "let"; id: number; name: string; value: CExpr; span: Span }
  | { kind: "print"; printId: number; args: CExpr[]; span: Span }
  | { kind: "if"; cond: CExpr; then: CStmt[]; else: CStmt[]; span: Span };

/** What userspace needs to render the events of one `print`. */
export interface PrintInfo {
  printId: number;
  traceId: number;
  format: CompiledFormat;
  argTypes: ValueType[];
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
  id: number;
  name: string;
  type: ScriptType;
  span: Span;
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

/** Check and type a parsed script. Throws a {@link ScriptError} on the first problem. */
export function checkScript(script: Script, reporter: Reporter, opts: CheckOptions): CheckedScript {
  const prints: PrintInfo[] = [];
  const traces = script.traces.map((t, traceId) => {
    const c = new TraceChecker(reporter, opts, traceId, t.target, prints);
    return {
      traceId,
      target: t.target,
      targetText: t.targetText,
      span: t.span,
      body: c.checkBody(t.body),
    };
  });
  return { traces, prints };
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
  #nextId = 0;

  constructor(
    reporter: Reporter,
    opts: CheckOptions,
    traceId: number,
    target: TraceTarget,
    prints: PrintInfo[],
  ) {
    this.r = reporter;
    this.opts = opts;
    this.traceId = traceId;
    this.ctx = { traceId, target };
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
        const id = this.#nextId++;
        this.scopes[this.scopes.length - 1].set(s.name, {
          id,
          name: s.name,
          type: value.type,
          span: s.nameSpan,
        });
        return { kind: "let", id, name: s.name, value, span: s.span };
      }
      case "print": {
        const arg = this.#expr(s.expr);
        const text = this.r.source.slice(s.expr.span.start, s.expr.span.end).replace(/\s+/g, " ");
        return this.#addPrint(valueFormat(`${text} = `), [arg], s.span);
      }
      case "printf": {
        let format: CompiledFormat;
        try {
          format = parseFormat(s.format.value);
        } catch (e) {
          if (!(e instanceof FormatError)) throw e;
          const offs = s.format.offsets;
          const start = offs[e.index] ?? s.format.span.start;
          const last = offs[Math.min(e.index + e.length, offs.length - 1)] ?? start + 1;
          throw this.r.error({ start, end: Math.max(last, start + 1) }, e.message);
        }
        const args = s.args.map((a) => this.#expr(a));
        const want = format.convs.length;
        if (want !== args.length) {
          throw this.r.error(
            s.format.span,
            `format string has ${plural(want, "placeholder")} but ${
              plural(args.length, "argument")
            } ` +
              `${args.length === 1 ? "was" : "were"} given`,
          );
        }
        return this.#addPrint(format, args, s.span);
      }
      case "if": {
        const cond = this.#expr(s.cond);
        const then = this.#block(s.then);
        const otherwise = s.otherwise ? this.#block(s.otherwise) : [];
        return { kind: "if", cond, then, else: otherwise, span: s.span };
      }
    }
  }

  #addPrint(format: CompiledFormat, args: CExpr[], span: Span): CStmt {
    const printId = this.prints.length;
    this.prints.push({
      printId,
      traceId: this.traceId,
      format,
      argTypes: args.map((a) => wireType(a.type)),
      text: this.r.source.slice(span.start, span.end),
    });
    return { kind: "print", printId, args, span };
  }

  // ---------------------------------------------------------------- expressions

  #expr(e: Expr): CExpr {
    switch (e.kind) {
      case "int":
        return { kind: "const", value: e.value, type: "i64", span: e.span };
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
        const operand = this.#expr(e.operand);
        if (e.op === "!") return { kind: "unary", op: "not", operand, type: "bool", span: e.span };
        if (operand.type === "ptr") {
          throw this.r.error(e.span, "cannot negate a pointer");
        }
        const type = operand.type === "u64" ? "u64" : "i64";
        return { kind: "unary", op: "neg", operand, type, span: e.span };
      }
      case "binary":
        return this.#binary(e);
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
    if (b) return { kind: "var", id: b.id, name, type: b.type, span };

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

    const resolved = this.opts.resolveVariable.resolve(name, this.ctx);
    if (resolved) return { kind: "external", name, resolved, type: resolved.type, span };

    const visible: string[] = [];
    for (const s of this.scopes) visible.push(...s.keys());
    const fromResolver = this.opts.resolveVariable.candidates?.(this.ctx) ?? [];
    throw this.r.error(
      span,
      `unknown variable '${name}'${didYouMean(name, [...visible, ...fromResolver])}`,
    );
  }

  #binary(e: Expr & { kind: "binary" }): CExpr {
    const left = this.#expr(e.left);
    const right = this.#expr(e.right);
    const span = e.span;
    if (e.op === "&&" || e.op === "||") {
      return { kind: "logical", op: e.op === "&&" ? "and" : "or", left, right, type: "bool", span };
    }
    const arith = ARITH[e.op];
    if (arith) {
      for (const side of [left, right]) {
        if (side.type === "ptr") {
          throw this.r.error(side.span, `pointer arithmetic ('${e.op}') is not supported yet`);
        }
      }
      if ((arith === "div" || arith === "mod") && right.kind === "const" && right.value === 0n) {
        throw this.r.error(
          right.span,
          arith === "div" ? "division by zero" : "remainder by zero ('%' with 0)",
        );
      }
      const type = left.type === "u64" || right.type === "u64" ? "u64" : "i64";
      return { kind: "arith", op: arith, signed: type === "i64", left, right, type, span };
    }
    const cmp = COMPARE[e.op];
    if (cmp) {
      if ((left.type === "ptr" || right.type === "ptr") && cmp !== "eq" && cmp !== "ne") {
        throw this.r.error(e.opSpan, `pointers can only be compared with '==' and '!='`);
      }
      const signed = !(left.type === "u64" || right.type === "u64" || left.type === "ptr" ||
        right.type === "ptr");
      return { kind: "compare", op: cmp, signed, left, right, type: "bool", span };
    }
    throw this.r.error(e.opSpan, `unsupported operator '${e.op}'`);
  }
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
