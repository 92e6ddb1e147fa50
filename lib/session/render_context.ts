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
  type AddressSpace,
  type Backtrace,
  backtraceJson,
  backtraceLines,
  DWARF_REG_BY_NAME,
  DwarfReg,
  ImageCache,
  loaderDwarf,
  type MappedModule,
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
  /**
   * The probe sites of each trace block (by trace id): when an event's process is gone before
   * its maps could be read, the probed module's own frames are still unwound, its bias being
   * `ip - linkAddress` of the site that fired.
   */
  probed?: ReadonlyMap<number, readonly ProbedSite[]>;
  procRoot?: string;
}

/** One probe site as the render context needs it. */
export interface ProbedSite {
  /** The module as the target sees it, and as reachable from here. */
  path: string;
  hostPath: string;
  /** Link-time address of the probed instruction. */
  linkAddress: number;
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
    const space = this.#space(pid, false);
    if (space === undefined) {
      // The process is gone: the probed module's frames are all that can be told.
      const bt = unwind(snap, this.#probedSpace(ev, snap), this.o.depth);
      if (bt.reason?.startsWith("no module maps")) {
        bt.reason += " (the process exited before its maps were read)";
      }
      return bt;
    }
    let bt = unwind(snap, space, this.o.depth);
    // A frame outside every known module: the process may have mapped a library since.
    if (bt.end === UnwindEnd.Stopped && bt.reason?.startsWith("no module maps")) {
      bt = unwind(snap, this.#space(pid, true) ?? space, this.o.depth);
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

  /** The probed module alone, placed by the event's ip and the site's link address. */
  #probedSpace(ev: DecodedEvent, snap: StackSnapshot): AddressSpace {
    const ip = snap.regs.get(DwarfReg.Rip) ?? 0;
    const modules: MappedModule[] = [];
    for (const site of this.o.probed?.get(ev.traceId) ?? []) {
      const bias = ip - site.linkAddress;
      if (bias % 4096 !== 0) continue; // not the site that fired
      const image = this.#images.imageOf(site.path, site.hostPath);
      const loads = image.loads();
      if (loads.length === 0) continue;
      const start = bias + Math.min(...loads.map((l) => l.vaddr));
      const end = bias + Math.max(...loads.map((l) => l.vaddr + l.filesz));
      modules.push({ image, start, end, bias });
      break;
    }
    return { moduleAt: (pc) => modules.find((m) => m.start <= pc && pc < m.end) };
  }

  /** The process's modules; undefined when it is gone and was never read. */
  #space(pid: number, refresh: boolean): MapsAddressSpace | undefined {
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
      return known?.space;
    }
    const space = new MapsAddressSpace(entries, this.#images, (e) => this.#hostPath(pid, e));
    // An exiting process (a zombie) shows no mappings: as good as gone.
    if (space.modules.length === 0) return known?.space;
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
