/**
 * Test support for lib/debuginfo: small C programs built with gcc, split with objcopy into a
 * stripped binary and a separate debug file, placed in temporary directory trees (module dirs,
 * `.debug/`, `/usr/lib/debug/<dir>/`, `.build-id/xx/rest.debug`, fake container roots).
 */

import { openElf } from "../lib/elf/mod.ts";
import type { DebugModule } from "../lib/debuginfo/mod.ts";

const dec = new TextDecoder();

/** Runs a command, throwing with its stderr when it fails; returns stdout. */
export function run(cmd: string, args: string[], cwd?: string): string {
  const r = new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).outputSync();
  if (!r.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.code}): ${dec.decode(r.stderr)}`);
  }
  return dec.decode(r.stdout);
}

const PROGRAM = (variant: number) => `
#include <stdio.h>
int counter = ${variant};
__attribute__((noinline)) int work(int a, int b) {
  int sum = a + b;
  counter += sum;
  return sum * ${variant + 2};
}
int main(void) {
  printf("%d\\n", work(counter, 2));
  return 0;
}
`;

/** A built program: the full `-g` binary, its stripped copy and its separate debug file. */
export interface SplitBuild {
  dir: string;
  /** `-g` binary with embedded DWARF. */
  full: string;
  /** No DWARF, with a `.gnu_debuglink` to `prog.debug` (the file is not placed anywhere yet). */
  stripped: string;
  /** No DWARF and no `.gnu_debuglink` (build-id only). */
  strippedNoLink: string;
  /** `objcopy --only-keep-debug` of `full`. */
  debug: string;
  buildId: string;
}

/**
 * Builds variant `variant` of the test program in a new temp dir. Different variants have
 * different code, hence different build-ids and debug-file CRCs. `buildId: false` links without
 * a build-id note.
 */
export function splitBuild(variant = 1, opts: { buildId?: boolean } = {}): SplitBuild {
  const dir = Deno.makeTempDirSync({ prefix: "gs-debuginfo-" });
  Deno.writeTextFileSync(`${dir}/prog.c`, PROGRAM(variant));
  const idFlag = opts.buildId === false ? "-Wl,--build-id=none" : "-Wl,--build-id=sha1";
  run("gcc", ["-g", "-O0", idFlag, "-o", "full", "prog.c"], dir);
  run("objcopy", ["--only-keep-debug", "full", "prog.debug"], dir);
  run("objcopy", ["--strip-debug", "full", "nolink"], dir);
  run("objcopy", ["--strip-debug", "--add-gnu-debuglink=prog.debug", "full", "stripped"], dir);
  return {
    dir,
    full: `${dir}/full`,
    stripped: `${dir}/stripped`,
    strippedNoLink: `${dir}/nolink`,
    debug: `${dir}/prog.debug`,
    buildId: openElf(`${dir}/full`).buildId ?? "",
  };
}

/** Copies `from` to `to`, creating the directories on the way. */
export function place(from: string, to: string): string {
  Deno.mkdirSync(to.slice(0, to.lastIndexOf("/")), { recursive: true });
  Deno.copyFileSync(from, to);
  return to;
}

/** Where a build-id debug file goes under `debugDir`. */
export function buildIdPath(debugDir: string, buildId: string): string {
  return `${debugDir}/.build-id/${buildId.slice(0, 2)}/${buildId.slice(2)}.debug`;
}

/**
 * A module seen from here: `path` as the target sees it, read at `hostPath` (= `path` unless a
 * fake container root is given, then `root + path`).
 */
export function moduleAt(path: string, opts: { root?: string; main?: boolean } = {}): DebugModule {
  const hostPath = opts.root === undefined ? path : opts.root + path;
  let elf: ReturnType<typeof openElf> | undefined;
  const m: DebugModule = {
    path,
    hostPath,
    main: opts.main ?? true,
    elf: () => (elf ??= openElf(hostPath)),
  };
  if (opts.root !== undefined) m.root = opts.root;
  return m;
}

/** The CRC32 `.gnu_debuglink` of `path` records, as 8 hex digits. */
export function linkCrc(path: string): string {
  const link = openElf(path).debugLink;
  if (link === undefined) throw new Error(`${path} has no .gnu_debuglink`);
  return link.crc.toString(16).padStart(8, "0");
}

/** Directory of the `lines` fixture sources (tests/fixtures/lines). */
export const LINES_DIR: string = new URL("./fixtures/lines", import.meta.url).pathname;

const linesBuilds = new Map<string, string>();

/**
 * Builds the `lines` fixture with `-g -<opt>` from its own directory (so DWARF names `main.c`,
 * `a/helper.c` relative to comp_dir) into a temp dir; cached per optimization level.
 */
export function buildLines(opt: "O0" | "O2"): string {
  const hit = linesBuilds.get(opt);
  if (hit) return hit;
  const out = `${Deno.makeTempDirSync({ prefix: "gs-lines-" })}/lines-${opt}`;
  run("gcc", ["-g", `-${opt}`, "-I..", "-o", out, "main.c", "a/helper.c", "b/helper.c"], LINES_DIR);
  linesBuilds.set(opt, out);
  return out;
}

/** The 1-based line of `file` (under tests/fixtures/lines) holding marker `L:<name>`. */
export function markerLine(file: string, name: string): number {
  const lines = Deno.readTextFileSync(`${LINES_DIR}/${file}`).split("\n");
  const i = lines.findIndex((l) => l.includes(`L:${name} `) || l.endsWith(`L:${name} */`));
  if (i < 0) throw new Error(`${file}: no marker L:${name}`);
  return i + 1;
}

/** Where gdb puts a breakpoint: one address per location and the line each is on. */
export interface GdbBreak {
  addresses: number[];
  /** `file:line` of each location as gdb prints it (`main.c:30`). */
  lines: string[];
}

/**
 * The locations of gdb's `break SPEC` (`break` + `info breakpoints`), addresses sorted; empty
 * when gdb refuses. gdb finds separate debug files (build-id, debuglink) by itself.
 */
export function gdbBreak(binary: string, spec: string): GdbBreak {
  const r = new Deno.Command("gdb", {
    args: ["-batch", "-nx", "-q", "-ex", `break ${spec}`, "-ex", "info breakpoints", binary],
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  const text = dec.decode(r.stdout);
  const addresses = new Set<number>();
  const lines = new Set<string>();
  for (const m of text.matchAll(/^\d+(?:\.\d+)?\s.*?\b(0x[0-9a-f]{8,})\s+in\s.*? at (\S+)$/gm)) {
    addresses.add(parseInt(m[1], 16));
    lines.add(m[2]);
  }
  return { addresses: [...addresses].sort((a, b) => a - b), lines: [...lines] };
}

/** The addresses of {@link gdbBreak}. */
export function gdbBreakAddresses(binary: string, spec: string): number[] {
  return gdbBreak(binary, spec).addresses;
}

/** The start address `gdb -batch -ex 'info line SPEC'` reports, if any. */
export function gdbInfoLine(binary: string, spec: string): number | undefined {
  const r = new Deno.Command("gdb", {
    args: ["-batch", "-nx", "-q", "-ex", `info line ${spec}`, binary],
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  const m = dec.decode(r.stdout).match(/starts at address (0x[0-9a-f]+)/);
  return m ? parseInt(m[1], 16) : undefined;
}
