/**
 * Errors thrown by `ffi/`. Every failed kernel or libbpf call becomes a {@link BpfError} that names
 * the operation and the errno, so one line on stderr says what was refused and why. This file does
 * not touch FFI itself: the human text of an errno is passed in by the caller (from libc/libbpf),
 * with {@link errnoText} as the fallback.
 */
import { RuntimeFailure } from "../lib/errors.ts";

/** Linux errno values (x86_64), plus the kernel-internal ones BPF returns and libbpf's own codes. */
export enum Errno {
  EPERM = 1,
  ENOENT = 2,
  ESRCH = 3,
  EINTR = 4,
  EIO = 5,
  ENXIO = 6,
  E2BIG = 7,
  ENOEXEC = 8,
  EBADF = 9,
  ECHILD = 10,
  EAGAIN = 11,
  ENOMEM = 12,
  EACCES = 13,
  EFAULT = 14,
  EBUSY = 16,
  EEXIST = 17,
  EXDEV = 18,
  ENODEV = 19,
  ENOTDIR = 20,
  EISDIR = 21,
  EINVAL = 22,
  ENFILE = 23,
  EMFILE = 24,
  ENOTTY = 25,
  ETXTBSY = 26,
  EFBIG = 27,
  ENOSPC = 28,
  ESPIPE = 29,
  EROFS = 30,
  EPIPE = 32,
  ERANGE = 34,
  EDEADLK = 35,
  ENAMETOOLONG = 36,
  ENOSYS = 38,
  ENOTEMPTY = 39,
  ELOOP = 40,
  ENODATA = 61,
  EOVERFLOW = 75,
  EBADFD = 77,
  EOPNOTSUPP = 95,
  EADDRINUSE = 98,
  ETIMEDOUT = 110,
  EALREADY = 114,
  EINPROGRESS = 115,
  ECANCELED = 125,
  /** Kernel-internal "operation not supported" (never seen by libc, but BPF returns it). */
  ENOTSUPP = 524,
  /** libbpf: something went wrong in libelf. */
  LIBBPF_ERRNO__LIBELF = 4000,
  /** libbpf: BPF object format invalid. */
  LIBBPF_ERRNO__FORMAT = 4001,
  /** libbpf: 'version' section incorrect or lost. */
  LIBBPF_ERRNO__KVERSION = 4002,
  /** libbpf: endian mismatch. */
  LIBBPF_ERRNO__ENDIAN = 4003,
  /** libbpf: internal error. */
  LIBBPF_ERRNO__INTERNAL = 4004,
  /** libbpf: relocation failed. */
  LIBBPF_ERRNO__RELOC = 4005,
  /** libbpf: failed to load program. */
  LIBBPF_ERRNO__LOAD = 4006,
  /** libbpf: kernel verifier blocked the program. */
  LIBBPF_ERRNO__VERIFY = 4007,
  /** libbpf: program too big. */
  LIBBPF_ERRNO__PROG2BIG = 4008,
  /** libbpf: incorrect kernel version. */
  LIBBPF_ERRNO__KVER = 4009,
  /** libbpf: kernel does not support this program type. */
  LIBBPF_ERRNO__PROGTYPE = 4010,
  /** libbpf: wrong pid in netlink message. */
  LIBBPF_ERRNO__WRNGPID = 4011,
  /** libbpf: invalid netlink sequence. */
  LIBBPF_ERRNO__INVSEQ = 4012,
  /** libbpf: netlink parse error. */
  LIBBPF_ERRNO__NLPARSE = 4013,
}

/** Fallback descriptions, used when libc/libbpf cannot be asked (or know nothing, as for 524). */
const ERRNO_TEXT: Partial<Record<Errno, string>> = {
  [Errno.EPERM]: "Operation not permitted",
  [Errno.ENOENT]: "No such file or directory",
  [Errno.ESRCH]: "No such process",
  [Errno.EINTR]: "Interrupted system call",
  [Errno.EIO]: "Input/output error",
  [Errno.E2BIG]: "Argument list too long",
  [Errno.EBADF]: "Bad file descriptor",
  [Errno.EAGAIN]: "Resource temporarily unavailable",
  [Errno.ENOMEM]: "Cannot allocate memory",
  [Errno.EACCES]: "Permission denied",
  [Errno.EFAULT]: "Bad address",
  [Errno.EBUSY]: "Device or resource busy",
  [Errno.EEXIST]: "File exists",
  [Errno.ENODEV]: "No such device",
  [Errno.EINVAL]: "Invalid argument",
  [Errno.EMFILE]: "Too many open files",
  [Errno.ENOSPC]: "No space left on device",
  [Errno.ERANGE]: "Numerical result out of range",
  [Errno.ENAMETOOLONG]: "File name too long",
  [Errno.ENOSYS]: "Function not implemented",
  [Errno.EOPNOTSUPP]: "Operation not supported",
  [Errno.ENOTSUPP]: "Operation not supported by the kernel",
  [Errno.LIBBPF_ERRNO__VERIFY]: "Kernel verifier blocks program loading",
};

/**
 * Symbolic name of an errno: `errnoName(1) === "EPERM"`. Accepts negative values (libbpf returns
 * `-errno`). Unknown numbers give `"errno <n>"`.
 */
export function errnoName(errno: number): string {
  const n = Math.abs(errno);
  const name = (Errno as unknown as Record<number, string | undefined>)[n];
  return name ?? `errno ${n}`;
}

/** Built-in description of an errno, or `undefined` when this table has none. */
export function errnoText(errno: number): string | undefined {
  return ERRNO_TEXT[Math.abs(errno) as Errno];
}

/**
 * A kernel, libc or libbpf call failed. `message` is one line:
 * `bpf_prog_load(trace_0): EPERM (Operation not permitted)`.
 */
export class BpfError extends RuntimeFailure {
  override name = "BpfError";
  /** The operation, with what it acted on: `bpf_map_create(events)`, `perf_event_open(uprobe ...)`. */
  readonly op: string;
  /** Positive errno value. */
  readonly errno: number;
  /** Symbolic errno (`EPERM`, `ENOENT`, ..., or `errno <n>` when unknown). */
  readonly errnoName: string;
  /** Human text of the errno (`Operation not permitted`). */
  readonly description: string;

  /**
   * @param op the operation, with its target in parentheses
   * @param errno the errno (sign ignored)
   * @param description human text from `strerror`/`libbpf_strerror`; the built-in table otherwise
   */
  constructor(op: string, errno: number, description?: string) {
    const n = Math.abs(errno);
    const name = errnoName(n);
    const text = description ?? errnoText(n) ?? "unknown error";
    super(`${op}: ${name} (${text})`);
    this.op = op;
    this.errno = n;
    this.errnoName = name;
    this.description = text;
  }
}

/** The verifier rejected a program. `log` is the full verifier output (level 1). */
export class VerifierError extends BpfError {
  override name = "VerifierError";
  /** Full verifier log, as the kernel wrote it (without the trailing NUL). */
  readonly log: string;

  /**
   * @param op `bpf_prog_load(<name>)`
   * @param errno the errno of the failed load
   * @param log the verifier log
   * @param description human text of the errno
   */
  constructor(op: string, errno: number, log: string, description?: string) {
    super(op, errno, description);
    this.log = log;
  }

  /**
   * The last `n` non-empty lines of the log (where the verifier says why it gave up), joined with
   * newlines.
   */
  tail(n = 10): string {
    const lines = this.log.split("\n").filter((line) => line.trim() !== "");
    return n <= 0 ? "" : lines.slice(-n).join("\n");
  }
}

/** The machine lacks something ghostscope needs: a library, a PMU, tracefs, a kernel feature. */
export class NotSupportedError extends RuntimeFailure {
  override name = "NotSupportedError";
  /** What is missing, e.g. `libbpf.so.1`, `uprobe PMU`, `tracefs`. */
  readonly feature: string;

  /**
   * @param feature short name of the missing piece
   * @param message one-line message for the user (what is missing and how to get it)
   */
  constructor(feature: string, message: string) {
    super(message);
    this.feature = feature;
  }
}
