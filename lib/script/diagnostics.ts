/**
 * Script error reporting: `script:LINE:COL: message`, then the offending source line and a caret
 * line under the offending text. Errors are thrown as {@link ScriptError}, a {@link UsageError}
 * (exit code 2) whose message `main.ts` prints as is.
 * @module
 */

import { UsageError } from "../errors.ts";

/** A half-open range of UTF-16 offsets `[start, end)` in the script source. */
export interface Span {
  start: number;
  end: number;
}

/** A 1-based line and column. */
export interface LineCol {
  line: number;
  column: number;
}

/** Line and column (both 1-based) of `offset` in `source`. */
export function lineCol(source: string, offset: number): LineCol {
  let line = 1;
  let lineStart = 0;
  const stop = Math.min(Math.max(offset, 0), source.length);
  for (let i = 0; i < stop; i++) {
    if (source.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: stop - lineStart + 1 };
}

/**
 * Render a diagnostic: the `name:line:col: message` line, the source line, and a caret line
 * (`^` under every character of `span` on that line, at least one). Tabs before the span are
 * kept in the caret line so it lines up in a terminal.
 */
export function formatDiagnostic(
  source: string,
  span: Span,
  message: string,
  name = "script",
): string {
  const { line, column } = lineCol(source, span.start);
  const lineStart = span.start - (column - 1);
  let lineEnd = source.indexOf("\n", lineStart);
  if (lineEnd < 0) lineEnd = source.length;
  const text = source.slice(lineStart, lineEnd).replace(/\r$/, "");
  const start = Math.min(span.start, lineStart + text.length);
  const end = Math.max(start + 1, Math.min(span.end, lineStart + text.length));
  let pad = "";
  for (let i = lineStart; i < start; i++) pad += source[i] === "\t" ? "\t" : " ";
  const carets = "^".repeat(end - start);
  return `${name}:${line}:${column}: ${message}\n${text}\n${pad}${carets}`;
}

/** A script error with its position; its message is already formatted for the user. */
export class ScriptError extends UsageError {
  override name = "ScriptError";
  /** The bare message, without position or source excerpt. */
  readonly reason: string;
  /** Where in the source. */
  readonly span: Span;
  /** 1-based line and column of `span.start`. */
  readonly line: number;
  readonly column: number;

  constructor(source: string, span: Span, reason: string, sourceName = "script") {
    super(formatDiagnostic(source, span, reason, sourceName));
    this.reason = reason;
    this.span = span;
    const lc = lineCol(source, span.start);
    this.line = lc.line;
    this.column = lc.column;
  }
}

/** Throws {@link ScriptError}s for one source. */
export class Reporter {
  readonly source: string;
  readonly sourceName: string;

  constructor(source: string, sourceName = "script") {
    this.source = source;
    this.sourceName = sourceName;
  }

  /** Build the error for `span` (throw it yourself to keep control flow visible). */
  error(span: Span, reason: string): ScriptError {
    return new ScriptError(this.source, span, reason, this.sourceName);
  }
}

/** Edit distance (insert, delete, substitute, transpose adjacent) between two strings. */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev2: number[] = [];
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  for (let i = 1; i <= m; i++) {
    const cur = [i];
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, prev2[j - 2] + 1);
      }
      cur.push(d);
    }
    prev2 = prev;
    prev = cur;
  }
  return prev[n];
}

/**
 * The candidate closest to `name` if it is close enough to be a likely typo (distance at most a
 * third of the name's length, at least 1, and less than the length), else undefined.
 */
export function closest(name: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  const limit = Math.max(1, Math.floor(name.length / 3));
  for (const c of candidates) {
    if (c === name) continue;
    const d = editDistance(name, c);
    if (d < bestD || (d === bestD && best !== undefined && c < best)) {
      best = c;
      bestD = d;
    }
  }
  return best !== undefined && bestD <= limit && bestD < name.length ? best : undefined;
}

/** `" (did you mean 'x'?)"` or `""`. */
export function didYouMean(name: string, candidates: Iterable<string>): string {
  const c = closest(name, candidates);
  return c === undefined ? "" : ` (did you mean '${c}'?)`;
}
