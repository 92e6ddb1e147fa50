/**
 * Reader for `/proc/<pid>/ns/pid`: which PID namespace a task belongs to, as the `(dev, ino)` pair
 * that `bpf_get_ns_current_pid_tgid(dev, ino, ...)` expects.
 *
 * `stat()` on the magic link follows it to the nsfs inode. Its `st_dev` is in the USERSPACE
 * encoding (`new_encode_dev`), but the helper compares against the superblock's `s_dev` in the
 * KERNEL encoding `MKDEV(major, minor) = major << 20 | minor`, so we convert. The two encodings
 * coincide while minor < 256, which is why passing `st_dev` unchanged often works by accident.
 *
 * When `stat()` fails but `readlink()` works, the link text `pid:[N]` still gives the inode; the
 * device is then unknown and the helper cannot be used with this namespace.
 *
 * @module
 */

import { ProcFormatError } from "./errors.ts";
import { DEFAULT_PROC_ROOT, procPath, type ProcPid } from "./path.ts";

/** PROC_PID_INIT_INO (include/linux/proc_ns.h): inode of the initial PID namespace, fixed. */
export const INITIAL_PID_NS_INO = 0xEFFFFFFCn;

/** Bits of the minor number in the kernel's internal dev_t (MINORBITS). */
const KERNEL_MINOR_BITS = 20n;
/** Largest major number the kernel's 32-bit dev_t can hold (12 bits). */
const KERNEL_MAJOR_MAX = (1n << 12n) - 1n;
/** Largest minor number the kernel's 32-bit dev_t can hold (20 bits). */
const KERNEL_MINOR_MAX = (1n << KERNEL_MINOR_BITS) - 1n;

/** A device number split into its parts. */
export interface DevParts {
  major: bigint;
  minor: bigint;
}

/**
 * Decodes a userspace `st_dev` value (glibc `gnu_dev_major/minor`):
 * `major = ((d >> 8) & 0xfff) | ((d >> 32) & ~0xfff)`,
 * `minor = (d & 0xff) | ((d >> 12) & ~0xff)`.
 */
export function decodeUserDev(stDev: bigint): DevParts {
  const major = ((stDev >> 8n) & 0xfffn) | ((stDev >> 32n) & ~0xfffn);
  const minor = (stDev & 0xffn) | ((stDev >> 12n) & ~0xffn);
  return { major, minor };
}

/**
 * Converts a userspace `st_dev` into the kernel's `MKDEV(major, minor)` encoding.
 *
 * @throws RangeError if the device does not fit the kernel's 12-bit major / 20-bit minor
 */
export function userDevToKernelDev(stDev: bigint): bigint {
  const { major, minor } = decodeUserDev(stDev);
  if (major > KERNEL_MAJOR_MAX || minor > KERNEL_MINOR_MAX) {
    throw new RangeError(`device ${stDev} does not fit the kernel dev_t encoding`);
  }
  return (major << KERNEL_MINOR_BITS) | minor;
}

/** Identity of a PID namespace. */
export interface PidNsId {
  /** nsfs device in the kernel MKDEV encoding; undefined when only readlink worked. */
  dev: bigint | undefined;
  /** nsfs inode number. */
  ino: bigint;
  /** How the identity was obtained. */
  source: NsSource;
}

/** How a {@link PidNsId} was obtained. */
export enum NsSource {
  /** stat() of the link: dev and ino known. */
  Stat = "stat",
  /** readlink() of the link (`pid:[N]`): ino only. */
  ReadLink = "readlink",
}

/** File-system access used by {@link readPidNs}; injectable because tests cannot fake nsfs. */
export interface NsFileAccess {
  /** stat() following symlinks; `dev` is the userspace st_dev. Throws on failure. */
  stat(path: string): { dev: number | bigint; ino: number | bigint | null };
  /** readlink(); throws on failure. */
  readLink(path: string): string;
}

/** The real file system. */
export const realNsFileAccess: NsFileAccess = {
  stat: (path) => {
    const info = Deno.statSync(path);
    return { dev: info.dev, ino: info.ino };
  },
  readLink: (path) => Deno.readLinkSync(path),
};

const LINK_RE = /^pid:\[([0-9]+)\]$/;

/** Parses the `pid:[N]` link text. */
export function parseNsLink(text: string, path = "ns/pid"): bigint {
  const m = LINK_RE.exec(text.trim());
  if (!m) throw new ProcFormatError(path, `expected 'pid:[N]', got '${text}'`);
  return BigInt(m[1]);
}

/** Options of {@link readPidNs}. */
export interface ReadPidNsOptions {
  procRoot?: string;
  access?: NsFileAccess;
}

/**
 * Reads the PID namespace of a task.
 *
 * @throws the stat() error when both stat() and readlink() fail (e.g. NotFound, PermissionDenied)
 */
export function readPidNs(pid: ProcPid, options: ReadPidNsOptions = {}): PidNsId {
  const access = options.access ?? realNsFileAccess;
  const path = procPath(options.procRoot ?? DEFAULT_PROC_ROOT, pid, "ns", "pid");
  let statError: unknown;
  try {
    const info = access.stat(path);
    if (info.ino !== null) {
      return {
        dev: userDevToKernelDev(BigInt(info.dev)),
        ino: BigInt(info.ino),
        source: NsSource.Stat,
      };
    }
  } catch (error) {
    statError = error;
  }
  try {
    return {
      dev: undefined,
      ino: parseNsLink(access.readLink(path), path),
      source: NsSource.ReadLink,
    };
  } catch (linkError) {
    throw statError ?? linkError;
  }
}

/** True when the namespace is the initial (host) PID namespace. */
export function isInitialPidNs(ns: { ino: bigint }): boolean {
  return ns.ino === INITIAL_PID_NS_INO;
}

/**
 * True when two namespace ids denote the same namespace. Inodes decide; devices are compared only
 * when both are known (all namespaces live on the single nsfs superblock).
 */
export function samePidNs(a: PidNsId, b: PidNsId): boolean {
  if (a.ino !== b.ino) return false;
  return a.dev === undefined || b.dev === undefined || a.dev === b.dev;
}
