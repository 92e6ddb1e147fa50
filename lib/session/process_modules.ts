/**
 * The ELF modules a process maps (its executable first, then shared libraries in map order), each
 * reachable from ghostscope's mount namespace through `/proc/PID/root/...` — that is how a
 * host-side ghostscope reads the files of a process in a container.
 */
import { type ElfFile, openElf } from "../elf/mod.ts";
import { MapsPathKind, readMaps } from "../proc/maps.ts";
import { procPath } from "../proc/path.ts";
import { UsageError } from "../errors.ts";

/** One module of a process, opened lazily. */
export interface ProcessModule {
  /** Path as the target sees it (in its own mount namespace). */
  path: string;
  /** Path that reaches the same file from here (and that the kernel resolves for the uprobe). */
  hostPath: string;
  /** The parsed ELF file (read on first access). */
  elf(): ElfFile;
}

/** Lists the modules of `pid`, executable first. */
export function processModules(pid: number, procRoot = "/proc"): ProcessModule[] {
  let exe: string;
  let entries;
  try {
    exe = Deno.readLinkSync(procPath(procRoot, pid, "exe")).replace(/ \(deleted\)$/, "");
    entries = readMaps(pid, procRoot);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new UsageError(`process ${pid} exited before its modules could be read`);
    }
    throw new UsageError(`cannot read the executable of process ${pid}: ${(err as Error).message}`);
  }
  const paths = [exe];
  for (const entry of entries) {
    if (entry.pathKind === MapsPathKind.File && !paths.includes(entry.path)) {
      paths.push(entry.path);
    }
  }
  return paths.map((path) => lazyModule(path, procPath(procRoot, pid, "root") + path));
}

/** A module of a file given directly (`-t PATH`), reachable under its own path. */
export function fileModule(path: string): ProcessModule {
  return lazyModule(path, path);
}

function lazyModule(path: string, hostPath: string): ProcessModule {
  let elf: ElfFile | undefined;
  return { path, hostPath, elf: () => (elf ??= openElf(hostPath)) };
}
