/**
 * Which module a runtime address belongs to in one process, with the module's load bias and call
 * frame information: built from the process's `/proc/PID/maps` lines, with module files opened
 * once per file (by device and inode) and shared by every process that maps them.
 * @module
 */
import { CallFrames, type CfaRow } from "../dwarf/cfa.ts";

/** Unwind rows kept per module before the cache starts over. */
const ROW_CACHE_LIMIT = 65536;
import { PT_LOAD } from "../elf/constants.ts";
import { type ElfFile, openElfLazy } from "../elf/mod.ts";
import { type MapsEntry, MapsPathKind } from "../proc/maps.ts";
import { computeModuleOffsets, type LoadSegment } from "../sysmon/bias.ts";
import { moduleCookie } from "../sysmon/cookie.ts";

/** One module file: its ELF, load segments and call frame sections (read on first use). */
export class ModuleImage {
  #frames: CallFrames | undefined;
  #elf: ElfFile | undefined;
  #failed = false;
  #cookie: bigint | undefined;
  readonly #rows = new Map<number, CfaRow | undefined>();

  /**
   * @param path the file as the target sees it (shown in frames)
   * @param hostPath the same file reachable from here
   */
  /** The base name (`libc.so.6`), as frames show the module. */
  readonly name: string;

  constructor(readonly path: string, readonly hostPath: string) {
    this.name = path.slice(path.lastIndexOf("/") + 1);
  }

  /** The parsed ELF, or undefined when the file cannot be read as one. */
  elf(): ElfFile | undefined {
    if (this.#elf === undefined && !this.#failed) {
      try {
        this.#elf = openElfLazy(this.hostPath);
      } catch {
        this.#failed = true;
      }
    }
    return this.#elf;
  }

  /** The module's sysmon cookie (`bt raw`), 0 when the file cannot be identified. */
  cookie(): bigint {
    if (this.#cookie === undefined) {
      try {
        const st = Deno.statSync(this.hostPath);
        this.#cookie = moduleCookie({
          buildId: this.elf()?.buildId,
          dev: BigInt(st.dev),
          ino: BigInt(st.ino ?? 0),
        });
      } catch {
        this.#cookie = 0n;
      }
    }
    return this.#cookie;
  }

  /** PT_LOAD segments (for the bias). */
  loads(): LoadSegment[] {
    return (this.elf()?.programHeaders ?? []).filter((p) => p.type === PT_LOAD).map((p) => ({
      offset: p.offset,
      vaddr: p.vaddr,
      filesz: p.filesz,
    }));
  }

  /** The unwind row at link-time `pc` (cached: probes hit the same pcs again and again). */
  rowAt(pc: number): CfaRow | undefined {
    if (this.#rows.has(pc)) return this.#rows.get(pc);
    const row = this.frames()?.rowAt(pc);
    if (this.#rows.size >= ROW_CACHE_LIMIT) this.#rows.clear();
    this.#rows.set(pc, row);
    return row;
  }

  /** `.eh_frame` and, when the file has it, `.debug_frame`. */
  frames(): CallFrames | undefined {
    if (this.#frames === undefined) {
      const elf = this.elf();
      if (elf === undefined) return undefined;
      const eh = elf.sectionHeader(".eh_frame");
      this.#frames = new CallFrames(
        elf.section(".eh_frame"),
        eh?.addr ?? 0,
        elf.section(".debug_frame"),
      );
    }
    return this.#frames.available ? this.#frames : undefined;
  }
}

/** A module as mapped in one process. */
export interface MappedModule {
  image: ModuleImage;
  /** Lowest and highest address of its mappings. */
  start: number;
  end: number;
  /** runtime address - link-time address. */
  bias: number;
}

/** Answers "which module holds this address" for one process. */
export interface AddressSpace {
  moduleAt(pc: number): MappedModule | undefined;
}

/** Module files by identity, shared across processes. */
export class ImageCache {
  readonly #images = new Map<string, ModuleImage>();

  /** The image of the file `entry` maps, reachable at `hostPath`. */
  image(entry: MapsEntry, hostPath: string): ModuleImage {
    const key = `${entry.devMajor}:${entry.devMinor}:${entry.inode}:${entry.path}`;
    let image = this.#images.get(key);
    if (image === undefined) this.#images.set(key, image = new ModuleImage(entry.path, hostPath));
    return image;
  }
}

/** The modules of one process from its maps lines. */
export class MapsAddressSpace implements AddressSpace {
  readonly modules: MappedModule[] = [];
  #last: MappedModule | undefined;

  /**
   * @param entries the process's maps lines
   * @param images where module files are opened (shared)
   * @param hostPathOf how to reach a mapped file from here (`/proc/PID/map_files/...`)
   */
  constructor(
    entries: readonly MapsEntry[],
    images: ImageCache,
    hostPathOf: (entry: MapsEntry) => string,
  ) {
    const byFile = new Map<string, MapsEntry[]>();
    for (const e of entries) {
      if (e.pathKind !== MapsPathKind.File) continue;
      const key = `${e.devMajor}:${e.devMinor}:${e.inode}`;
      const list = byFile.get(key);
      if (list) list.push(e);
      else byFile.set(key, [e]);
    }
    for (const list of byFile.values()) {
      if (!list.some((e) => e.perms.exec)) continue;
      const exec = list.find((e) => e.perms.exec)!;
      const image = images.image(exec, hostPathOf(exec));
      const offsets = computeModuleOffsets(list, image.loads());
      if (offsets === undefined) continue;
      this.modules.push({
        image,
        start: Number(offsets.start),
        end: Number(offsets.end),
        bias: Number(BigInt.asIntN(64, offsets.bias)),
      });
    }
  }

  moduleAt(pc: number): MappedModule | undefined {
    const last = this.#last;
    if (last !== undefined && last.start <= pc && pc < last.end) return last;
    for (const m of this.modules) {
      if (m.start <= pc && pc < m.end) return this.#last = m;
    }
    return undefined;
  }
}
