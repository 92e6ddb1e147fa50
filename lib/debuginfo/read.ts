/**
 * Reads a candidate debug file in chunks, optionally checksumming it on the way (CRC32, as
 * `.gnu_debuglink` records it), reporting progress after each chunk. One pass over the bytes.
 * @module
 */

import { crc32 } from "../elf/mod.ts";

/** Bytes read per chunk (progress granularity). */
const CHUNK = 8 * 1024 * 1024;

/** A file read into memory. */
export interface ReadFile {
  bytes: Uint8Array;
  /** CRC32 of the whole file, when asked for. */
  crc?: number;
}

/** Result of {@link readCandidate}: the file, or why it could not be read. */
export type ReadResult =
  | { ok: true; file: ReadFile }
  | { ok: false; reason: "missing" | "not-a-file" | "unreadable"; message: string };

/**
 * Reads `path` whole. `withCrc` also computes its CRC32. `onProgress(done, total)` is called
 * after every chunk.
 */
export function readCandidate(
  path: string,
  withCrc: boolean,
  onProgress?: (done: number, total: number) => void,
): ReadResult {
  let file: Deno.FsFile;
  try {
    const st = Deno.statSync(path);
    if (!st.isFile) return { ok: false, reason: "not-a-file", message: `${path} is not a file` };
    file = Deno.openSync(path, { read: true });
  } catch (e) {
    if (e instanceof Deno.errors.NotFound || e instanceof Deno.errors.NotADirectory) {
      return { ok: false, reason: "missing", message: `${path}: no such file` };
    }
    return { ok: false, reason: "unreadable", message: `cannot read ${path}: ${errText(e)}` };
  }
  try {
    const total = file.statSync().size;
    const bytes = new Uint8Array(total);
    let done = 0;
    let crc = 0;
    while (done < total) {
      const n = file.readSync(bytes.subarray(done, Math.min(total, done + CHUNK)));
      if (n === null || n === 0) break;
      if (withCrc) crc = crc32(bytes.subarray(done, done + n), crc);
      done += n;
      onProgress?.(done, total);
    }
    const whole = done === total ? bytes : bytes.subarray(0, done);
    return { ok: true, file: { bytes: whole, crc: withCrc ? crc : undefined } };
  } catch (e) {
    return { ok: false, reason: "unreadable", message: `cannot read ${path}: ${errText(e)}` };
  } finally {
    file.close();
  }
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A CRC32 as the 8 lower-case hex digits tools print. */
export function crcHex(crc: number): string {
  return (crc >>> 0).toString(16).padStart(8, "0");
}
