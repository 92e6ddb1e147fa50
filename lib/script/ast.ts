/**
 * Syntax tree of a GhostScope script, as the parser builds it. Every node carries its source
 * {@link Span} for diagnostics and for `print expr;` (which shows the expression's source text).
 * @module
 */

import type { Span } from "./diagnostics.ts";

/** Where a `trace` block attaches; resolution to addresses happens outside the compiler. */
export type TraceTarget =
  /**
   * `trace main`, `trace ns::f`, `trace handle_*` (wildcard kept in `name`); `ret` for
   * `trace main:return` (a uretprobe, with `$retval`, `$duration` and `entry(x)`).
   */
  | { kind: "function"; name: string; ret?: boolean }
  /** `trace file.c:42` (any path, matched by suffix elsewhere). */
  | { kind: "line"; file: string; line: number }
  /** `trace 0x401234` (module-relative PC) or `trace libc.so.6:0x1234` (`module` set). */
  | { kind: "address"; module?: string; address: bigint };

/** Binary operators, by source spelling (their meaning: `operators.ts`). */
export type BinaryOp =
  | "+"
  | "-"
  | "*"
  | "/"
  | "%"
  | "=="
  | "!="
  | "<"
  | "<="
  | ">"
  | ">="
  | "&&"
  | "||"
  | "&"
  | "|"
  | "^"
  | "<<"
  | ">>";

/** Unary operators, by source spelling. */
export type UnaryOp = "-" | "!" | "~";

/** An expression. */
export type Expr =
  | { kind: "int"; value: bigint; span: Span }
  | { kind: "bool"; value: boolean; span: Span }
  | { kind: "string"; value: string; span: Span }
  /** `$name` (without the `$` in `name`). */
  | { kind: "builtin"; name: string; span: Span }
  | { kind: "ident"; name: string; span: Span }
  | { kind: "unary"; op: UnaryOp; operand: Expr; span: Span }
  | { kind: "binary"; op: BinaryOp; left: Expr; right: Expr; span: Span; opSpan: Span }
  /** `object.name` (`arrow` false) or `object->name` (`arrow` true). */
  | { kind: "member"; object: Expr; name: string; arrow: boolean; nameSpan: Span; span: Span }
  /** `object[index]`. */
  | { kind: "index"; object: Expr; index: Expr; span: Span }
  /** `*operand`. */
  | { kind: "deref"; operand: Expr; span: Span }
  /** `&operand`. */
  | { kind: "addr"; operand: Expr; span: Span }
  /** `name(args)`: a built-in function (`builtins.ts`). */
  | { kind: "call"; name: string; nameSpan: Span; args: Expr[]; span: Span };

/** A format string with the source offset of each of its characters. */
export interface FormatLiteral {
  value: string;
  span: Span;
  /** Source offset of `value[i]` (escapes make it differ from `span.start + 1 + i`); one more
   * entry for the end of the literal. */
  offsets: number[];
}

/** A statement. */
export type Stmt =
  /** `print "fmt", args...;` */
  | { kind: "printf"; format: FormatLiteral; args: Expr[]; span: Span }
  /** `print expr;` */
  | { kind: "print"; expr: Expr; span: Span }
  | { kind: "let"; name: string; nameSpan: Span; value: Expr; span: Span }
  /** `if cond { } else ...`; an `else if` is a nested `if` as the only statement of `otherwise`. */
  | { kind: "if"; cond: Expr; then: Block; otherwise?: Block; span: Span }
  /** `bt;` / `backtrace raw noinline;` */
  | { kind: "backtrace"; mode: BacktraceOptions; span: Span };

/**
 * What a `bt` shows: inline frames (`inline`, the default; `noinline` drops them), parameters
 * (`full`), module cookies and runtime ips (`raw`).
 */
export interface BacktraceOptions {
  inline: boolean;
  full: boolean;
  raw: boolean;
}

/** `{ statements }`. */
export interface Block {
  stmts: Stmt[];
  span: Span;
}

/** `trace <target> { ... }`. */
export interface TraceBlock {
  target: TraceTarget;
  /** Source text of the target, as written. */
  targetText: string;
  targetSpan: Span;
  body: Block;
  span: Span;
}

/** A whole script. */
export interface Script {
  traces: TraceBlock[];
}
