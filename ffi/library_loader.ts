/**
 * Where libbpf comes from, decided once, on the first libbpf call (never at import time, so
 * `--help` and unit tests never pay for it):
 *
 * 1. `GHOSTSCOPE_LIBBPF=/path`: that file (a missing or unloadable file is one clear error).
 * 2. The libraries embedded in the artifact (`embedded_libs_payload.ts`, filled by
 *    `scripts/build.sh`; zlib stored as is, the others deflated and inflated with that zlib's
 *    `uncompress`): each is decoded, written to an anonymous memory file (`memfd_create`)
 *    and opened as `/proc/self/fd/N`, dependencies first. glibc's loader matches a later
 *    `DT_NEEDED` entry (`libelf.so.1`, `libz.so.1`) against the soname of objects already loaded,
 *    so libbpf binds to the embedded libelf and zlib and the host needs none of them. Where
 *    /proc/self/fd cannot be opened, a temporary file (removed right after loading) stands in.
 * 3. Otherwise (run from source): the host's `libbpf.so.1`.
 */
import { NotSupportedError } from "./errors.ts";
import { libc } from "./libc.ts";
import { cString } from "./pointers.ts";

/** One shared object the artifact carries (written by scripts/build.sh). */
export interface EmbeddedLibrary {
  /** `DT_SONAME`, e.g. `libbpf.so.1`. */
  soname: string;
  /** The Debian package it was taken from, and that package's version. */
  debPackage: string;
  debVersion: string;
  /** sha256 of the shared object (for whoever checks a build; not re-checked at start). */
  sha256: string;
  /** Size of the shared object in bytes. */
  size: number;
  /** `raw`: base64 holds the shared object; `deflate`: its zlib stream (the first one is raw). */
  encoding: "raw" | "deflate";
  /** The bytes, base64. */
  base64: string;
}

/** Where the libbpf in use came from. */
export enum LibbpfOrigin {
  Embedded = "embedded",
  Override = "GHOSTSCOPE_LIBBPF",
  System = "system",
}

/** The libbpf to bind: a path for `Deno.dlopen`, and how it was found. */
export interface LibbpfLocation {
  path: string;
  origin: LibbpfOrigin;
  /** For `--version`: the package and version, the override's path, or the soname. */
  detail: string;
}

/** The environment variable naming a libbpf shared object to use instead of the embedded one. */
export const LIBBPF_OVERRIDE_ENV = "GHOSTSCOPE_LIBBPF";
/** The soname looked up on the host when nothing is embedded. */
export const SYSTEM_LIBBPF = "libbpf.so.1";

/** libbpf (or a library it needs) cannot be loaded: never a kernel or helper problem. */
export class LibraryLoadError extends NotSupportedError {
  override name = "LibraryLoadError";
}

const MFD_CLOEXEC = 1;
// Kept forever: the loader's handles (and so the mappings) must outlive every libbpf call.
const handles: Deno.DynamicLibrary<Record<string, never>>[] = [];
let location: LibbpfLocation | undefined;

/** Finds (and for the embedded copy, loads) libbpf; memoized. @throws {LibraryLoadError} */
export function libbpfLocation(
  embedded?: readonly EmbeddedLibrary[],
  getEnv: (name: string) => string | undefined = envOrUndefined,
): LibbpfLocation {
  if (location !== undefined) return location;
  const override = getEnv(LIBBPF_OVERRIDE_ENV);
  if (override !== undefined && override !== "") {
    location = loadOverride(override);
  } else if (embedded !== undefined && embedded.length > 0) {
    location = loadEmbedded(embedded);
  } else {
    location = { path: SYSTEM_LIBBPF, origin: LibbpfOrigin.System, detail: SYSTEM_LIBBPF };
  }
  return location;
}

/** The error for a host without libbpf.so.1 (source runs only: the artifact carries its own). */
export function systemLibbpfMissing(): LibraryLoadError {
  return new LibraryLoadError(
    SYSTEM_LIBBPF,
    `${SYSTEM_LIBBPF} not found: install the libbpf1 package, run the built artifact ` +
      `(make build; it carries its own), or set ${LIBBPF_OVERRIDE_ENV}=/path/to/libbpf.so`,
  );
}

function envOrUndefined(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

function loadOverride(path: string): LibbpfLocation {
  const what = `${LIBBPF_OVERRIDE_ENV}=${path}`;
  let isFile = false;
  try {
    isFile = Deno.statSync(path).isFile;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new LibraryLoadError(path, `${what}: no such file`);
    }
    throw new LibraryLoadError(path, `${what}: cannot be read (${(err as Error).message})`);
  }
  if (!isFile) throw new LibraryLoadError(path, `${what}: not a file`);
  try {
    handles.push(Deno.dlopen(path, {}));
  } catch (err) {
    throw new LibraryLoadError(path, `${what} cannot be loaded: ${oneLine(err)}`);
  }
  return { path, origin: LibbpfOrigin.Override, detail: path };
}

const ZLIB_SYMBOLS = {
  /** `int uncompress(Bytef *dest, uLongf *destLen, const Bytef *source, uLong sourceLen)`. */
  uncompress: { parameters: ["buffer", "buffer", "buffer", "u64"], result: "i32" },
} as const;

function loadEmbedded(libraries: readonly EmbeddedLibrary[]): LibbpfLocation {
  let last: { path: string; library: EmbeddedLibrary } | undefined;
  let zlib: Deno.DynamicLibrary<typeof ZLIB_SYMBOLS>["symbols"] | undefined;
  for (const library of libraries) {
    let bytes = Uint8Array.fromBase64(library.base64);
    if (library.encoding === "deflate") {
      if (zlib === undefined) {
        throw new LibraryLoadError(library.soname, "internal error: no zlib embedded before it");
      }
      bytes = inflate(zlib, library, bytes);
    }
    const path = openFromMemory(library.soname, bytes);
    if (library.soname === "libz.so.1") zlib = Deno.dlopen(path, ZLIB_SYMBOLS).symbols;
    last = { path, library };
  }
  const libbpf = last!;
  return {
    path: libbpf.path,
    origin: LibbpfOrigin.Embedded,
    detail: `${libbpf.library.debPackage} ${libbpf.library.debVersion}`,
  };
}

function inflate(
  zlib: Deno.DynamicLibrary<typeof ZLIB_SYMBOLS>["symbols"],
  library: EmbeddedLibrary,
  deflated: Uint8Array<ArrayBuffer>,
): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(library.size);
  const outLen = new BigUint64Array([BigInt(library.size)]);
  const rc = zlib.uncompress(out, outLen, deflated, BigInt(deflated.length));
  if (rc !== 0 || outLen[0] !== BigInt(library.size)) {
    throw new LibraryLoadError(
      library.soname,
      `cannot inflate the embedded ${library.soname} (zlib ${rc})`,
    );
  }
  return out;
}

/** Loads `bytes` as a shared object; returns the path it was opened by. */
function openFromMemory(soname: string, bytes: Uint8Array): string {
  const fd = libc().memfd_create(cString(soname), MFD_CLOEXEC);
  if (fd >= 0) {
    writeAll(fd, bytes);
    const path = `/proc/self/fd/${fd}`;
    try {
      handles.push(Deno.dlopen(path, {}));
      return path; // the fd stays open: the path names the library for later binds
    } catch {
      libc().close(fd);
      // No /proc (or it refuses): fall back to a file.
    }
  }
  let dir: string | undefined;
  try {
    dir = Deno.makeTempDirSync({ prefix: "ghostscope-lib-" });
    const path = `${dir}/${soname}`;
    Deno.writeFileSync(path, bytes, { mode: 0o500 });
    handles.push(Deno.dlopen(path, {}));
    return path; // removed below: the loader keeps the mapping, and later binds match the name
  } catch (err) {
    throw new LibraryLoadError(soname, `cannot load the embedded ${soname}: ${oneLine(err)}`);
  } finally {
    if (dir !== undefined) Deno.removeSync(dir, { recursive: true });
  }
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) {
    const n = Number(libc().write(fd, bytes.subarray(done), BigInt(bytes.length - done)));
    if (n <= 0) {
      throw new LibraryLoadError("memfd", `cannot write an embedded library to memory (${n})`);
    }
    done += n;
  }
}

function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split("\n")[0];
}
