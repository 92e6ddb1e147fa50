/**
 * Format strings of `print "...", args`: parsing (at compile time) and rendering of decoded
 * values (hot path: a format is precompiled once into literal pieces and conversions).
 *
 * Placeholders: `{}` (natural rendering), `{:x}` / `{:X}` (hex: of the value's bytes for program
 * values, of the 64-bit value for script integers, no prefix), `{:p}` (`0x` + lower hex),
 * `{:s}` (a C string: `char *` or `char[N]`); `{{` and `}}` are literal braces.
 *
 * Memory dumps: `{:x.N}`, `{:X.N}` and `{:s.N}` read N bytes (N decimal, 0x, 0o or 0b) at the
 * address of the argument (a pointer's target, or an array / struct in memory); `{:x.*}` takes
 * the length from the argument before the value (it consumes one more argument);
 * `{:s.name$}` takes it from the script variable `name`. At most {@link MAX_DUMP_LEN} bytes.
 *
 * Natural rendering: signed decimal for I64, unsigned decimal for U64, `true`/`false` for Bool,
 * `0x...` for Ptr, text for Str, hex bytes for Bytes; program values are shown through their
 * {@link ValueView} (see `layout.ts`). A value whose status is not Ok renders as `<reason>`
 * (e.g. `<read error at 0x10>`, `<optimized out>`).
 * @module
 */

import { type DecodedValue, ValueStatus, ValueType } from "../../bpf/wire.ts";
import {
  hexBytes,
  isScalarLayout,
  type Layout,
  quoteString,
  renderObject,
  renderScalar,
} from "./layout.ts";

/** Most bytes a memory-dump placeholder (`{:x.N}`, `{:s.*}`, ...) reads. */
export const MAX_DUMP_LEN = 4096;

/** Conversions of a placeholder. */
export enum FormatConv {
  /** `{}` */
  Display = "",
  /** `{:x}` */
  LowerHex = "x",
  /** `{:X}` */
  UpperHex = "X",
  /** `{:p}` */
  Pointer = "p",
  /** `{:s}` */
  Str = "s",
}

/** Where a memory-dump placeholder takes its byte count from. */
export type FormatLength =
  /** `{:x.16}` */
  | { kind: "fixed"; n: number }
  /** `{:x.*}`: the argument before the value. */
  | { kind: "arg" }
  /** `{:s.len$}`: the script variable `name`. */
  | { kind: "var"; name: string };

/** One placeholder. */
export interface FormatSpec {
  conv: FormatConv;
  length?: FormatLength;
  /** The placeholder as written, e.g. `{:x.*}`. */
  text: string;
  /** Index of its `{` in the format string. */
  index: number;
}

/**
 * How a program value is shown: through the {@link Layout} of its C type, as text (`{:s}`,
 * strings), or as a byte dump.
 */
export type ValueView =
  | { kind: "layout"; layout: Layout }
  | { kind: "string" }
  | { kind: "bytes" };

/**
 * A precompiled format: `literals[0] + v0 + literals[1] + v1 + ... + literals[n]`.
 * `literals.length === convs.length + 1`.
 */
export interface CompiledFormat {
  /** The format string as written (decoded escapes), or a synthetic description. */
  source: string;
  literals: string[];
  /** The conversion of each placeholder (= `specs[i].conv`). */
  convs: FormatConv[];
  specs: FormatSpec[];
  /** Arguments the format consumes: one per placeholder plus one per `.*` length. */
  argCount: number;
}

/** A format string error; `index` / `length` locate it in the format string. */
export class FormatError extends Error {
  override name = "FormatError";
  readonly index: number;
  readonly length: number;
  constructor(message: string, index: number, length: number) {
    super(message);
    this.index = index;
    this.length = length;
  }
}

const SUPPORTED = "{}, {:x}, {:X}, {:p}, {:s}, {:x.N}, {:s.N}, {:x.*}, {:s.name$}";

const CONVS: Readonly<Record<string, FormatConv>> = {
  "": FormatConv.Display,
  x: FormatConv.LowerHex,
  X: FormatConv.UpperHex,
  p: FormatConv.Pointer,
  s: FormatConv.Str,
};

/** Parses `N` of `{:x.N}`: decimal, 0x, 0o or 0b; undefined when malformed. */
function parseCount(text: string): number | undefined {
  const t = text.replaceAll("_", "");
  let v: number;
  if (/^0[xX][0-9a-fA-F]+$/.test(t)) v = parseInt(t.slice(2), 16);
  else if (/^0[oO][0-7]+$/.test(t)) v = parseInt(t.slice(2), 8);
  else if (/^0[bB][01]+$/.test(t)) v = parseInt(t.slice(2), 2);
  else if (/^[0-9]+$/.test(t)) v = parseInt(t, 10);
  else return undefined;
  return Number.isSafeInteger(v) ? v : undefined;
}

/** Parses the inside of a placeholder (between the braces). */
function parseSpec(inner: string, index: number, len: number): FormatSpec {
  const text = `{${inner}}`;
  if (inner === "") return { conv: FormatConv.Display, text, index };
  if (!inner.startsWith(":")) {
    throw new FormatError(
      `unsupported placeholder '${text}' (supported: ${SUPPORTED})`,
      index,
      len,
    );
  }
  const body = inner.slice(1);
  const dot = body.indexOf(".");
  const convText = dot < 0 ? body : body.slice(0, dot);
  const conv = CONVS[convText];
  if (conv === undefined || conv === FormatConv.Display) {
    throw new FormatError(
      `unsupported format conversion '${text}' (supported: ${SUPPORTED})`,
      index,
      len,
    );
  }
  if (dot < 0) return { conv, text, index };
  if (conv === FormatConv.Pointer) {
    throw new FormatError(
      `'${text}': a length only applies to {:x}, {:X} and {:s} (memory dumps)`,
      index,
      len,
    );
  }
  const lenText = body.slice(dot + 1);
  if (lenText === "*") return { conv, text, index, length: { kind: "arg" } };
  if (lenText.endsWith("$")) {
    const name = lenText.slice(0, -1);
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
      throw new FormatError(
        `'${text}': expected a script variable name before '$'`,
        index,
        len,
      );
    }
    return { conv, text, index, length: { kind: "var", name } };
  }
  const n = parseCount(lenText);
  if (n === undefined) {
    throw new FormatError(
      `'${text}': the length must be a number (16, 0x10, 0o20, 0b10000), '*' or 'name$'`,
      index,
      len,
    );
  }
  if (n < 1 || n > MAX_DUMP_LEN) {
    throw new FormatError(
      `'${text}': the length must be between 1 and ${MAX_DUMP_LEN} bytes`,
      index,
      len,
    );
  }
  return { conv, text, index, length: { kind: "fixed", n } };
}

/** Parse and precompile a format string; throws {@link FormatError}. */
export function parseFormat(text: string): CompiledFormat {
  const literals: string[] = [];
  const specs: FormatSpec[] = [];
  let lit = "";
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "{") {
      if (text[i + 1] === "{") {
        lit += "{";
        i++;
        continue;
      }
      const close = text.indexOf("}", i + 1);
      const nextOpen = text.indexOf("{", i + 1);
      if (close < 0 || (nextOpen >= 0 && nextOpen < close)) {
        throw new FormatError(
          "unclosed '{' in format string (write '{{' for a literal brace)",
          i,
          1,
        );
      }
      specs.push(parseSpec(text.slice(i + 1, close), i, close - i + 1));
      literals.push(lit);
      lit = "";
      i = close;
    } else if (c === "}") {
      if (text[i + 1] === "}") {
        lit += "}";
        i++;
        continue;
      }
      throw new FormatError(
        "unmatched '}' in format string (write '}}' for a literal brace)",
        i,
        1,
      );
    } else {
      lit += c;
    }
  }
  literals.push(lit);
  const argCount = specs.length + specs.filter((s) => s.length?.kind === "arg").length;
  return { source: text, literals, convs: specs.map((s) => s.conv), specs, argCount };
}

/** A format that renders `prefix` followed by one value with `{}`: used by `print expr;`. */
export function valueFormat(prefix: string): CompiledFormat {
  return {
    source: `${prefix}{}`,
    literals: [prefix, ""],
    convs: [FormatConv.Display],
    specs: [{ conv: FormatConv.Display, text: "{}", index: prefix.length }],
    argCount: 1,
  };
}

const STATUS_TEXT: Readonly<Record<number, string>> = {
  [ValueStatus.NullDeref]: "<null pointer>",
  [ValueStatus.ReadError]: "<read error>",
  [ValueStatus.AccessError]: "<access error>",
  [ValueStatus.Truncated]: "<truncated>",
  [ValueStatus.OffsetsUnavailable]: "<proc offsets unavailable>",
  [ValueStatus.ZeroLength]: "<zero length>",
  [ValueStatus.OptimizedOut]: "<optimized out>",
};

function asU64(v: DecodedValue["value"]): bigint {
  if (typeof v === "bigint") return BigInt.asUintN(64, v);
  if (typeof v === "boolean") return v ? 1n : 0n;
  return 0n;
}

/** The text shown instead of a value whose status is not Ok. */
export function statusText(v: DecodedValue): string {
  if (v.status === ValueStatus.ReadError && v.errorAddress !== undefined) {
    return `<read error at 0x${v.errorAddress.toString(16)}>`;
  }
  return STATUS_TEXT[v.status] ?? `<status ${v.status}>`;
}

/** Render one decoded value with a conversion (and the view of its program type, if any). */
export function renderValue(v: DecodedValue, conv: FormatConv, view?: ValueView): string {
  if (v.status !== ValueStatus.Ok) return statusText(v);
  if (view !== undefined) return renderViewed(v.value, conv, view);
  const x = v.value;
  if (x instanceof Uint8Array) {
    return conv === FormatConv.UpperHex ? hexBytes(x, true) : hexBytes(x, false);
  }
  switch (conv) {
    case FormatConv.Display:
    case FormatConv.Str:
      if (typeof x === "bigint") {
        return v.type === ValueType.Ptr ? "0x" + x.toString(16) : x.toString();
      }
      return String(x);
    case FormatConv.LowerHex:
      return typeof x === "string"
        ? hexBytes(new TextEncoder().encode(x), false)
        : asU64(x).toString(16);
    case FormatConv.UpperHex:
      return typeof x === "string"
        ? hexBytes(new TextEncoder().encode(x), true)
        : asU64(x).toString(16).toUpperCase();
    case FormatConv.Pointer:
      return "0x" + asU64(x).toString(16);
  }
  return String(x);
}

const encoder = new TextEncoder();

function renderViewed(x: DecodedValue["value"], conv: FormatConv, view: ValueView): string {
  if (typeof x === "string") {
    if (conv === FormatConv.LowerHex || conv === FormatConv.UpperHex) {
      return hexBytes(encoder.encode(x), conv === FormatConv.UpperHex);
    }
    if (conv === FormatConv.Str || view.kind === "bytes") return x;
    return quoteString(encoder.encode(x));
  }
  if (x instanceof Uint8Array) {
    switch (conv) {
      case FormatConv.LowerHex:
        return hexBytes(x, false);
      case FormatConv.UpperHex:
        return hexBytes(x, true);
      case FormatConv.Str: {
        const end = x.indexOf(0);
        return new TextDecoder().decode(end < 0 ? x : x.subarray(0, end));
      }
    }
    if (view.kind === "layout") return renderObject(view.layout, x);
    if (view.kind === "string") return quoteString(x);
    return hexBytes(x, false);
  }
  const raw = asU64(x);
  if (view.kind !== "layout") return raw.toString();
  const l = view.layout;
  const bits = BigInt(Math.min(8, Math.max(1, l.size)) * 8);
  const masked = raw & ((1n << bits) - 1n);
  switch (conv) {
    case FormatConv.LowerHex:
      return masked.toString(16);
    case FormatConv.UpperHex:
      return masked.toString(16).toUpperCase();
    case FormatConv.Pointer:
      return "0x" + masked.toString(16);
  }
  return isScalarLayout(l) ? renderScalar(l, raw) : raw.toString();
}

/**
 * Render a precompiled format. Missing values render as `<missing>`, extra values are ignored
 * (neither happens for events produced by the matching program). `views[i]`, when present, is
 * how the i-th value's program type is shown.
 */
export function renderFormat(
  f: CompiledFormat,
  values: readonly DecodedValue[],
  views?: readonly (ValueView | undefined)[],
): string {
  const lits = f.literals;
  const convs = f.convs;
  let out = lits[0];
  for (let i = 0; i < convs.length; i++) {
    const v = values[i];
    out += (v === undefined ? "<missing>" : renderValue(v, convs[i], views?.[i])) + lits[i + 1];
  }
  return out;
}
