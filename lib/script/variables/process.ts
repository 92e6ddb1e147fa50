/**
 * The DWARF variable resolver for a `-p PID` session: modules are the files the process maps,
 * the probed module's DWARF comes from {@link loadModuleDwarf}, and globals of other modules are
 * rebased with their load bias read from the process's maps when the script is compiled (the
 * process is fixed; a module that is not mapped yet gives `OffsetsUnavailable`).
 *
 * The caller passes already-parsed `/proc/PID/maps` lines: this folder never reads /proc.
 * @module
 */

import type { MapsEntry } from "../../proc/maps.ts";
import type { TraceTarget } from "../ast.ts";
import type { VariableContext } from "../resolver.ts";
import { type DwarfSource, loadModuleDwarf } from "./load.ts";
import { PT_TLS } from "../../elf/constants.ts";
import { kernelFsbaseOffset } from "./kernel_btf.ts";
import { type Bias, constantBias, type TlsBlock } from "./location.ts";
import { DwarfVariableResolver, type VariableModule } from "./resolver.ts";

/** A module of the process (lib/session's `ProcessModule` has this shape). */
export type ModuleFile = DwarfSource;

/** Where a trace block probes: the module (by path) and the link-time address. */
export interface SiteAddress {
  modulePath: string;
  linkAddress: number;
  /** The function the site is in (`$func`). */
  function?: string;
}

/** Inputs of {@link processVariableResolver}. */
export interface ProcessResolverOptions {
  /** The process's modules, executable first. */
  modules: readonly ModuleFile[];
  /** The process's maps at compile time (for the bias of modules other than the probed one). */
  maps: readonly MapsEntry[];
  /** Finds where a trace block probes (every site, in attach order). */
  locate(target: TraceTarget, targetText: string, traceId: number): SiteAddress[];
  /**
   * How to rebase a module `maps` does not show (not mapped yet, or no fixed process in -t
   * mode), e.g. `offsetsBias(path, cookie)` (a run-time `proc_module_offsets` lookup). Default:
   * unavailable (values read through it carry `OffsetsUnavailable`).
   */
  unmappedBias?(module: ModuleFile): Bias | undefined;
}

/** A bias looked up at run time in `proc_module_offsets` under the module's sysmon cookie. */
export function offsetsBias(modulePath: string, cookie: bigint): Bias {
  return { kind: "ir", expr: { kind: "moduleOffsets", module: modulePath, cookie } };
}

/**
 * The load bias of `module` in a process with `maps`: mapped start minus the link-time address of
 * the mapped file offset. Undefined when the module is not mapped.
 */
export function moduleBias(module: ModuleFile, maps: readonly MapsEntry[]): bigint | undefined {
  let best: MapsEntry | undefined;
  for (const e of maps) {
    if (e.path !== module.path) continue;
    if (!best || e.offset < best.offset) best = e;
  }
  if (!best) return undefined;
  try {
    const vaddr = module.elf().fileOffsetToVaddr(Number(best.offset));
    return best.start - BigInt(vaddr);
  } catch {
    return undefined;
  }
}

/**
 * The static TLS block of the executable (`main`): glibc places it `roundup(memsz - firstbyte,
 * align) + firstbyte` bytes below the thread pointer (x86_64, TLS variant II). Undefined for a
 * module without PT_TLS; libraries' TLS (dynamic, through the DTV) is not supported.
 */
export function staticTls(m: ModuleFile): TlsBlock | undefined {
  let ph;
  try {
    ph = m.elf().programHeaders.find((p) => p.type === PT_TLS);
  } catch {
    return undefined;
  }
  if (!ph) return undefined;
  if (!m.main) {
    return { ok: false, why: `${m.path} is a library (its TLS is dynamic, not supported yet)` };
  }
  const fsbase = kernelFsbaseOffset();
  if (typeof fsbase === "string") return { ok: false, why: fsbase };
  const align = Math.max(1, ph.align);
  const firstbyte = (align - (ph.vaddr & (align - 1))) & (align - 1);
  const blockOffset = Math.ceil((ph.memsz - firstbyte) / align) * align + firstbyte;
  return { ok: true, blockOffset, fsbaseOffset: fsbase };
}

/** A DWARF resolver for the process whose modules and maps are given. */
export function processVariableResolver(opts: ProcessResolverOptions): DwarfVariableResolver {
  const byPath = new Map<string, VariableModule>();
  const variableModule = (m: ModuleFile): VariableModule => {
    let d = byPath.get(m.path);
    if (!d) {
      d = { path: m.path, dwarf: () => loadModuleDwarf(m), tls: () => staticTls(m) };
      byPath.set(m.path, d);
    }
    return d;
  };
  const all = opts.modules.map(variableModule);
  return new DwarfVariableResolver({
    locate(ctx: VariableContext) {
      const text = ctx.targetText ?? "";
      return opts.locate(ctx.target, text, ctx.traceId).map((site) => {
        const m = opts.modules.find((x) => x.path === site.modulePath);
        const module: VariableModule = m ? variableModule(m) : {
          path: site.modulePath,
          dwarf: () => ({ ok: false, message: `module ${site.modulePath} is not mapped` }),
        };
        return { module, pc: site.linkAddress, function: site.function };
      });
    },
    modules: all,
    biasOf(d: VariableModule): Bias {
      const m = opts.modules.find((x) => x.path === d.path);
      const b = m ? moduleBias(m, opts.maps) : undefined;
      if (b !== undefined) return constantBias(b);
      return (m && opts.unmappedBias?.(m)) ??
        { kind: "unavailable", why: `${d.path} is not mapped in the process` };
    },
  });
}
