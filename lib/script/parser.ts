/**
 * Recursive-descent parser: tokens -> {@link Script}.
 *
 * ```
 * script    := trace+
 * trace     := 'trace' TARGET block
 * block     := '{' stmt* '}'
 * stmt      := 'print' STRING (',' expr)* ';' | 'print' expr ';' | 'let' IDENT '=' expr ';'
 *            | 'if' expr block ('else' (if | block))?
 * expr      := binary operators by C precedence (operators.ts), lowest first:
 *              '||' < '&&' < '|' < '^' < '&' < '==' '!=' < '<' '<=' '>' '>=' < '<<' '>>'
 *              < '+' '-' < '*' '/' '%'
 * unary     := ('-'|'!'|'~'|'*'|'&') unary | postfix
 * postfix   := primary ('.' IDENT | '->' IDENT | '[' expr ']')*
 * primary   := INT | 'true' | 'false' | STRING | BUILTIN | IDENT '(' args? ')' | IDENT
 *            | '(' expr ')'
 * args      := expr (',' expr)*
 * ```
 * @module
 */

import type { BinaryOp, Block, Expr, Script, Stmt, TraceBlock, TraceTarget } from "./ast.ts";
import { Reporter, type Span } from "./diagnostics.ts";
import { type Token, tokenize, TokKind } from "./lexer.ts";
import { BINARY_OPERATORS, MIN_PRECEDENCE } from "./operators.ts";

const TARGET_FORMS = "a function name, file:line, 0xADDR or module:0xADDR";
const TARGET_HELP = `expected ${TARGET_FORMS}`;

/** Parse a script; throws a {@link ScriptError} on the first syntax error. */
export function parseScript(source: string, sourceName = "script"): Script {
  const reporter = new Reporter(source, sourceName);
  return new Parser(tokenize(source, reporter), reporter).script();
}

/** Classify a raw trace target; undefined if it is none of the accepted forms. */
export function parseTarget(text: string): TraceTarget | undefined {
  if (text.endsWith(":return")) {
    const inner = parseTarget(text.slice(0, -":return".length));
    return inner?.kind === "function" && !inner.ret ? { ...inner, ret: true } : undefined;
  }
  let m = /^0x([0-9a-fA-F]+)$/.exec(text);
  if (m) return { kind: "address", address: BigInt("0x" + m[1]) };
  m = /^(.+):0x([0-9a-fA-F]+)$/.exec(text);
  if (m) return { kind: "address", module: m[1], address: BigInt("0x" + m[2]) };
  m = /^(.+):([0-9]+)$/.exec(text);
  if (m) {
    const line = Number(m[2]);
    return line > 0 && Number.isSafeInteger(line) ? { kind: "line", file: m[1], line } : undefined;
  }
  if (/^[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)*\*?$/.test(text)) {
    return { kind: "function", name: text };
  }
  return undefined;
}

function describe(t: Token): string {
  switch (t.kind) {
    case TokKind.Eof:
      return "end of script";
    case TokKind.String:
      return "a string";
    case TokKind.Int:
      return `'${t.text}'`;
    default:
      return `'${t.text}'`;
  }
}

class Parser {
  #pos = 0;
  readonly toks: Token[];
  readonly r: Reporter;

  constructor(toks: Token[], reporter: Reporter) {
    this.toks = toks;
    this.r = reporter;
  }

  get #peek(): Token {
    return this.toks[this.#pos];
  }

  #next(): Token {
    const t = this.toks[this.#pos];
    if (t.kind !== TokKind.Eof) this.#pos++;
    return t;
  }

  #is(text: string, kind?: TokKind): boolean {
    const t = this.#peek;
    return t.text === text && (kind === undefined || t.kind === kind) &&
      (t.kind === TokKind.Punct || t.kind === TokKind.Keyword);
  }

  #expect(text: string, context: string): Token {
    if (!this.#is(text)) {
      throw this.r.error(
        this.#peek.span,
        `expected '${text}' ${context}, found ${describe(this.#peek)}`,
      );
    }
    return this.#next();
  }

  script(): Script {
    const traces: TraceBlock[] = [];
    while (this.#peek.kind !== TokKind.Eof) {
      if (!this.#is("trace", TokKind.Keyword)) {
        throw this.r.error(
          this.#peek.span,
          `expected 'trace <target> { ... }' at top level, found ${describe(this.#peek)}`,
        );
      }
      traces.push(this.#trace());
    }
    if (traces.length === 0) {
      throw this.r.error(
        this.#peek.span,
        "empty script: expected at least one 'trace <target> { ... }'",
      );
    }
    return { traces };
  }

  #trace(): TraceBlock {
    const kw = this.#next();
    const t = this.#peek;
    if (t.kind !== TokKind.Target) {
      throw this.r.error(t.span, `expected a trace target after 'trace' (${TARGET_FORMS})`);
    }
    this.#next();
    const target = parseTarget(t.text);
    if (!target && t.text.endsWith(":return")) {
      const inner = parseTarget(t.text.slice(0, -":return".length));
      const what = inner?.kind === "address"
        ? "an address"
        : inner?.kind === "line"
        ? "a source line"
        : `'${t.text.slice(0, -":return".length)}'`;
      throw this.r.error(
        t.span,
        `':return' needs a function name (a uretprobe fires when a function returns), but ` +
          `${what} is not one`,
      );
    }
    if (!target) throw this.r.error(t.span, `invalid trace target '${t.text}' (${TARGET_HELP})`);
    const body = this.#block("to open the trace body");
    return { target, targetText: t.text, targetSpan: t.span, body, span: span(kw.span, body.span) };
  }

  #block(context: string): Block {
    const open = this.#expect("{", context);
    const stmts: Stmt[] = [];
    while (!this.#is("}")) {
      if (this.#peek.kind === TokKind.Eof) {
        throw this.r.error(open.span, "unclosed '{': missing '}' before the end of the script");
      }
      stmts.push(this.#stmt());
    }
    const close = this.#next();
    return { stmts, span: span(open.span, close.span) };
  }

  #stmt(): Stmt {
    const t = this.#peek;
    if (t.kind === TokKind.Keyword) {
      switch (t.text) {
        case "print":
          return this.#print();
        case "let":
          return this.#let();
        case "if":
          return this.#if();
        case "trace":
          throw this.r.error(
            t.span,
            "'trace' blocks cannot be nested; close the current block first",
          );
        case "else":
          throw this.r.error(t.span, "'else' without a matching 'if'");
      }
    }
    if (t.kind === TokKind.Ident) {
      const after = this.toks[this.#pos + 1];
      if (after.kind === TokKind.Punct && after.text === "=") {
        throw this.r.error(
          span(t.span, after.span),
          `assignment is not supported: variables are immutable; use 'let ${t.text} = ...' to bind once`,
        );
      }
      if (t.text === "backtrace" || t.text === "bt") return this.#backtrace();
    }
    throw this.r.error(t.span, `expected a statement (print, let, if), found ${describe(t)}`);
  }

  #semicolon(what: string): Token {
    const t = this.#peek;
    if (!this.#is(";")) {
      // Point just after the previous token: that is where the ';' is missing.
      const prev = this.toks[this.#pos - 1];
      const at = prev ? prev.span.end : t.span.start;
      throw this.r.error(
        { start: at, end: at + 1 },
        `expected ';' after ${what}, found ${describe(t)}`,
      );
    }
    return this.#next();
  }

  #print(): Stmt {
    const kw = this.#next();
    const t = this.#peek;
    if (t.kind === TokKind.String) {
      this.#next();
      const args: Expr[] = [];
      while (this.#is(",")) {
        this.#next();
        args.push(this.#expr());
      }
      const semi = this.#semicolon("print");
      return {
        kind: "printf",
        format: { value: t.str ?? "", span: t.span, offsets: t.offsets ?? [] },
        args,
        span: span(kw.span, semi.span),
      };
    }
    if (t.kind === TokKind.Eof || this.#is(";")) {
      throw this.r.error(t.span, "expected a format string or an expression after 'print'");
    }
    const expr = this.#expr();
    const semi = this.#semicolon("print");
    return { kind: "print", expr, span: span(kw.span, semi.span) };
  }

  /** `bt [raw] [full] [inline|noinline];` (options in any order). */
  #backtrace(): Stmt {
    const kw = this.#next();
    const mode = { inline: true, full: false, raw: false };
    const seen = new Map<string, Token>();
    while (this.#peek.kind === TokKind.Ident) {
      const w = this.#next();
      if (!["raw", "full", "inline", "noinline"].includes(w.text)) {
        throw this.r.error(
          w.span,
          `unknown ${kw.text} option '${w.text}' (raw, full, inline, noinline)`,
        );
      }
      const clash = w.text === "inline" ? "noinline" : w.text === "noinline" ? "inline" : undefined;
      const other = clash === undefined ? undefined : seen.get(clash);
      if (other !== undefined) {
        throw this.r.error(w.span, `'${w.text}' contradicts '${other.text}'`);
      }
      seen.set(w.text, w);
      if (w.text === "raw") mode.raw = true;
      else if (w.text === "full") mode.full = true;
      else mode.inline = w.text === "inline";
    }
    const semi = this.#semicolon(kw.text);
    return { kind: "backtrace", mode, span: span(kw.span, semi.span) };
  }

  #let(): Stmt {
    const kw = this.#next();
    const name = this.#peek;
    if (name.kind !== TokKind.Ident) {
      throw this.r.error(
        name.span,
        `expected a variable name after 'let', found ${describe(name)}`,
      );
    }
    this.#next();
    this.#expect("=", `after 'let ${name.text}'`);
    const value = this.#expr();
    const semi = this.#semicolon("let");
    return {
      kind: "let",
      name: name.text,
      nameSpan: name.span,
      value,
      span: span(kw.span, semi.span),
    };
  }

  #if(): Stmt {
    const kw = this.#next();
    if (this.#is("{")) throw this.r.error(this.#peek.span, "expected a condition after 'if'");
    const cond = this.#expr();
    const then = this.#block("after the 'if' condition");
    let otherwise: Block | undefined;
    if (this.#is("else", TokKind.Keyword)) {
      this.#next();
      if (this.#is("if", TokKind.Keyword)) {
        const nested = this.#if();
        otherwise = { stmts: [nested], span: nested.span };
      } else {
        otherwise = this.#block("after 'else'");
      }
    }
    return { kind: "if", cond, then, otherwise, span: span(kw.span, (otherwise ?? then).span) };
  }

  // ---------------------------------------------------------------- expressions

  #expr(): Expr {
    return this.#binary(MIN_PRECEDENCE);
  }

  /** The binary operator at the cursor, if any. */
  #binaryOperator(): { spelling: BinaryOp; precedence: number } | undefined {
    const t = this.#peek;
    if (t.kind !== TokKind.Punct) return undefined;
    const info = BINARY_OPERATORS.get(t.text);
    return info ? { spelling: t.text as BinaryOp, precedence: info.precedence } : undefined;
  }

  /** Precedence climbing: operators of level `min` or tighter, left-associative. */
  #binary(min: number): Expr {
    let left = this.#unary();
    for (;;) {
      const op = this.#binaryOperator();
      if (!op || op.precedence < min) return left;
      const opTok = this.#next();
      const right = this.#binary(op.precedence + 1);
      left = {
        kind: "binary",
        op: op.spelling,
        left,
        right,
        span: span(left.span, right.span),
        opSpan: opTok.span,
      };
    }
  }

  #unary(): Expr {
    if (this.#is("-") || this.#is("!") || this.#is("~")) {
      const op = this.#next();
      const operand = this.#unary();
      return {
        kind: "unary",
        op: op.text as "-" | "!" | "~",
        operand,
        span: span(op.span, operand.span),
      };
    }
    if (this.#is("*") || this.#is("&")) {
      const op = this.#next();
      const operand = this.#unary();
      return {
        kind: op.text === "*" ? "deref" : "addr",
        operand,
        span: span(op.span, operand.span),
      };
    }
    return this.#postfix();
  }

  #postfix(): Expr {
    let e = this.#primary();
    for (;;) {
      if (this.#is(".") || this.#is("->")) {
        const op = this.#next();
        const name = this.#peek;
        if (name.kind !== TokKind.Ident) {
          throw this.r.error(
            name.span,
            `expected a member name after '${op.text}', found ${describe(name)}`,
          );
        }
        this.#next();
        e = {
          kind: "member",
          object: e,
          name: name.text,
          arrow: op.text === "->",
          nameSpan: name.span,
          span: span(e.span, name.span),
        };
      } else if (this.#is("[")) {
        this.#next();
        if (this.#is("]")) throw this.r.error(this.#peek.span, "expected an index inside '[ ]'");
        const index = this.#expr();
        if (!this.#is("]")) {
          throw this.r.error(
            this.#peek.span,
            `expected ']' to close '[', found ${describe(this.#peek)}`,
          );
        }
        const close = this.#next();
        e = { kind: "index", object: e, index, span: span(e.span, close.span) };
      } else {
        return e;
      }
    }
  }

  #primary(): Expr {
    const t = this.#peek;
    switch (t.kind) {
      case TokKind.Int:
        this.#next();
        return { kind: "int", value: t.int ?? 0n, span: t.span };
      case TokKind.String:
        this.#next();
        return { kind: "string", value: t.str ?? "", span: t.span };
      case TokKind.Builtin:
        this.#next();
        return { kind: "builtin", name: t.text.slice(1), span: t.span };
      case TokKind.Ident: {
        this.#next();
        if (this.#is("(")) return this.#call(t);
        return { kind: "ident", name: t.text, span: t.span };
      }
      case TokKind.Keyword:
        if (t.text === "true" || t.text === "false") {
          this.#next();
          return { kind: "bool", value: t.text === "true", span: t.span };
        }
        break;
      case TokKind.Punct:
        if (t.text === "(") {
          const open = this.#next();
          const inner = this.#expr();
          if (!this.#is(")")) {
            throw this.r.error(
              this.#peek.span,
              `expected ')' to match the '(' before, found ${describe(this.#peek)}`,
            );
          }
          const close = this.#next();
          // Keep the parentheses in the span so `print (a + b);` shows them.
          return { ...inner, span: span(open.span, close.span) } as Expr;
        }
        break;
    }
    throw this.r.error(t.span, `expected an expression, found ${describe(t)}`);
  }

  /** `name(args)`, the name already consumed. */
  #call(name: Token): Expr {
    this.#next();
    const args: Expr[] = [];
    if (!this.#is(")")) {
      for (;;) {
        args.push(this.#expr());
        if (!this.#is(",")) break;
        this.#next();
      }
    }
    if (!this.#is(")")) {
      throw this.r.error(
        this.#peek.span,
        `expected ',' or ')' in the call of '${name.text}', found ${describe(this.#peek)}`,
      );
    }
    const close = this.#next();
    return {
      kind: "call",
      name: name.text,
      nameSpan: name.span,
      args,
      span: span(name.span, close.span),
    };
  }
}

function span(a: Span, b: Span): Span {
  return { start: a.start, end: b.end };
}
