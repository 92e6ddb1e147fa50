/**
 * How userspace shows a program value: a {@link Layout} describes a C object (built at compile
 * time from its DWARF type by `variables/layout_of.ts`, bounded in depth and size) and the
 * functions here render a decoded value with it, gdb-like:
 *
 * - integers in decimal, `char` as `97 'a'`, `bool` as `true`/`false`, enums by enumerator name
 *   (the number when none matches), pointers as `0x...`, floats with 9 / 17 significant digits;
 * - `char[N]` as a quoted string (up to the first NUL);
 * - structs and unions as `{ field: value, ... }` (the top level prefixed with the type name),
 *   arrays as `[a, b, ...]` (at most {@link MAX_ARRAY_ELEMENTS} elements shown); deeper levels
 *   than the layout kept show as `{...}`.
 *
 * This module has no DWARF dependency: layouts are plain data.
 * @module
 */

/** Elements of an array shown before `...`. */
export const MAX_ARRAY_ELEMENTS = 16;

/** Layout of a C object. Offsets and sizes in bytes. */
export type Layout =
  | { kind: "int"; size: number; signed: boolean }
  | { kind: "char"; size: number; signed: boolean }
  | { kind: "bool"; size: number }
  | { kind: "float"; size: number }
  | { kind: "enum"; size: number; signed: boolean; names: ReadonlyMap<bigint, string> }
  | { kind: "pointer"; size: number }
  /** `char[N]`: a string of at most N bytes. */
  | { kind: "chars"; size: number }
  | {
    kind: "struct";
    /** `struct point`, `request_t`, `union number`; empty for anonymous types. */
    name: string;
    size: number;
    fields: LayoutField[];
  }
  | { kind: "array"; size: number; element: Layout; elementSize: number; count: number }
  /** A nested aggregate beyond the depth kept, or something without a rendering. */
  | { kind: "opaque"; size: number; text: string };

/** A struct or union member. */
export interface LayoutField {
  name: string;
  offset: number;
  layout: Layout;
  /** Bitfield: width and offset in bits from `offset` (then the start of the aggregate that
   * declares it). */
  bits?: { size: number; offset: number };
}

/** Reads `size` little-endian bytes at `off` as an unsigned bigint; undefined past the end. */
export function readBytes(b: Uint8Array, off: number, size: number): bigint | undefined {
  if (off < 0 || off + size > b.length) return undefined;
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[off + i]);
  return v;
}

function signedOf(v: bigint, size: number): bigint {
  return BigInt.asIntN(size * 8, v);
}

/** Escapes a byte as it would appear inside a C string or char literal. */
function escapeByte(c: number, quote: string): string {
  switch (c) {
    case 7:
      return "\\a";
    case 8:
      return "\\b";
    case 9:
      return "\\t";
    case 10:
      return "\\n";
    case 11:
      return "\\v";
    case 12:
      return "\\f";
    case 13:
      return "\\r";
    case 92:
      return "\\\\";
  }
  if (String.fromCharCode(c) === quote) return "\\" + quote;
  if (c < 32 || c >= 127) return "\\" + c.toString(8).padStart(3, "0");
  return String.fromCharCode(c);
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

/** The bytes up to the first NUL, as a C string literal (UTF-8 kept when valid). */
export function quoteString(b: Uint8Array): string {
  let end = b.indexOf(0);
  if (end < 0) end = b.length;
  const s = b.subarray(0, end);
  let plain = true;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c < 32 || c === 127 || c === 34 || c === 92) {
      plain = false;
      break;
    }
  }
  if (plain) {
    try {
      return `"${utf8.decode(s)}"`;
    } catch {
      // not UTF-8: escape byte by byte
    }
  }
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    out += c >= 128 ? "\\" + c.toString(8).padStart(3, "0") : escapeByte(c, '"');
  }
  return out + '"';
}

/** `%g` with `digits` significant digits (gdb prints float with 9, double with 17). */
export function formatFloat(x: number, digits: number): string {
  if (Number.isNaN(x)) return x < 0 ? "-nan" : "nan";
  if (!Number.isFinite(x)) return x < 0 ? "-inf" : "inf";
  if (x === 0) return Object.is(x, -0) ? "-0" : "0";
  const exp = Math.floor(Math.log10(Math.abs(x)));
  if (exp < -4 || exp >= digits) {
    const [m, e] = x.toExponential(digits - 1).split("e");
    const mant = m.includes(".") ? m.replace(/0+$/, "").replace(/\.$/, "") : m;
    const n = Number(e);
    return `${mant}e${n < 0 ? "-" : "+"}${String(Math.abs(n)).padStart(2, "0")}`;
  }
  const s = x.toPrecision(digits);
  return s.includes(".") ? s.replace(/0+$/, "").replace(/\.$/, "") : s;
}

/** A float of `size` bytes from its bit pattern. */
export function floatFromBits(bits: bigint, size: number): number | undefined {
  const b = new DataView(new ArrayBuffer(8));
  if (size === 4) {
    b.setUint32(0, Number(bits & 0xffff_ffffn), true);
    return b.getFloat32(0, true);
  }
  if (size === 8) {
    b.setBigUint64(0, BigInt.asUintN(64, bits), true);
    return b.getFloat64(0, true);
  }
  return undefined;
}

/** Renders a scalar layout (int, char, bool, float, enum, pointer) holding raw bits `raw`. */
export function renderScalar(l: Layout, raw: bigint): string {
  const u = BigInt.asUintN(Math.max(1, l.size) * 8, raw);
  switch (l.kind) {
    case "int":
      return (l.signed ? signedOf(u, l.size) : u).toString();
    case "char": {
      const n = l.signed ? signedOf(u, l.size) : u;
      if (l.size !== 1) return n.toString();
      return `${n} '${escapeByte(Number(u), "'")}'`;
    }
    case "bool":
      return u === 0n ? "false" : "true";
    case "float": {
      const f = floatFromBits(u, l.size);
      return f === undefined ? `<float of ${l.size} bytes>` : formatFloat(f, l.size === 4 ? 9 : 17);
    }
    case "enum": {
      const n = l.signed ? signedOf(u, l.size) : u;
      return l.names.get(n) ?? n.toString();
    }
    case "pointer":
      return "0x" + u.toString(16);
    default:
      return "0x" + u.toString(16);
  }
}

/** True for layouts whose value fits a register (rendered from a 64-bit scalar). */
export function isScalarLayout(l: Layout): boolean {
  switch (l.kind) {
    case "int":
    case "char":
    case "bool":
    case "float":
    case "enum":
    case "pointer":
      return true;
    default:
      return false;
  }
}

/**
 * Renders the object laid out by `l` at byte `off` of `b`. `top` prefixes a struct with its type
 * name. Bytes missing at the end of `b` (a truncated read) show as `<unavailable>`.
 */
export function renderObject(l: Layout, b: Uint8Array, off = 0, top = true): string {
  switch (l.kind) {
    case "chars": {
      const end = Math.min(b.length, off + l.size);
      if (end <= off) return "<unavailable>";
      return quoteString(b.subarray(off, end));
    }
    case "struct": {
      const parts: string[] = [];
      for (const f of l.fields) parts.push(`${f.name}: ${renderField(f, b, off)}`);
      const body = parts.length ? `{ ${parts.join(", ")} }` : "{}";
      return top && l.name ? `${l.name} ${body}` : body;
    }
    case "array": {
      const shown = Math.min(l.count, MAX_ARRAY_ELEMENTS);
      const parts: string[] = [];
      for (let i = 0; i < shown; i++) {
        parts.push(renderObject(l.element, b, off + i * l.elementSize, false));
      }
      if (l.count > shown) parts.push(`...(${l.count} elements)`);
      return `[${parts.join(", ")}]`;
    }
    case "opaque":
      return l.text;
    default: {
      const raw = readBytes(b, off, l.size);
      return raw === undefined ? "<unavailable>" : renderScalar(l, raw);
    }
  }
}

function renderField(f: LayoutField, b: Uint8Array, base: number): string {
  if (!f.bits) return renderObject(f.layout, b, base + f.offset, false);
  const first = f.offset + Math.floor(f.bits.offset / 8);
  const shift = f.bits.offset % 8;
  const span = Math.ceil((shift + f.bits.size) / 8);
  const raw = readBytes(b, base + first, span);
  if (raw === undefined) return "<unavailable>";
  let v = (raw >> BigInt(shift)) & ((1n << BigInt(f.bits.size)) - 1n);
  const l = f.layout;
  const signed = (l.kind === "int" || l.kind === "enum" || l.kind === "char") && l.signed;
  if (signed) v = BigInt.asIntN(f.bits.size, v);
  if (l.kind === "enum") return l.names.get(v) ?? v.toString();
  if (l.kind === "bool") return v === 0n ? "false" : "true";
  return v.toString();
}

/** Lowercase or uppercase hex of bytes, in memory order. */
export function hexBytes(b: Uint8Array, upper = false): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += (b[i] < 16 ? "0" : "") + b[i].toString(16);
  return upper ? s.toUpperCase() : s;
}
