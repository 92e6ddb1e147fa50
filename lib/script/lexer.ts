/**
 * Lexer of the GhostScope script language. Produces the whole token list up front. The word
 * after the `trace` keyword is read raw (up to whitespace or `{`) as a {@link TokKind.Target}
 * token, because trace targets (`file.c:42`, `/usr/lib/libc.so.6:0x1234`) are not expressions.
 * @module
 */

import type { Reporter, Span } from "./diagnostics.ts";

/** Token kinds. */
export enum TokKind {
  Ident = "identifier",
  Builtin = "builtin",
  Int = "integer",
  String = "string",
  Target = "trace target",
  Keyword = "keyword",
  Punct = "punctuation",
  Eof = "end of script",
}

/** Reserved words. */
export const KEYWORDS: ReadonlySet<string> = new Set([
  "trace",
  "print",
  "let",
  "if",
  "else",
  "true",
  "false",
]);

/** Operators and delimiters, longest first. */
const PUNCT = [
  "->",
  "<<",
  ">>",
  "==",
  "!=",
  "<=",
  ">=",
  "&&",
  "||",
  "{",
  "}",
  "(",
  ")",
  ";",
  ",",
  "+",
  "-",
  "*",
  "/",
  "%",
  "<",
  ">",
  "!",
  "=",
  ".",
  "[",
  "]",
  "&",
  "|",
  "^",
  "~",
  "|",
  ":",
];

/** One token. */
export interface Token {
  kind: TokKind;
  /** Source text (for strings: including the quotes). */
  text: string;
  span: Span;
  /** Integer value (Int). */
  int?: bigint;
  /** Decoded value (String). */
  str?: string;
  /** Source offset of each decoded character of a String, plus one entry for its end. */
  offsets?: number[];
}

const U64_MAX = (1n << 64n) - 1n;

function isIdentStart(c: string): boolean {
  return (c >= "a" && c <= "z") || (c >= "A" && c <= "Z") || c === "_";
}

function isIdentPart(c: string): boolean {
  return isIdentStart(c) || (c >= "0" && c <= "9");
}

function isSpace(c: string): boolean {
  return c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\f" || c === "\v";
}

const ESCAPES: Record<string, string> = {
  n: "\n",
  t: "\t",
  r: "\r",
  "0": "\0",
  "\\": "\\",
  '"': '"',
};

/** Split `source` into tokens; throws a {@link ScriptError} (via `reporter`) on bad input. */
export function tokenize(source: string, reporter: Reporter): Token[] {
  const toks: Token[] = [];
  let i = 0;
  const n = source.length;

  const skipTrivia = (): void => {
    while (i < n) {
      const c = source[i];
      if (isSpace(c)) {
        i++;
      } else if (c === "/" && source[i + 1] === "/") {
        while (i < n && source[i] !== "\n") i++;
      } else if (c === "/" && source[i + 1] === "*") {
        const end = source.indexOf("*/", i + 2);
        if (end < 0) throw reporter.error({ start: i, end: i + 2 }, "unterminated comment");
        i = end + 2;
      } else {
        break;
      }
    }
  };

  while (true) {
    skipTrivia();
    if (i >= n) break;
    const start = i;
    const c = source[i];
    const prev = toks[toks.length - 1];

    if (prev && prev.kind === TokKind.Keyword && prev.text === "trace") {
      while (i < n && !isSpace(source[i]) && source[i] !== "{") {
        if (source[i] === "/" && (source[i + 1] === "/" || source[i + 1] === "*") && i > start) {
          break;
        }
        i++;
      }
      if (i === start) {
        throw reporter.error(
          { start, end: start + 1 },
          "expected a trace target after 'trace' (a function, file:line, 0xADDR or module:0xADDR)",
        );
      }
      toks.push({ kind: TokKind.Target, text: source.slice(start, i), span: { start, end: i } });
      continue;
    }

    if (isIdentStart(c)) {
      while (i < n && isIdentPart(source[i])) i++;
      const text = source.slice(start, i);
      const kind = KEYWORDS.has(text) ? TokKind.Keyword : TokKind.Ident;
      toks.push({ kind, text, span: { start, end: i } });
      continue;
    }

    if (c === "$") {
      i++;
      while (i < n && isIdentPart(source[i])) i++;
      if (i === start + 1) {
        throw reporter.error({ start, end: start + 1 }, "expected a builtin name after '$'");
      }
      toks.push({ kind: TokKind.Builtin, text: source.slice(start, i), span: { start, end: i } });
      continue;
    }

    if (c >= "0" && c <= "9") {
      toks.push(lexNumber(source, start, reporter));
      i = toks[toks.length - 1].span.end;
      continue;
    }

    if (c === '"') {
      i++;
      let value = "";
      const offsets: number[] = [];
      while (true) {
        if (i >= n || source[i] === "\n") {
          throw reporter.error({ start, end: i }, "unterminated string literal");
        }
        const ch = source[i];
        if (ch === '"') break;
        if (ch === "\\") {
          const esc = ESCAPES[source[i + 1]];
          if (esc === undefined) {
            throw reporter.error(
              { start: i, end: i + 2 },
              `unknown escape '\\${source[i + 1] ?? ""}' in string (use \\n \\t \\r \\0 \\\\ \\")`,
            );
          }
          offsets.push(i);
          value += esc;
          i += 2;
          continue;
        }
        offsets.push(i);
        value += ch;
        i++;
      }
      offsets.push(i);
      i++;
      toks.push({
        kind: TokKind.String,
        text: source.slice(start, i),
        span: { start, end: i },
        str: value,
        offsets,
      });
      continue;
    }

    const p = PUNCT.find((p) => source.startsWith(p, i));
    if (p === undefined) {
      throw reporter.error({ start, end: start + 1 }, `unexpected character '${c}'`);
    }
    i += p.length;
    toks.push({ kind: TokKind.Punct, text: p, span: { start, end: i } });
  }
  toks.push({ kind: TokKind.Eof, text: "", span: { start: n, end: n } });
  return toks;
}

/** Decimal, `0x`, `0o` or `0b` integer with optional `_` separators, at most 2^64 - 1. */
function lexNumber(source: string, start: number, reporter: Reporter): Token {
  let i = start;
  let radix = 10;
  const p = source.slice(start, start + 2).toLowerCase();
  if (p === "0x") radix = 16;
  else if (p === "0o") radix = 8;
  else if (p === "0b") radix = 2;
  if (radix !== 10) i += 2;
  const digitsStart = i;
  while (i < source.length && (isIdentPart(source[i]))) i++;
  const text = source.slice(start, i);
  const digits = source.slice(digitsStart, i).replaceAll("_", "");
  const valid = digits.length > 0 &&
    [...digits].every((d) => {
      const v = parseInt(d, 36);
      return !Number.isNaN(v) && v < radix;
    });
  const span = { start, end: i };
  if (!valid) throw reporter.error(span, `invalid integer literal '${text}'`);
  const prefix = radix === 16 ? "0x" : radix === 8 ? "0o" : radix === 2 ? "0b" : "";
  const value = BigInt(prefix + digits);
  if (value > U64_MAX) {
    throw reporter.error(span, `integer literal '${text}' does not fit in 64 bits`);
  }
  return { kind: TokKind.Int, text, span, int: value };
}
