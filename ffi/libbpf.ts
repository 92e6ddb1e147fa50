/**
 * libbpf, opened on first use so that `--help` and unit tests never need it: the artifact's
 * embedded copy, `GHOSTSCOPE_LIBBPF`, or the host's libbpf.so.1 (see library_loader.ts). Opening
 * it also routes libbpf's own log lines to a debug sink (silent unless `GHOSTSCOPE_DEBUG=1`).
 *
 * libbpf 1.x returns `-errno` from its functions directly ({@link checkLibbpf}).
 */
import { BpfError, errnoText } from "./errors.ts";
import { EMBEDDED_LIBRARIES } from "./embedded_libs_payload.ts";
import { lazySymbols } from "./lazy_symbols.ts";
import {
  libbpfLocation,
  LibbpfOrigin,
  LibraryLoadError,
  systemLibbpfMissing,
} from "./library_loader.ts";
import { libc } from "./libc.ts";
import { allocBytes, fromCString } from "./pointers.ts";

const LIBBPF_SYMBOLS = {
  /** `(map_type, name, key_size, value_size, max_entries, const bpf_map_create_opts *)`. */
  bpf_map_create: {
    parameters: ["i32", "buffer", "u32", "u32", "u32", "buffer"],
    result: "i32",
  },
  /** `(prog_type, name, license, const bpf_insn *, insn_cnt, bpf_prog_load_opts *)`. */
  bpf_prog_load: {
    parameters: ["i32", "buffer", "buffer", "buffer", "usize", "buffer"],
    result: "i32",
  },
  /** `(fd, const void *key, const void *value, u64 flags)`. */
  bpf_map_update_elem: { parameters: ["i32", "buffer", "buffer", "u64"], result: "i32" },
  /** `(fd, const void *key, void *value)`. */
  bpf_map_lookup_elem: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  /** `(fd, const void *key)`. */
  bpf_map_delete_elem: { parameters: ["i32", "buffer"], result: "i32" },
  /** `(fd, const void *key or NULL, void *next_key)`. */
  bpf_map_get_next_key: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  /** `(prog_fd, target_fd, attach_type, const bpf_link_create_opts *)`. */
  bpf_link_create: { parameters: ["i32", "i32", "i32", "buffer"], result: "i32" },
  /** `(fd, void *info, __u32 *info_len)`. */
  bpf_obj_get_info_by_fd: { parameters: ["i32", "buffer", "buffer"], result: "i32" },
  /** `(map_fd, ring_buffer_sample_fn, void *ctx, const ring_buffer_opts *)`; NULL on error. */
  ring_buffer__new: { parameters: ["i32", "function", "pointer", "buffer"], result: "pointer" },
  /** Synchronous on purpose: sample callbacks then run inline on the JS thread. */
  ring_buffer__poll: { parameters: ["pointer", "i32"], result: "i32" },
  ring_buffer__consume: { parameters: ["pointer"], result: "i32" },
  ring_buffer__free: { parameters: ["pointer"], result: "void" },
  /** `(prog_type, helper_id, const void *opts)`: 1 supported, 0 not, <0 error. */
  libbpf_probe_bpf_helper: { parameters: ["i32", "i32", "pointer"], result: "i32" },
  /** `(map_type, const void *opts)`. */
  libbpf_probe_bpf_map_type: { parameters: ["i32", "pointer"], result: "i32" },
  /** `(prog_type, const void *opts)`. */
  libbpf_probe_bpf_prog_type: { parameters: ["i32", "pointer"], result: "i32" },
  libbpf_num_possible_cpus: { parameters: [], result: "i32" },
  /** Takes `int (*)(enum libbpf_print_level, const char *fmt, va_list)`; returns the old one. */
  libbpf_set_print: { parameters: ["function"], result: "pointer" },
  libbpf_strerror: { parameters: ["i32", "buffer", "usize"], result: "i32" },
  libbpf_major_version: { parameters: [], result: "u32" },
  libbpf_minor_version: { parameters: [], result: "u32" },
} as const;

/** The bound libbpf functions. */
export type LibbpfSymbols = Deno.DynamicLibrary<typeof LIBBPF_SYMBOLS>["symbols"];

/** Severity of a libbpf log line (`enum libbpf_print_level`). */
export enum LibbpfLogLevel {
  Warn = 0,
  Info = 1,
  Debug = 2,
}

/** Receives libbpf's log lines (already formatted, without the trailing newline). */
export type LibbpfLogSink = (level: LibbpfLogLevel, message: string) => void;

/** `int (*)(enum libbpf_print_level level, const char *format, va_list args)`. */
const PRINT_CALLBACK = { parameters: ["i32", "pointer", "pointer"], result: "i32" } as const;

const LOG_LINE_MAX = 4096;

let libbpfSymbols: LibbpfSymbols | undefined;
// Module-level so the callback outlives every libbpf call; it is never closed.
let printCallback: Deno.UnsafeCallback<typeof PRINT_CALLBACK> | undefined;
// undefined until libbpf is opened: the default is decided then, not at import time.
let logSink: LibbpfLogSink | null | undefined;
const logLine = allocBytes(LOG_LINE_MAX);

/**
 * The libbpf symbols, opening libbpf.so.1 on the first call (each function is bound on its first
 * use, see lazy_symbols.ts).
 */
export function libbpf(): LibbpfSymbols {
  if (libbpfSymbols === undefined) {
    const where = libbpfLocation(EMBEDDED_LIBRARIES);
    const symbols = lazySymbols(where.path, LIBBPF_SYMBOLS, (err) => {
      if (where.origin === LibbpfOrigin.System) return systemLibbpfMissing();
      return new LibraryLoadError(where.path, `${where.detail}: ${(err as Error).message}`);
    });
    // Binding the print hook opens the library: a missing libbpf fails here, on the first call.
    if (logSink === undefined) logSink = defaultLogSink();
    installPrintCallback(symbols);
    libbpfSymbols = symbols;
  }
  return libbpfSymbols;
}

/** The libbpf in use: its version (from libbpf itself) and where it came from. */
export interface LibbpfVersion {
  major: number;
  minor: number;
  origin: LibbpfOrigin;
  /** The Debian package and version, the override's path, or the soname. */
  detail: string;
}

/** Opens libbpf if needed and asks it for its version. @throws {LibraryLoadError} */
export function libbpfVersion(): LibbpfVersion {
  const symbols = libbpf();
  const where = libbpfLocation(EMBEDDED_LIBRARIES);
  return {
    major: symbols.libbpf_major_version(),
    minor: symbols.libbpf_minor_version(),
    origin: where.origin,
    detail: where.detail,
  };
}

/**
 * Replaces where libbpf's log lines go. `null` silences them. The default prints
 * `[libbpf] ...` on stderr when `GHOSTSCOPE_DEBUG=1`, and drops them otherwise.
 */
export function setLibbpfLogSink(sink: LibbpfLogSink | null): void {
  logSink = sink;
}

function defaultLogSink(): LibbpfLogSink | null {
  let debug = false;
  try {
    debug = Deno.env.get("GHOSTSCOPE_DEBUG") === "1";
  } catch {
    // No env permission: stay silent.
  }
  if (!debug) return null;
  return (level, message) => {
    console.error(`[libbpf:${LibbpfLogLevel[level] ?? level}] ${message}`);
  };
}

function installPrintCallback(symbols: LibbpfSymbols): void {
  printCallback = new Deno.UnsafeCallback(
    PRINT_CALLBACK,
    (level, format, args) => {
      const sink = logSink;
      if (!sink || format === null) return 0;
      // x86_64 va_list is an array type, so the pointer we get is what vsnprintf expects.
      const written = libc().vsnprintf(logLine, BigInt(LOG_LINE_MAX), format, args);
      if (written < 0) return 0;
      const message = fromCString(logLine).replace(/^libbpf: /, "").replace(/\n+$/, "");
      try {
        sink(level as LibbpfLogLevel, message);
      } catch {
        // Never throw across FFI.
      }
      return 0;
    },
  );
  symbols.libbpf_set_print(printCallback.pointer);
}

/** Text of a (positive or negative) errno as libbpf describes it (covers libbpf's 4000+ codes). */
export function describeLibbpfError(errno: number): string {
  const n = Math.abs(errno);
  const buffer = allocBytes(256);
  const rc = libbpf().libbpf_strerror(n, buffer, BigInt(buffer.length));
  const text = fromCString(buffer);
  if (rc < 0 || text === "" || text.startsWith("Unknown error")) {
    return errnoText(n) ?? `unknown error ${n}`;
  }
  return text;
}

/** A {@link BpfError} for a libbpf call `op` that returned `-errno`. */
export function libbpfError(op: string, negativeErrno: number): BpfError {
  return new BpfError(op, negativeErrno, describeLibbpfError(negativeErrno));
}

/** Returns `result` when it is >= 0; throws a {@link BpfError} named `op` otherwise. */
export function checkLibbpf(op: string, result: number): number {
  if (result < 0) throw libbpfError(op, result);
  return result;
}
