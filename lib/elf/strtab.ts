/**
 * Fast lookups in an ELF string table (`.strtab`, `.dynstr`, ...).
 *
 * Symbol tables of large binaries hold hundreds of thousands of names, so decoding each name with
 * its own `TextDecoder` call dominates parse time. When the whole table is ASCII (the common case)
 * it is decoded once and names are sliced out of that string; otherwise each name is decoded as
 * UTF-8 on its own.
 *
 * @module
 */

import { utf8 } from "./bytes.ts";

/** One string table; `get(offset)` returns the NUL-terminated string starting at `offset`. */
export class StringTable {
  /** The whole table decoded, when it is pure ASCII (byte offsets == string indexes). */
  private readonly ascii: string | undefined;

  /** @param bytes the section's bytes */
  constructor(private readonly bytes: Uint8Array) {
    const text = utf8.decode(bytes);
    // Equal length and no U+FFFD means every byte decoded to exactly one ASCII char.
    this.ascii = text.length === bytes.length && text.indexOf("\uFFFD") === -1 ? text : undefined;
  }

  /** Size of the table in bytes. */
  get size(): number {
    return this.bytes.length;
  }

  /** The string at byte `offset` ("" when the offset is outside the table). */
  get(offset: number): string {
    if (offset >= this.bytes.length) return "";
    if (this.ascii !== undefined) {
      const end = this.ascii.indexOf("\0", offset);
      return this.ascii.slice(offset, end === -1 ? undefined : end);
    }
    const end = this.bytes.indexOf(0, offset);
    return utf8.decode(this.bytes.subarray(offset, end === -1 ? undefined : end));
  }
}
