/**
 * Little-endian cursor over a section's bytes: fixed-size integers, LEB128, C strings.
 * Addresses and offsets are returned as `number` (exact below 2^53, which covers every userspace
 * address); 64-bit constants that may not fit are available as `bigint`.
 * @module
 */

import { UsageError } from "../errors.ts";

const TWO32 = 4294967296;
const utf8 = new TextDecoder("utf-8", { fatal: false });

/** Raised (as a {@link UsageError}) for truncated or malformed DWARF. */
export function corrupt(what: string): never {
  throw new UsageError(`corrupt DWARF: ${what}`);
}

/** Decodes the NUL-terminated string at `pos` of `bytes`. */
export function cstringAt(bytes: Uint8Array, pos: number): string {
  let end = pos;
  const n = bytes.length;
  while (end < n && bytes[end] !== 0) end++;
  if (end >= n) corrupt(`unterminated string at offset 0x${pos.toString(16)}`);
  return decodeAscii(bytes, pos, end);
}

/** Decodes bytes [start, end) as UTF-8 with an ASCII fast path. */
export function decodeAscii(bytes: Uint8Array, start: number, end: number): string {
  const len = end - start;
  if (len < 48) {
    let s = "";
    for (let i = start; i < end; i++) {
      const c = bytes[i];
      if (c >= 0x80) return utf8.decode(bytes.subarray(start, end));
      s += String.fromCharCode(c);
    }
    return s;
  }
  return utf8.decode(bytes.subarray(start, end));
}

/** Little-endian cursor. `pos` is public so hot loops can save and restore it cheaply. */
export class Reader {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  pos: number;

  constructor(bytes: Uint8Array, pos = 0) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = pos;
  }

  get length(): number {
    return this.bytes.length;
  }

  /** True when the cursor is at or past `end` (defaults to the end of the bytes). */
  atEnd(end = this.bytes.length): boolean {
    return this.pos >= end;
  }

  u8(): number {
    if (this.pos >= this.bytes.length) corrupt(`read past end at 0x${this.pos.toString(16)}`);
    return this.bytes[this.pos++];
  }

  i8(): number {
    const v = this.u8();
    return v >= 0x80 ? v - 0x100 : v;
  }

  u16(): number {
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  i16(): number {
    const v = this.view.getInt16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u24(): number {
    const b = this.bytes;
    const p = this.pos;
    if (p + 3 > b.length) corrupt(`read past end at 0x${p.toString(16)}`);
    this.pos = p + 3;
    return b[p] | (b[p + 1] << 8) | (b[p + 2] << 16);
  }

  u32(): number {
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  i32(): number {
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** Unsigned 64-bit as a number (exact below 2^53). */
  u64(): number {
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getUint32(this.pos + 4, true);
    this.pos += 8;
    return hi * TWO32 + lo;
  }

  /** Signed 64-bit as a number (exact within ±2^53). */
  i64(): number {
    const lo = this.view.getUint32(this.pos, true);
    const hi = this.view.getInt32(this.pos + 4, true);
    this.pos += 8;
    return hi * TWO32 + lo;
  }

  u64big(): bigint {
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  i64big(): bigint {
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** Unsigned integer of `size` bytes (1, 2, 4 or 8). */
  uN(size: number): number {
    switch (size) {
      case 1:
        return this.u8();
      case 2:
        return this.u16();
      case 4:
        return this.u32();
      case 8:
        return this.u64();
    }
    return corrupt(`unsupported integer size ${size}`);
  }

  /** Unsigned LEB128 as a number (exact below 2^53). */
  uleb(): number {
    const b = this.bytes;
    let p = this.pos;
    let byte = b[p++];
    if (byte < 0x80) {
      this.pos = p;
      return byte;
    }
    let result = byte & 0x7f;
    let mul = 128;
    for (;;) {
      if (p >= b.length) corrupt(`truncated LEB128 at 0x${this.pos.toString(16)}`);
      byte = b[p++];
      result += (byte & 0x7f) * mul;
      if (byte < 0x80) break;
      mul *= 128;
    }
    this.pos = p;
    return result;
  }

  /** Signed LEB128 as a number (exact within ±2^53). */
  sleb(): number {
    const b = this.bytes;
    let p = this.pos;
    let result = 0;
    let mul = 1;
    let byte: number;
    for (;;) {
      if (p >= b.length) corrupt(`truncated LEB128 at 0x${this.pos.toString(16)}`);
      byte = b[p++];
      result += (byte & 0x7f) * mul;
      mul *= 128;
      if (byte < 0x80) break;
    }
    if (byte & 0x40) result -= mul;
    this.pos = p;
    return result;
  }

  /** Unsigned LEB128 as a bigint (exact for any width). */
  ulebBig(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = this.u8();
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if (byte < 0x80) return result;
    }
  }

  /** Signed LEB128 as a bigint (exact for any width). */
  slebBig(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = this.u8();
      result |= BigInt(byte & 0x7f) << shift;
      shift += 7n;
      if (byte < 0x80) {
        if (byte & 0x40) result -= 1n << shift;
        return result;
      }
    }
  }

  /** Skips a LEB128 without decoding it. */
  skipLeb(): void {
    const b = this.bytes;
    let p = this.pos;
    while (b[p++] & 0x80) { /* skip */ }
    if (p > b.length) corrupt(`truncated LEB128 at 0x${this.pos.toString(16)}`);
    this.pos = p;
  }

  /** Reads a NUL-terminated string and moves past it. */
  cstr(): string {
    const b = this.bytes;
    const start = this.pos;
    let end = start;
    const n = b.length;
    while (end < n && b[end] !== 0) end++;
    if (end >= n) corrupt(`unterminated string at offset 0x${start.toString(16)}`);
    this.pos = end + 1;
    return decodeAscii(b, start, end);
  }

  /** Moves past a NUL-terminated string. */
  skipCstr(): void {
    const b = this.bytes;
    let p = this.pos;
    const n = b.length;
    while (p < n && b[p] !== 0) p++;
    if (p >= n) corrupt(`unterminated string at offset 0x${this.pos.toString(16)}`);
    this.pos = p + 1;
  }

  /** An address of `size` bytes (4 or 8). */
  addr(size: number): number {
    return size === 8 ? this.u64() : this.uN(size);
  }

  /** A section offset in the 32-bit (4 bytes) or 64-bit (8 bytes) DWARF format. */
  offset(size: number): number {
    return size === 4 ? this.u32() : this.u64();
  }

  /** `n` raw bytes as a view (no copy). */
  bytesView(n: number): Uint8Array {
    const p = this.pos;
    if (n < 0 || p + n > this.bytes.length) corrupt(`block of ${n} bytes runs past the section`);
    this.pos = p + n;
    return this.bytes.subarray(p, p + n);
  }

  skip(n: number): void {
    if (n < 0 || this.pos + n > this.bytes.length) {
      corrupt(`skip of ${n} bytes runs past the section`);
    }
    this.pos += n;
  }

  /**
   * Reads an initial length field. Returns the unit length and sets `offsetSize` (4 or 8) on the
   * returned tuple; 64-bit DWARF is detected (0xffffffff escape).
   */
  initialLength(): { length: number; offsetSize: number } {
    const v = this.u32();
    if (v === 0xffffffff) return { length: this.u64(), offsetSize: 8 };
    if (v >= 0xfffffff0) corrupt(`reserved initial length 0x${v.toString(16)}`);
    return { length: v, offsetSize: 4 };
  }
}

/** Address value meaning "discarded by the linker" (all ones) or beyond exact-number range. */
export function isTombstone(addr: number, addrSize: number): boolean {
  return addrSize === 8 ? addr >= 0xfffffffffffff000 : addr >= 0xffffffff;
}
