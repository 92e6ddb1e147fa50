/**
 * Format strings of `print "...", args`: parsing (at compile time) and rendering of decoded
 * values (hot path: a format is precompiled once into literal pieces and conversions).
 *
 * Placeholders: `{}` (natural rendering), `{:x}` / `{:X}` (hex digits of the 64-bit value, no
 * prefix, like Rust), `{:p}` (`0x` + lower hex); `{{` and `}}` are literal braces.
 *
 * Natural rendering: signed decimal for I64, unsigned decimal for U64, `true`/`false` for Bool,
 * `0x...` for Ptr, text for Str, hex bytes for Bytes. A value whose status is not Ok renders as
 * `<reason>` (e.g. `<read error>`).
 * @module
 */

import { type DecodedValue, ValueStatus, ValueType } from "../../bpf/wire.ts";

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
}

/**
 * A precompiled format: `literals[0] + v0 + literals[1] + v1 + ... + literals[n]`.
 * `literals.length === convs.length + 1`.
 */
export interface CompiledFormat {
  /** The format string as written (decoded escapes), or a synthetic description. */
  source: string;
  literals: string[];
  convs: FormatConv[];
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

const CONVS: Readonly<Record<string, FormatConv>> = {
  "": FormatConv.Display,
  ":x": FormatConv.LowerHex,
  ":X": FormatConv.UpperHex,
  ":p": FormatConv.Pointer,
};

/** Parse and precompile a format string; throws {@link FormatError}. */
export function parseFormat(text: string): CompiledFormat {
  const literals: string[] = [];
  const convs: FormatConv[] = [];
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
      const inner = text.slice(i + 1, close);
      const conv = CONVS[inner];
      if (conv === undefined) {
        const shown = `{${inner}}`;
        const msg = inner.startsWith(":")
          ? `unsupported format conversion '${shown}' (supported: {}, {:x}, {:X}, {:p})`
          : `unsupported placeholder '${shown}' (supported: {}, {:x}, {:X}, {:p})`;
        throw new FormatError(msg, i, close - i + 1);
      }
      literals.push(lit);
      convs.push(conv);
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
  return { source: text, literals, convs };
}

/** A format that renders `prefix` followed by one value with `{}`: used by `print expr;`. */
export function valueFormat(prefix: string): CompiledFormat {
  return { source: `${prefix}{}`, literals: [prefix, ""], convs: [FormatConv.Display] };
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

function hexBytes(b: Uint8Array, upper: boolean): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += (b[i] < 16 ? "0" : "") + b[i].toString(16);
  return upper ? s.toUpperCase() : s;
}

function asU64(v: DecodedValue["value"]): bigint {
  if (typeof v === "bigint") return BigInt.asUintN(64, v);
  if (typeof v === "boolean") return v ? 1n : 0n;
  return 0n;
}

/** Render one decoded value with a conversion. */
export function renderValue(v: DecodedValue, conv: FormatConv): string {
  if (v.status !== ValueStatus.Ok) {
    return STATUS_TEXT[v.status] ?? `<status ${v.status}>`;
  }
  const x = v.value;
  if (x instanceof Uint8Array) {
    return conv === FormatConv.UpperHex ? hexBytes(x, true) : hexBytes(x, false);
  }
  switch (conv) {
    case FormatConv.Display:
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

/**
 * Render a precompiled format. Missing values render as `<missing>`, extra values are ignored
 * (neither happens for events produced by the matching program).
 */
export function renderFormat(f: CompiledFormat, values: readonly DecodedValue[]): string {
  const lits = f.literals;
  const convs = f.convs;
  let out = lits[0];
  for (let i = 0; i < convs.length; i++) {
    const v = values[i];
    out += (v === undefined ? "<missing>" : renderValue(v, convs[i])) + lits[i + 1];
  }
  return out;
}
