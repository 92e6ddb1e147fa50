/**
 * {@link DebugInfoLoader}: a module's {@link DwarfInfo}, found (see `discover.ts`), read,
 * decompressed and cached per file for the whole session, with a progress line on stderr when
 * that is slow.
 *
 * Progress runs in three phases: reading candidate files (0–50 %, by bytes), decompressing the
 * sections (50–70 %, by section), and the first query, which builds lib/dwarf's indexes
 * (70–100 %; lib/dwarf reports no progress of its own, so that phase shows as "indexing").
 * @module
 */

import { type DwarfInfo, loadDwarf } from "../dwarf/index.ts";
import { UsageError } from "../errors.ts";
import { DebugFinder } from "./discover.ts";
import { lookupFailureMessage, mismatchNotice } from "./messages.ts";
import { type ProgressFactory, type ProgressSink, terminalProgress } from "./progress.ts";
import { dwarfSections, storedDwarfBytes } from "./sections.ts";
import type { DebugFile, DebugInfoOptions, DebugLookup, DebugModule } from "./types.ts";

/** A module's DWARF and where it came from. */
export interface ModuleDwarf {
  dwarf: DwarfInfo;
  file: DebugFile;
  /** Size of the (decompressed) DWARF sections in bytes. */
  dwarfBytes: number;
  /** Milliseconds spent finding, reading and decompressing (the first query comes on top). */
  loadMs: number;
}

/** Answer of {@link DebugInfoLoader.load}: the DWARF, or why there is none. */
export type DwarfLookup = { ok: true; info: ModuleDwarf } | (DebugLookup & { ok: false });

/** Options of a {@link DebugInfoLoader}. */
export interface LoaderOptions extends DebugInfoOptions {
  /** Progress display per load (default: {@link terminalProgress} on stderr). */
  progress?: ProgressFactory;
  /** Receives one-line notices (a mismatched debug file used anyway). Default: none. */
  notice?: (text: string) => void;
}

/** Decompressed DWARF above this size makes the first query show progress at once. */
const SLOW_INDEX_BYTES = 48 * 1024 * 1024;

interface Entry {
  result: DwarfLookup;
  /** Set until the first {@link DebugInfoLoader.query} on the module has run. */
  pending?: { sink: ProgressSink };
}

/**
 * Finds and loads debug info per module, once per file (modules of several processes that map
 * the same file share one entry). Create one per session from the CLI options.
 */
export class DebugInfoLoader {
  readonly #options: LoaderOptions;
  readonly #cache = new Map<string, Entry>();

  constructor(options: LoaderOptions = {}) {
    this.#options = options;
  }

  /** Finds and loads the DWARF of `module`; "none" and "mismatch" are result values. */
  load(module: DebugModule): DwarfLookup {
    const entry = this.#entry(module);
    entry.pending?.sink.done();
    entry.pending = undefined;
    return entry.result;
  }

  /**
   * The debug file of `module` (found and read, DWARF not indexed yet), or why there is none.
   * Leaves the progress line up for a {@link query} that follows; {@link settle} erases it.
   */
  debugFile(module: DebugModule): DebugLookup {
    const r = this.#entry(module).result;
    return r.ok ? { ok: true, file: r.info.file } : r;
  }

  /** Erases any progress line still shown (call when the queries of a step are done). */
  settle(): void {
    for (const entry of this.#cache.values()) {
      entry.pending?.sink.done();
      entry.pending = undefined;
    }
  }

  /**
   * The DWARF of `module`, for a script that needs it. Throws a {@link UsageError} naming what
   * is missing (and how to get it) or which values do not match; `purpose` (`trace x.c:12`)
   * starts the message.
   */
  dwarfFor(module: DebugModule, purpose?: string): DwarfInfo {
    const r = this.load(module);
    if (!r.ok) throw new UsageError(lookupFailureMessage(r, purpose));
    return r.info.dwarf;
  }

  /**
   * The DWARF of `module` when it has some, undefined when it has none (for uses that have an
   * ELF fallback). A mismatched debug file is still an error: it is refused, not ignored.
   */
  optionalDwarf(module: DebugModule, purpose?: string): DwarfInfo | undefined {
    const r = this.load(module);
    if (r.ok) return r.info.dwarf;
    if (r.reason === "mismatch") throw new UsageError(lookupFailureMessage(r, purpose));
    return undefined;
  }

  /**
   * Loads the module's DWARF and runs `fn` on it. The first query on a module builds
   * lib/dwarf's indexes; it runs as the last phase ("indexing") of the load's progress line,
   * which is erased afterwards. No DWARF (or a refused mismatch) is the failed lookup.
   */
  query<T>(
    module: DebugModule,
    fn: (dwarf: DwarfInfo) => T,
  ): { ok: true; value: T; info: ModuleDwarf } | (DebugLookup & { ok: false }) {
    const entry = this.#entry(module);
    const r = entry.result;
    if (!r.ok) return r;
    const pending = entry.pending;
    entry.pending = undefined;
    if (pending === undefined) return { ok: true, value: fn(r.info.dwarf), info: r.info };
    pending.sink.update(0.7, "indexing", r.info.dwarfBytes >= SLOW_INDEX_BYTES);
    try {
      return { ok: true, value: fn(r.info.dwarf), info: r.info };
    } finally {
      pending.sink.done();
    }
  }

  #entry(module: DebugModule): Entry {
    const key = this.#key(module);
    let entry = this.#cache.get(key);
    if (entry === undefined) {
      entry = this.#loadEntry(module);
      this.#cache.set(key, entry);
    }
    return entry;
  }

  #loadEntry(module: DebugModule): Entry {
    const startedMs = performance.now();
    const sink = (this.#options.progress ?? terminalProgress)(module.path);
    const finder = new DebugFinder(this.#options, (done, total) => {
      sink.update(total > 0 ? 0.5 * done / total : 0, "reading");
    });
    let found: DebugLookup;
    try {
      found = finder.find(module);
    } catch (e) {
      sink.done();
      throw e;
    }
    if (!found.ok) {
      sink.done();
      return { result: found };
    }
    const file = found.file;
    if (file.mismatch) this.#options.notice?.(mismatchNotice(module.path, file.mismatch));
    const stored = Math.max(1, storedDwarfBytes(file.elf));
    let decompressed = 0;
    let sections;
    try {
      sections = dwarfSections(file.elf, module.elf(), (_name, bytes) => {
        decompressed += bytes;
        sink.update(0.5 + 0.2 * Math.min(1, decompressed / stored), "decompressing");
      });
    } catch (e) {
      sink.done();
      throw e;
    }
    const info: ModuleDwarf = {
      dwarf: loadDwarf(sections.sections),
      file,
      dwarfBytes: sections.bytes,
      loadMs: performance.now() - startedMs,
    };
    return { result: { ok: true, info }, pending: { sink } };
  }

  /**
   * Cache key: the file's identity (device, inode, size, mtime), the identity of the root its
   * debug files are looked up under (processes of one container share it), and its role.
   */
  #key(module: DebugModule): string {
    const root = module.root === undefined ? "" : fileId(module.root) ?? module.root;
    return `${fileId(module.hostPath) ?? module.hostPath}|${root}|${module.main ? "main" : ""}`;
  }
}

/** `dev:ino:size:mtime` of `path`, or undefined when it cannot be stat'ed. */
function fileId(path: string): string | undefined {
  try {
    const st = Deno.statSync(path);
    return st.ino === null
      ? undefined
      : `${st.dev}:${st.ino}:${st.size}:${st.mtime?.getTime() ?? 0}`;
  } catch {
    return undefined;
  }
}
