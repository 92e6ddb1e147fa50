/**
 * Turns unwound frames into what a user reads: function names (DWARF, else ELF symbols), the
 * inlined calls at each pc (DWARF), source positions and parameters. Above frame 0 the lookup
 * uses `pc - 1`: a return address points after the call, possibly into the next line or function.
 * Answers are cached per module image and pc.
 * @module
 */
import type { DebugModule } from "../debuginfo/mod.ts";
import type { DwarfInfo, SourcePosition } from "../dwarf/index.ts";
import type { ModuleImage } from "./address_space.ts";
import type { UnwoundFrame } from "./unwind.ts";

/** One line of a backtrace: an inlined call or a physical frame. */
export interface SymbolFrame {
  /** Function name; undefined when neither DWARF nor a symbol names it. */
  name?: string;
  inlined: boolean;
  position?: SourcePosition;
  /** Parameters in C spelling, when DWARF describes the function. */
  parameters?: string[];
}

/** DWARF of a module image, when it has some. */
export type DwarfOf = (image: ModuleImage) => DwarfInfo | undefined;

/** The DWARF of each image through a session's debug-info loader (`optionalDwarf`). */
export function loaderDwarf(
  loader: { optionalDwarf(module: DebugModule): DwarfInfo | undefined },
): DwarfOf {
  const cache = new Map<ModuleImage, DwarfInfo | undefined>();
  return (image) => {
    if (cache.has(image)) return cache.get(image);
    const elf = image.elf();
    let dwarf: DwarfInfo | undefined;
    try {
      dwarf = elf === undefined ? undefined : loader.optionalDwarf({
        path: image.path,
        hostPath: image.hostPath,
        elf: () => elf,
      });
    } finally {
      cache.set(image, dwarf);
    }
    return dwarf;
  };
}

/** Names frames; one per session (its caches outlive events). */
export class Symbolizer {
  readonly #cache = new Map<ModuleImage, Map<number, SymbolFrame[]>>();

  constructor(private readonly dwarfOf: DwarfOf) {}

  /**
   * The inlined calls at the frame's pc (innermost first) followed by its function. Always at
   * least one entry (the physical frame, possibly without a name).
   */
  describe(frame: UnwoundFrame, innermost: boolean): SymbolFrame[] {
    const image = frame.module?.image;
    if (image === undefined || frame.linkPc === undefined) return [{ inlined: false }];
    const pc = innermost ? frame.linkPc : frame.linkPc - 1;
    let byPc = this.#cache.get(image);
    if (byPc === undefined) this.#cache.set(image, byPc = new Map());
    let found = byPc.get(pc);
    if (found === undefined) byPc.set(pc, found = this.#lookup(image, pc));
    return found;
  }

  #lookup(image: ModuleImage, pc: number): SymbolFrame[] {
    let dwarf: DwarfInfo | undefined;
    try {
      dwarf = this.dwarfOf(image);
    } catch {
      dwarf = undefined; // a refused debug file symbolizes like none
    }
    const source = dwarf?.sourceFramesAt(pc) ?? [];
    if (source.length > 0) {
      return source.map((f) => ({
        name: f.name || undefined,
        inlined: f.inlined,
        position: f.position,
        parameters: f.parameters,
      }));
    }
    const symbol = image.elf()?.symbols.functionAt(pc);
    return [{ name: symbol?.baseName || undefined, inlined: false }];
  }
}
