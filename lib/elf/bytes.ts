/**
 * Bounds-checked little-endian reads over the bytes of one ELF file.
 *
 * Number convention of `lib/elf/` (documented once here, used everywhere): every offset, address
 * and size is a JavaScript `number`. 64-bit fields are read as two 32-bit halves and accepted only
 * when they fit in `Number.MAX_SAFE_INTEGER` (2^53 - 1); x86_64 user-space addresses are below
 * 2^47 and file offsets below 2^53, so a well-formed file never hits the limit. A header field that
 * does not fit is reported as a {@link UsageError} (the file is corrupt for our purposes); symbols
 * whose value does not fit are skipped by the symbol reader. `bigint` is never used.
 *
 * @module
 */

import { UsageError } from "../errors.ts";

const TWO_32 = 0x1_0000_0000;
/** Largest high half of a u64 that keeps the whole value a safe integer. */
const MAX_SAFE_HIGH = 0x1f_ffff;

/** Formats a non-negative number as `0x...` hex, the way every message in `lib/elf` shows addresses. */
export function hex(n: number): string {
  return "0x" + n.toString(16);
}

/**
 * A little-endian view of a file's bytes that names the file in its errors. Reads at explicit
 * offsets (no cursor); callers check a whole structure once with {@link ByteReader.need} and then
 * read its fields.
 */
export class ByteReader {
  /** DataView over exactly {@link ByteReader.bytes}. */
  readonly view: DataView;

  /**
   * @param bytes the whole file (or one section, for section-relative readers)
   * @param path file path used in error messages
   */
  constructor(readonly bytes: Uint8Array, readonly path: string) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Number of bytes available. */
  get length(): number {
    return this.bytes.byteLength;
  }

  /**
   * Throws a "truncated" {@link UsageError} unless `[offset, offset + size)` lies inside the bytes.
   * @param what describes the structure, e.g. "section header table"
   */
  need(offset: number, size: number, what: string): void {
    if (offset < 0 || size < 0 || offset + size > this.length) {
      throw new UsageError(
        `${this.path} is truncated or corrupt: ${what} needs bytes [${hex(offset)}, ${
          hex(offset + size)
        }) but the file has ${this.length} bytes`,
      );
    }
  }

  /** Reads a u8. */
  u8(offset: number): number {
    return this.view.getUint8(offset);
  }

  /** Reads a little-endian u16. */
  u16(offset: number): number {
    return this.view.getUint16(offset, true);
  }

  /** Reads a little-endian u32. */
  u32(offset: number): number {
    return this.view.getUint32(offset, true);
  }

  /** Reads a little-endian i32. */
  i32(offset: number): number {
    return this.view.getInt32(offset, true);
  }

  /**
   * Reads a little-endian u64 that must be a safe integer.
   * @param what names the field for the error, e.g. "e_shoff"
   */
  u64(offset: number, what: string): number {
    const hi = this.view.getUint32(offset + 4, true);
    if (hi > MAX_SAFE_HIGH) {
      throw new UsageError(
        `${this.path} is corrupt: ${what} is 0x${hi.toString(16).padStart(8, "0")}${
          this.u32(offset).toString(16).padStart(8, "0")
        }, beyond 2^53`,
      );
    }
    return hi * TWO_32 + this.view.getUint32(offset, true);
  }

  /** Reads a little-endian u64, returning `undefined` when it is not a safe integer. */
  u64OrUndefined(offset: number): number | undefined {
    const hi = this.view.getUint32(offset + 4, true);
    if (hi > MAX_SAFE_HIGH) return undefined;
    return hi * TWO_32 + this.view.getUint32(offset, true);
  }

  /** Reads a little-endian i64 as a number when it is safe, `undefined` otherwise (dynamic tags). */
  i64OrUndefined(offset: number): number | undefined {
    const lo = this.view.getUint32(offset, true);
    const hi = this.view.getInt32(offset + 4, true);
    if (hi > MAX_SAFE_HIGH || hi < -MAX_SAFE_HIGH - 1) return undefined;
    return hi * TWO_32 + lo;
  }

  /**
   * Reads a NUL-terminated UTF-8 string starting at `offset`, stopping at `end` (exclusive) when no
   * NUL is found before it.
   */
  cString(offset: number, end = this.length): string {
    let i = offset;
    while (i < end && this.bytes[i] !== 0) i++;
    return utf8.decode(this.bytes.subarray(offset, i));
  }
}

/** Shared non-fatal UTF-8 decoder. */
export const utf8: TextDecoder = new TextDecoder("utf-8");
