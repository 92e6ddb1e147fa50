/**
 * Globals of modules other than the probed one (a library's global read from a probe in the
 * executable, `__progname` of libc), read through `proc_module_offsets`: the trace program looks
 * the module's load bias up under its sysmon cookie, and the lifecycle monitor keeps the entry
 * current for each followed process (`extraModules` of the tracker), including a library the
 * process maps after ghostscope attached (dlopen).
 *
 * - {@link OffsetsModules}: the resolver's `unmappedBias` hook; it records which modules the
 *   compiled programs look up, for the monitor.
 * - {@link neededModules}: the libraries an executable names (DT_NEEDED, transitively), found the
 *   way the dynamic loader finds them: `-t PATH` has no process to read them from.
 * - {@link extraModule}: a `--module PATH` file (a library the target dlopen's later).
 * - {@link offsetsSelfNs}: ghostscope's PID namespace for the lookup, when it is not the initial
 *   one.
 * @module
 */

import type { PidNsRef } from "../../bpf/task_filter.ts";
import { UsageError } from "../errors.ts";
import { isInitialPidNs, readPidNs } from "../proc/ns.ts";
import { type Bias, offsetsBias } from "../script/mod.ts";
// module.ts alone, not sysmon/mod.ts: a -p run loads the tracker only when it needs it.
import { openTargetModule, type TargetModule } from "../sysmon/module.ts";
import { libraryModule, type ProcessModule } from "./process_modules.ts";

/** Receives one-line notices. */
type Notice = (text: string) => void;

/** The modules whose bias the trace programs look up in `proc_module_offsets`. */
export class OffsetsModules {
  readonly #byPath = new Map<string, TargetModule | null>();

  constructor(private readonly notice: Notice) {}

  /**
   * The run-time bias of `module` (a `moduleOffsets` lookup under its cookie), or undefined when
   * the file cannot be opened as a module (then the value is unavailable).
   */
  bias(module: { path: string; hostPath: string }): Bias | undefined {
    let t = this.#byPath.get(module.path);
    if (t === undefined) {
      try {
        t = openTargetModule(module.hostPath);
      } catch (err) {
        this.notice(`globals of ${module.path} are unavailable: ${(err as Error).message}`);
        t = null;
      }
      this.#byPath.set(module.path, t);
    }
    return t === null ? undefined : offsetsBias(module.path, t.cookie);
  }

  /** The modules looked up so far (the monitor publishes their offsets). */
  get modules(): TargetModule[] {
    return [...this.#byPath.values()].filter((t): t is TargetModule => t !== null);
  }
}

/** ghostscope's own PID namespace when it is not the initial one (`offsetsSelfNs`). */
export function offsetsSelfNs(): PidNsRef | undefined {
  try {
    const ns = readPidNs("self");
    if (isInitialPidNs(ns) || ns.dev === undefined) return undefined;
    return { dev: ns.dev, ino: ns.ino };
  } catch {
    return undefined;
  }
}

/** Directories the dynamic loader searches after RUNPATH (x86_64 Debian/Ubuntu, Fedora). */
const DEFAULT_LIBRARY_DIRS = [
  "/lib/x86_64-linux-gnu",
  "/usr/lib/x86_64-linux-gnu",
  "/lib64",
  "/usr/lib64",
  "/lib",
  "/usr/lib",
  "/usr/local/lib",
];

/** At most this many libraries are listed (a safety bound on the transitive walk). */
const MAX_NEEDED = 64;

/**
 * The shared libraries `main` needs, transitively, in breadth-first order (as the dynamic loader
 * maps them), each as found on this host: DT_RUNPATH/DT_RPATH of the file naming it (`$ORIGIN`
 * expanded), `LD_LIBRARY_PATH`, then the default directories. Names that are not found are
 * skipped (their globals are then unknown to scripts).
 */
export function neededModules(main: ProcessModule): ProcessModule[] {
  const out: ProcessModule[] = [];
  const seen = new Set<string>([main.hostPath]);
  const names = new Set<string>();
  const queue: ProcessModule[] = [main];
  const envDirs = (Deno.env.get("LD_LIBRARY_PATH") ?? "").split(":").filter((d) => d !== "");
  while (queue.length > 0 && out.length < MAX_NEEDED) {
    const m = queue.shift()!;
    let dyn;
    try {
      dyn = m.elf().dynamic;
    } catch {
      continue;
    }
    if (dyn === undefined) continue;
    const origin = m.hostPath.replace(/\/[^/]*$/, "") || "/";
    const runpath = (dyn.runpath ?? "").split(":").filter((d) => d !== "")
      .map((d) => d.replace(/\$\{?ORIGIN\}?/g, origin));
    for (const name of dyn.needed) {
      if (names.has(name)) continue;
      names.add(name);
      const path = findLibrary(name, [...runpath, ...envDirs, ...DEFAULT_LIBRARY_DIRS]);
      if (path === undefined || seen.has(path)) continue;
      seen.add(path);
      const lib = libraryModule(path);
      out.push(lib);
      queue.push(lib);
    }
  }
  return out;
}

function findLibrary(name: string, dirs: string[]): string | undefined {
  const candidates = name.includes("/") ? [name] : dirs.map((d) => `${d}/${name}`);
  for (const c of candidates) {
    try {
      if (Deno.statSync(c).isFile) return Deno.realPathSync(c);
    } catch {
      // not there
    }
  }
  return undefined;
}

/**
 * The `--module PATH` file as a module whose globals scripts may read (e.g. a library the target
 * dlopen's after ghostscope attached).
 * @throws {UsageError} when the file does not exist
 */
export function extraModule(path: string): ProcessModule {
  const absolute = path.startsWith("/") ? path : `${Deno.cwd().replace(/\/$/, "")}/${path}`;
  let real: string;
  try {
    real = Deno.realPathSync(absolute);
  } catch {
    throw new UsageError(`--module ${path}: no such file`);
  }
  return libraryModule(real);
}
