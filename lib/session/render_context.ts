/**
 * The session's render context: what rendering an event needs beyond its bytes. Today that is a
 * `bt` event's backtrace: the event's process (the id it is shown with, which is its PID in our
 * /proc), that process's modules and load biases (`/proc/PID/maps`, read at its first backtrace
 * and again when a frame falls outside every known module: a library dlopen'ed after attach),
 * the unwinder (`lib/unwind`) and one symbolizer over ELF symbols and DWARF (inline frames)
 * shared by every process (module images are keyed by device and inode).
 * @module
 */
import type { DecodedEvent } from "../../bpf/wire.ts";
import type { DebugInfoLoader } from "../debuginfo/mod.ts";
import { type MapsEntry, readMaps } from "../proc/maps.ts";
import { procPath } from "../proc/path.ts";
import type { BacktraceOptions, EventContext } from "../script/mod.ts";
import {
  type Backtrace,
  backtraceJson,
  backtraceLines,
  DWARF_REG_BY_NAME,
  DwarfReg,
  ImageCache,
  loaderDwarf,
  MapsAddressSpace,
  StackSnapshot,
  Symbolizer,
  unwind,
  UnwindEnd,
} from "../unwind/mod.ts";
import { CAPTURE_REGS, CAPTURE_REGS_SIZE } from "../../bpf/stack_capture.ts";

/** Backtrace texts kept before the cache starts over. */
const TEXT_CACHE_LIMIT = 4096;

/** A process's maps are re-read at most this often (a pc outside every module asks for it). */
const MAPS_REFRESH_MS = 100;

/** Options of {@link SessionRenderContext}. */
export interface RenderContextOptions {
  /** The PID (in our /proc) of an event's process. */
  procPidOf: (event: DecodedEvent) => number;
  /** `--backtrace-depth`. */
  depth: number;
  /** The session's debug-info loader (DWARF for symbols and inline frames). */
  debugInfo: DebugInfoLoader;
  procRoot?: string;
}

/** A backtrace rendered both ways. */
export interface RenderedBacktrace {
  text: string;
  json?: unknown;
}

interface ProcessSpace {
  space: MapsAddressSpace;
  readAt: number;
}

/** Per-session render context (caches outlive events). */
export class SessionRenderContext implements EventContext {
  readonly #images = new ImageCache();
  readonly #spaces = new Map<number, ProcessSpace>();
  readonly #symbolizer: Symbolizer;
  readonly #procRoot: string;
  readonly #texts = new Map<string, string>();

  constructor(private readonly o: RenderContextOptions) {
    this.#symbolizer = new Symbolizer(loaderDwarf(o.debugInfo));
    this.#procRoot = o.procRoot ?? "/proc";
  }

  backtrace(ev: DecodedEvent, mode: BacktraceOptions): string {
    return this.describe(ev, mode).text;
  }

  /**
   * The event's backtrace as text and, when `json`, as JSON; a module file that vanished mid-way
   * is a stop reason.
   */
  describe(ev: DecodedEvent, mode: BacktraceOptions, json = false): RenderedBacktrace {
    try {
      const bt = this.unwind(ev);
      return {
        text: this.#text(bt, mode),
        json: json ? backtraceJson(bt, mode, this.#symbolizer) : undefined,
      };
    } catch (err) {
      const reason = `cannot read a module: ${(err as Error).message}`;
      return {
        text: `backtrace: stopped, 0 frames (max ${this.o.depth})\n  stopped: ${reason}`,
        json: { status: UnwindEnd.Stopped, maxDepth: this.o.depth, reason, frames: [] },
      };
    }
  }

  /** Unwinds a `bt` event's capture in its process. */
  unwind(ev: DecodedEvent): Backtrace {
    const snap = snapshotOf(ev);
    if (snap === undefined) {
      return { frames: [], end: UnwindEnd.Stopped, reason: "no capture", maxDepth: this.o.depth };
    }
    const pid = this.o.procPidOf(ev);
    let bt = unwind(snap, this.#space(pid, false), this.o.depth);
    // A frame outside every known module: the process may have mapped a library since.
    if (bt.end === UnwindEnd.Stopped && bt.reason?.startsWith("no module maps")) {
      const fresh = this.#space(pid, true);
      bt = unwind(snap, fresh, this.o.depth);
    }
    return bt;
  }

  /** The text of `bt`, cached by its frames and mode: hot probes repeat the same stacks. */
  #text(bt: Backtrace, mode: BacktraceOptions): string {
    let key = `${bt.end}|${bt.reason ?? ""}|${+mode.inline}${+mode.full}${+mode.raw}`;
    for (const f of bt.frames) key += `|${f.pc}@${f.module?.image.hostPath ?? ""}`;
    let text = this.#texts.get(key);
    if (text === undefined) {
      text = backtraceLines(bt, mode, this.#symbolizer).join("\n");
      if (this.#texts.size >= TEXT_CACHE_LIMIT) this.#texts.clear();
      this.#texts.set(key, text);
    }
    return text;
  }

  #hostPath(pid: number, e: MapsEntry): string {
    return hostPathOf(this.#procRoot, pid, e);
  }

  #space(pid: number, refresh: boolean): MapsAddressSpace {
    const known = this.#spaces.get(pid);
    const now = Date.now();
    if (known !== undefined && (!refresh || now - known.readAt < MAPS_REFRESH_MS)) {
      return known.space;
    }
    let entries;
    try {
      entries = readMaps(pid, this.#procRoot);
    } catch {
      // the process is gone: keep what we knew
      return known?.space ?? new MapsAddressSpace([], this.#images, () => "");
    }
    const space = new MapsAddressSpace(entries, this.#images, (e) => this.#hostPath(pid, e));
    this.#spaces.set(pid, { space, readAt: now });
    return space;
  }
}

/**
 * Where a mapped file is read from: its own path when that is the same file here (a host
 * process; it outlives the process), else through the process's root (a container).
 */
function hostPathOf(procRoot: string, pid: number, e: MapsEntry): string {
  try {
    if (BigInt(Deno.statSync(e.path).ino ?? -1) === e.inode) return e.path;
  } catch {
    // not reachable as is
  }
  return procPath(procRoot, pid, "root") + e.path;
}

/** The registers and stack copy of a `bt` event's value, when it has one. */
function snapshotOf(ev: DecodedEvent): StackSnapshot | undefined {
  const bytes = ev.values[0]?.value;
  if (!(bytes instanceof Uint8Array) || bytes.length < CAPTURE_REGS_SIZE) return undefined;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const regs = new Map<number, number>();
  CAPTURE_REGS.forEach((r, i) => {
    const v = view.getUint32(8 * i + 4, true) * 0x1_0000_0000 + view.getUint32(8 * i, true);
    regs.set(DWARF_REG_BY_NAME[r.name], v);
  });
  const stack = bytes.subarray(CAPTURE_REGS_SIZE);
  return new StackSnapshot(regs, regs.get(DwarfReg.Rsp)!, stack);
}
