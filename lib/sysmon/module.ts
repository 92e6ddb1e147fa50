/**
 * The module `-t` follows: an ELF executable or shared library, identified by the device and
 * inode of its file (never by its path: the same path may name different files in other mount
 * namespaces, and different paths — symlinks, bind mounts, `/proc/PID/root/...` — the same file).
 * @module
 */

import { type ElfFile, openElf } from "../elf/mod.ts";
import { decodeUserDev } from "../proc/ns.ts";
import { UsageError } from "../errors.ts";
import type { LoadSegment } from "./bias.ts";
import { moduleCookie } from "./cookie.ts";

/** Device and inode of a file, as /proc/PID/maps prints them. */
export interface FileIdentity {
  major: number;
  minor: number;
  ino: bigint;
}

/** What `-t PATH` names. */
export enum ModuleKind {
  /** ET_EXEC, or ET_DYN with PT_INTERP (a PIE): processes run it. */
  Executable = "executable",
  /** ET_DYN without PT_INTERP: processes map it (at start or through dlopen). */
  SharedLibrary = "shared-library",
}

/** A module to follow. */
export interface TargetModule {
  /** Absolute path as given (resolved from the working directory). */
  path: string;
  /** Device and inode of the file. */
  identity: FileIdentity;
  /** Stable 64-bit id (see cookie.ts). */
  cookie: bigint;
  kind: ModuleKind;
  /** PT_LOAD segments, for the load bias. */
  loads: readonly LoadSegment[];
  /** Whether the file loads at a bias (ET_DYN). */
  positionIndependent: boolean;
  /** The parsed file. */
  elf: ElfFile;
}

/** Device/inode of a `Deno.FileInfo`. */
export function fileIdentity(info: Deno.FileInfo): FileIdentity {
  const { major, minor } = decodeUserDev(BigInt(info.dev));
  return { major: Number(major), minor: Number(minor), ino: BigInt(info.ino ?? 0) };
}

/** True when two identities name the same file. */
export function sameFile(a: FileIdentity, b: FileIdentity): boolean {
  return a.ino === b.ino && a.major === b.major && a.minor === b.minor;
}

/**
 * Opens `path` (relative paths resolve from the working directory) as the module to follow.
 * @throws {UsageError} when it is missing, not a regular file, not an x86_64 ELF64, or neither an
 *   executable nor a shared library
 */
export function openTargetModule(path: string, cwd: string = Deno.cwd()): TargetModule {
  const absolute = path.startsWith("/") ? path : `${cwd.replace(/\/$/, "")}/${path}`;
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(absolute);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new UsageError(`-t ${path}: no such file`);
    throw new UsageError(`-t ${path}: ${(err as Error).message}`);
  }
  if (!info.isFile) throw new UsageError(`-t ${path}: not a regular file`);
  const elf = openElf(absolute);
  // lib/elf's classification: a PIE is ET_DYN with DF_1_PIE (or PT_INTERP and no DT_SONAME), so
  // a static PIE (no PT_INTERP) is still an executable and libc.so.6 (PT_INTERP, DT_SONAME) is
  // still a library.
  let kind: ModuleKind;
  switch (elf.kind) {
    case "executable":
    case "pie":
      kind = ModuleKind.Executable;
      break;
    case "shared":
      kind = ModuleKind.SharedLibrary;
      break;
    default:
      throw new UsageError(`-t ${path}: not an executable or shared library (ELF ${elf.kind})`);
  }
  const identity = fileIdentity(info);
  return {
    path: absolute,
    identity,
    cookie: moduleCookie({ buildId: elf.buildId, dev: BigInt(info.dev), ino: identity.ino }),
    kind,
    loads: elf.loadMap.loads.map((p) => ({ offset: p.offset, vaddr: p.vaddr, filesz: p.filesz })),
    positionIndependent: elf.isPositionIndependent,
    elf,
  };
}
