/**
 * A file read on demand: one buffer the size of the file (untouched pages cost no memory), filled
 * in 64 KiB chunks the first time a range is asked for. {@link openElfLazy} uses it so that
 * finding a symbol in a big executable reads its headers and symbol tables, not its code: for the
 * 95 MB `deno` binary that is ~0.5 ms instead of ~65 ms (page cache warm; far more from disk).
 *
 * Each load reopens the file by path and checks it is still the same file (device, inode, size,
 * modification time); a file replaced or changed on disk since the first read is a
 * {@link UsageError}. No file descriptor stays open between loads.
 *
 * @module
 */

import { UsageError } from "../errors.ts";

const CHUNK = 64 * 1024;

interface Identity {
  dev: number;
  ino: number | null;
  size: number;
  mtime: number | undefined;
}

function identityOf(st: Deno.FileInfo): Identity {
  return { dev: st.dev, ino: st.ino, size: st.size, mtime: st.mtime?.getTime() };
}

function sameFile(a: Identity, b: Identity): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.size === b.size && a.mtime === b.mtime;
}

/** The bytes of one file, loaded range by range. */
export class LazyFile {
  /** The whole file; only loaded ranges hold its bytes (the rest reads as zeros). */
  readonly bytes: Uint8Array;
  /** Bytes read from the file so far (for tests and diagnostics). */
  bytesRead = 0;
  readonly #loaded: Uint8Array;
  readonly #identity: Identity;

  /**
   * Opens `path`; throws what `Deno.openSync`/`statSync` throw (NotFound, PermissionDenied, ...).
   * @param path a regular file
   */
  constructor(readonly path: string) {
    const file = Deno.openSync(path, { read: true });
    try {
      const st = file.statSync();
      if (!st.isFile) throw new Deno.errors.IsADirectory(`${path} is not a regular file`);
      this.#identity = identityOf(st);
    } finally {
      file.close();
    }
    this.bytes = new Uint8Array(this.#identity.size);
    this.#loaded = new Uint8Array(Math.ceil(this.#identity.size / CHUNK));
  }

  /** Makes `[offset, offset + length)` (clamped to the file) valid in {@link LazyFile.bytes}. */
  load(offset: number, length: number): void {
    const size = this.bytes.length;
    if (!(length > 0) || !(offset >= 0) || offset >= size) return;
    const first = Math.floor(offset / CHUNK);
    const last = Math.floor((Math.min(offset + length, size) - 1) / CHUNK);
    let missing = first;
    while (missing <= last && this.#loaded[missing]) missing++;
    if (missing > last) return;
    let file: Deno.FsFile;
    try {
      file = Deno.openSync(this.path, { read: true });
    } catch (err) {
      const why = err instanceof Deno.errors.NotFound ? "no such file" : (err as Error).message;
      throw new UsageError(`cannot read ${this.path} any more: ${why}`);
    }
    try {
      if (!sameFile(identityOf(file.statSync()), this.#identity)) {
        throw new UsageError(`${this.path} changed on disk while ghostscope was reading it`);
      }
      for (let c = missing; c <= last;) {
        if (this.#loaded[c]) {
          c++;
          continue;
        }
        let end = c;
        while (end + 1 <= last && !this.#loaded[end + 1]) end++;
        this.#read(file, c * CHUNK, Math.min((end + 1) * CHUNK, size));
        this.#loaded.fill(1, c, end + 1);
        c = end + 1;
      }
    } finally {
      file.close();
    }
  }

  #read(file: Deno.FsFile, start: number, end: number): void {
    file.seekSync(start, Deno.SeekMode.Start);
    let done = start;
    while (done < end) {
      const n = file.readSync(this.bytes.subarray(done, end));
      if (n === null || n === 0) {
        throw new UsageError(`${this.path} changed on disk while ghostscope was reading it`);
      }
      done += n;
    }
    this.bytesRead += end - start;
  }
}
