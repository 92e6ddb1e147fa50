/**
 * libc.so.6, opened on first use. Variadic functions (`syscall`, `ioctl`) are bound with a fixed
 * arity, which is correct on x86_64 SysV (kernel-recipes pitfall 3).
 */
import { BpfError, errnoText } from "./errors.ts";
import { lazySymbols } from "./lazy_symbols.ts";

const LIBC_SYMBOLS = {
  /** `long syscall(long nr, ...)` with six arguments. */
  syscall: { parameters: ["i64", "i64", "i64", "i64", "i64", "i64", "i64"], result: "i64" },
  /**
   * The same, run on an FFI worker thread (returns a Promise). errno is thread-local, so it is not
   * readable after a failure: callers repeat a failed call with `syscall` to learn why.
   */
  syscall_nb: {
    name: "syscall",
    parameters: ["i64", "i64", "i64", "i64", "i64", "i64", "i64"],
    result: "i64",
    nonblocking: true,
  },
  /** `int ioctl(int fd, unsigned long request, ...)` with one argument. */
  ioctl: { parameters: ["i32", "u64", "u64"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  /** `close` on an FFI worker thread (closing a uprobe perf fd waits ~100 ms in the kernel). */
  close_nb: { name: "close", parameters: ["i32"], result: "i32", nonblocking: true },
  __errno_location: { parameters: [], result: "pointer" },
  strerror: { parameters: ["i32"], result: "pointer" },
  geteuid: { parameters: [], result: "u32" },
  /** `int clock_gettime(clockid_t, struct timespec *)`: CLOCK_MONOTONIC is bpf_ktime_get_ns's clock. */
  clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
  /** `int poll(struct pollfd *fds, nfds_t nfds, int timeout)`. */
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32" },
  /** `void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)`. */
  mmap: { parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"], result: "pointer" },
  /** `int munmap(void *addr, size_t len)`. */
  munmap: { parameters: ["pointer", "usize"], result: "i32" },
  /** `int memfd_create(const char *name, unsigned flags)`: holds an embedded library. */
  memfd_create: { parameters: ["buffer", "u32"], result: "i32" },
  /** `ssize_t write(int fd, const void *buf, size_t count)`. */
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  /** Formats libbpf's `va_list` log messages. */
  vsnprintf: { parameters: ["buffer", "usize", "pointer", "pointer"], result: "i32" },
} as const;

/** The bound libc functions. */
export type LibcSymbols = Deno.DynamicLibrary<typeof LIBC_SYMBOLS>["symbols"];

let libcSymbols: LibcSymbols | undefined;

/** The libc symbols, each bound on its first use (see lazy_symbols.ts). */
export function libc(): LibcSymbols {
  libcSymbols ??= lazySymbols("libc.so.6", LIBC_SYMBOLS, (err) => err as Error);
  return libcSymbols;
}

/** Syscall numbers used by ghostscope (x86_64). */
export enum Syscall {
  PerfEventOpen = 298,
  PidfdOpen = 434,
}

/** `errno` of the calling thread. Read it immediately after the failing call. */
export function lastErrno(): number {
  const location = libc().__errno_location();
  return location === null ? 0 : new Deno.UnsafePointerView(location).getInt32(0);
}

/** `strerror(errno)`, falling back to the built-in table for codes glibc does not know. */
export function describeErrno(errno: number): string {
  const n = Math.abs(errno);
  const known = errnoText(n);
  const pointer = libc().strerror(n);
  const text = pointer === null ? "" : Deno.UnsafePointerView.getCString(pointer);
  // glibc says "Unknown error 524" for kernel-internal codes; our table knows better.
  if (text === "" || text.startsWith("Unknown error")) return known ?? `unknown error ${n}`;
  return text;
}

/** A {@link BpfError} for `op` failing with `errno`, described by libc. */
export function errnoError(op: string, errno: number): BpfError {
  return new BpfError(op, errno, describeErrno(errno));
}

/**
 * Runs a libc-style call (returns -1 and sets errno on failure) and throws a {@link BpfError}
 * named `op` if it failed. Returns the result otherwise.
 */
export function checkLibc(op: string, result: number | bigint): number {
  const value = Number(result);
  if (value === -1) throw errnoError(op, lastErrno());
  return value;
}

/** `syscall(nr, a0..a5)`: arguments default to 0. Returns the raw result (-1 on error). */
export function syscall(nr: Syscall, ...args: Array<number | bigint>): bigint {
  const a = (i: number): bigint => BigInt(args[i] ?? 0);
  return libc().syscall(BigInt(nr), a(0), a(1), a(2), a(3), a(4), a(5));
}
