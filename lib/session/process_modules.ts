/**
 * The ELF modules a process maps (its executable first, then shared libraries in map order), each
 * reachable from ghostscope's mount namespace through `/proc/PID/root/...` — that is how a
 * host-side ghostscope reads the files of a process in a container.
 */
import { type ElfFile, openElf, openElfLazy, parseElf } from "../elf/mod.ts";
import { readCandidate } from "../debuginfo/mod.ts";
import { MapsPathKind, readMaps } from "../proc/maps.ts";
import { procPath } from "../proc/path.ts";
import { UsageError } from "../errors.ts";

/** One module of a process, opened lazily. */
export interface ProcessModule {
  /** Path as the target sees it (in its own mount namespace). */
  path: string;
  /** Path that reaches the same file from here (and that the kernel resolves for the uprobe). */
  hostPath: string;
  /**
   * Root of the process's mount namespace as reachable from here (`/proc/PID/root`), set only
   * when it is not our own `/`: debug files are looked up under it first, then on the host.
   */
  root?: string;
  /** True for the executable (or the `-t` target): `--debug-file` applies to it. */
  main?: boolean;
  /** The parsed ELF file (read on first access). */
  elf(): ElfFile;
}

/**
 * Lists the modules of `pid`, executable first. Only files the process maps executable count:
 * data files it maps (locale archives, mmapped data) cannot hold probe sites and need not be ELF.
 * A module whose file was deleted or replaced on disk (a binary rebuilt while it runs) is reached
 * through `/proc/PID/exe` or `/proc/PID/map_files/...`, which still name the inode the process runs.
 */
export function processModules(pid: number, procRoot = "/proc"): ProcessModule[] {
  let exeLink: string;
  let entries;
  try {
    exeLink = Deno.readLinkSync(procPath(procRoot, pid, "exe"));
    entries = readMaps(pid, procRoot);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new UsageError(`process ${pid} exited before its modules could be read`);
    }
    throw new UsageError(`cannot read the executable of process ${pid}: ${(err as Error).message}`);
  }
  const exe = exeLink.replace(/ \(deleted\)$/, "");
  const rootPath = (path: string) => procPath(procRoot, pid, "root") + path;
  const root = otherRoot(procPath(procRoot, pid, "root"));
  const modules = [
    lazyModule(exe, exe !== exeLink ? procPath(procRoot, pid, "exe") : rootPath(exe), root, true),
  ];
  const seen = new Set([exe]);
  for (const entry of entries) {
    if (entry.pathKind !== MapsPathKind.File || !entry.perms.exec || seen.has(entry.path)) continue;
    seen.add(entry.path);
    const range = `${entry.start.toString(16)}-${entry.end.toString(16)}`;
    const hostPath = entry.deleted
      ? procPath(procRoot, pid, "map_files", range)
      : rootPath(entry.path);
    modules.push(lazyModule(entry.path, hostPath, root, false));
  }
  return modules;
}

/** A module of a file given directly (`-t PATH`), reachable under its own path. */
export function fileModule(path: string): ProcessModule {
  return lazyModule(path, path, undefined, true);
}

/** A shared library given by its path on this host (not the main module). */
export function libraryModule(path: string): ProcessModule {
  return lazyModule(path, path, undefined, false);
}

/** `root` when it is another directory than our `/` (a container, a chroot), else undefined. */
function otherRoot(root: string): string | undefined {
  try {
    const theirs = Deno.statSync(root);
    const ours = Deno.statSync("/");
    return theirs.dev === ours.dev && theirs.ino === ours.ino ? undefined : root;
  } catch {
    return root; // cannot tell: looking there first costs a few failed stats
  }
}

function lazyModule(
  path: string,
  hostPath: string,
  root: string | undefined,
  main: boolean,
): ProcessModule {
  let elf: ElfFile | undefined;
  const module: ProcessModule = { path, hostPath, main, elf: () => (elf ??= readElf(hostPath)) };
  if (root !== undefined) module.root = root;
  return module;
}

/** Files at least this big are read on demand ({@link openElfLazy}), smaller ones whole. */
const READ_ON_DEMAND_BYTES = 4 * 1024 * 1024;

/**
 * Reads and parses an ELF file. A big one is read on demand: looking a symbol up in the 95 MB
 * `deno` executable then reads its headers and symbol tables (~0.5 ms), not its code (~65 ms). A
 * smaller one is read whole, in chunks into one buffer of the file's size, which is about 3x
 * faster than `Deno.readFileSync` on big files; on failure, {@link openElf} words the error.
 */
function readElf(hostPath: string): ElfFile {
  let size: number | undefined;
  try {
    size = Deno.statSync(hostPath).size;
  } catch {
    // openElf words the failure below
  }
  if (size !== undefined && size >= READ_ON_DEMAND_BYTES) return openElfLazy(hostPath);
  const r = readCandidate(hostPath, false);
  return r.ok ? parseElf(r.file.bytes, hostPath) : openElf(hostPath);
}
