/**
 * Decompression of compressed debug sections: gABI SHF_COMPRESSED sections (an `Elf64_Chdr` then a
 * zlib or zstd stream, e.g. `gcc -gz=zlib`) and legacy GNU `.zdebug_*` sections ("ZLIB", a
 * big-endian u64 size, then a zlib stream, e.g. `gcc -gz=zlib-gnu`).
 *
 * @module
 */

import type * as Zlib from "node:zlib";
import { UsageError } from "../errors.ts";
import { CHDR64_SIZE, ELFCOMPRESS_ZLIB, ELFCOMPRESS_ZSTD } from "./constants.ts";

/** Magic of a legacy `.zdebug_*` section. */
const ZDEBUG_MAGIC = [0x5a, 0x4c, 0x49, 0x42]; // "ZLIB"
const ZDEBUG_HEADER_SIZE = 12;

type SyncDecompressor = (buf: Uint8Array) => Uint8Array;

let zlibModule: typeof Zlib | undefined;

/**
 * `node:zlib`, loaded on first use: a static `node:` import starts Deno's Node compatibility layer
 * in every run (about 15 ms of start-up), and most runs decompress nothing.
 */
function zlib(): typeof Zlib {
  const process = (globalThis as unknown as {
    process: { getBuiltinModule(id: string): unknown };
  }).process;
  return zlibModule ??= process.getBuiltinModule("node:zlib") as typeof Zlib;
}

/** `zstdDecompressSync`, present in newer Node-compatible runtimes only. */
function zstdDecompressSync(): SyncDecompressor | undefined {
  return (zlib() as unknown as Record<string, SyncDecompressor | undefined>).zstdDecompressSync;
}

/** Whether this runtime can decompress ELFCOMPRESS_ZSTD sections. */
export function zstdSupported(): boolean {
  return typeof zstdDecompressSync() === "function";
}

function asPlainView(buf: Uint8Array): Uint8Array {
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function fail(path: string, section: string, why: string): never {
  throw new UsageError(`cannot decompress section ${section} of ${path}: ${why}`);
}

function checkSize(path: string, section: string, out: Uint8Array, want: number): Uint8Array {
  if (out.byteLength !== want) {
    fail(path, section, `got ${out.byteLength} bytes, the header announces ${want}`);
  }
  return asPlainView(out);
}

/**
 * Decompresses the bytes of an SHF_COMPRESSED section (compression header included).
 * Throws {@link UsageError} for an unknown `ch_type`, an unsupported zstd runtime, or corrupt data.
 *
 * @param raw the section's file bytes, starting with the `Elf64_Chdr`
 * @param path file path, for messages
 * @param section section name, for messages
 */
export function decompressChdr(raw: Uint8Array, path: string, section: string): Uint8Array {
  if (raw.byteLength < CHDR64_SIZE) {
    fail(path, section, `only ${raw.byteLength} bytes, too short for a compression header`);
  }
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const type = dv.getUint32(0, true);
  const sizeHi = dv.getUint32(12, true);
  if (sizeHi !== 0) fail(path, section, "uncompressed size is 4 GiB or more");
  const size = dv.getUint32(8, true);
  const payload = raw.subarray(CHDR64_SIZE);
  let out: Uint8Array;
  try {
    if (type === ELFCOMPRESS_ZLIB) {
      out = zlib().inflateSync(payload);
    } else if (type === ELFCOMPRESS_ZSTD) {
      const zstd = zstdDecompressSync();
      if (zstd === undefined) {
        fail(path, section, "zstd (ELFCOMPRESS_ZSTD) is not supported by this Deno");
      }
      out = zstd(payload);
    } else {
      fail(path, section, `unknown compression type ch_type=${type}`);
    }
  } catch (e) {
    if (e instanceof UsageError) throw e;
    fail(path, section, e instanceof Error ? e.message : String(e));
  }
  return checkSize(path, section, out, size);
}

/** Whether `raw` starts like a legacy `.zdebug_*` section ("ZLIB" + size). */
export function isZdebug(raw: Uint8Array): boolean {
  return raw.byteLength >= ZDEBUG_HEADER_SIZE && ZDEBUG_MAGIC.every((m, i) => raw[i] === m);
}

/**
 * Decompresses a legacy `.zdebug_*` section ("ZLIB", big-endian u64 size, zlib stream).
 * Throws {@link UsageError} on a bad header or corrupt data.
 */
export function decompressZdebug(raw: Uint8Array, path: string, section: string): Uint8Array {
  if (!isZdebug(raw)) fail(path, section, `missing the "ZLIB" header of a .zdebug section`);
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  if (dv.getUint32(4, false) !== 0) fail(path, section, "uncompressed size is 4 GiB or more");
  const size = dv.getUint32(8, false);
  let out: Uint8Array;
  try {
    out = zlib().inflateSync(raw.subarray(ZDEBUG_HEADER_SIZE));
  } catch (e) {
    fail(path, section, e instanceof Error ? e.message : String(e));
  }
  return checkSize(path, section, out, size);
}
