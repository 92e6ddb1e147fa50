/**
 * Shared fixtures of the `lib/elf` tests: C programs compiled with gcc into a temp dir at test time,
 * plus parsers of `readelf`/`nm` output to compare against. (Named `*_test.ts` so it sits with the
 * tests it serves; it registers no test itself, because every test file importing it would run
 * that test again. Each test file builds its own copy: Deno evaluates test modules separately.)
 */

import assert from "node:assert/strict";
import { assertEquals } from "./assert.ts";
import { type ElfSymbol, openElf } from "../lib/elf/mod.ts";

/** Paths of the built fixtures. */
export interface Fixtures {
  dir: string;
  /** PIE executable with -g and a build-id. */
  pie: string;
  /** -no-pie ET_EXEC executable. */
  nopie: string;
  /** Shared library (-fPIC -shared) with a version script and two versions of `vfunc`. */
  shared: string;
  /** PIE with `-gz=zlib` (SHF_COMPRESSED debug sections). */
  zlib: string;
  /** PIE with `-gz=zlib-gnu` (legacy `.zdebug_*` sections). */
  zlibGnu: string;
  /** `objcopy --decompress-debug-sections` of {@link Fixtures.zlib}. */
  zlibPlain: string;
  /** `objcopy --decompress-debug-sections` of {@link Fixtures.zlibGnu}. */
  zlibGnuPlain: string;
  /** {@link Fixtures.pie} stripped of debug info, with `--add-gnu-debuglink=pie.debug`. */
  linked: string;
  /** `objcopy --only-keep-debug` of {@link Fixtures.pie}. */
  debugFile: string;
  /** `strip --strip-all` of {@link Fixtures.pie}: `.dynsym` only. */
  stripped: string;
  /** Static executable (no `.dynsym`, no PT_INTERP), when libc.a is available. */
  static?: string;
  /** `-static-pie` executable (ET_DYN, DF_1_PIE, no PT_INTERP), when the toolchain allows. */
  staticPie?: string;
  /** `gcc -m32 -c` object (ELFCLASS32), when gcc can target i386. */
  obj32?: string;
  /** `gcc -c` x86_64 relocatable object. */
  obj: string;
}

/** C source of the executables. */
export const PROGRAM_C = `
#include <stdio.h>
int global_counter = 42;
static int static_counter;
__attribute__((noinline)) int add_numbers(int a, int b) { return a + b + global_counter; }
__attribute__((noinline)) static int helper_static(int x) { return x * 3 + static_counter; }
__attribute__((noinline)) void process_data(const char *path) {
  FILE *f = fopen(path, "r");
  if (f) fclose(f);
  static_counter++;
}
int main(int argc, char **argv) {
  process_data(argv[0]);
  printf("%d\\n", add_numbers(argc, helper_static(argc)));
  return 0;
}
`;

/** C source of the shared library. */
export const LIBRARY_C = `
int lib_counter = 7;
int lib_add(int a, int b) { return a + b + lib_counter; }
int old_impl(int x) { return x; }
int new_impl(int x) { return x + 1; }
__asm__(".symver old_impl,vfunc@VERS_1");
__asm__(".symver new_impl,vfunc@@VERS_2");
`;

const VERSION_SCRIPT = `
VERS_1 { global: lib_*; vfunc; local: *; };
VERS_2 { global: vfunc; } VERS_1;
`;

/** Runs a command; throws with its stderr when it fails. Returns stdout. */
export async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const dec = new TextDecoder();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed: ${dec.decode(out.stderr)}`);
  }
  return dec.decode(out.stdout);
}

async function tryRun(cmd: string, args: string[]): Promise<boolean> {
  try {
    await run(cmd, args);
    return true;
  } catch {
    return false;
  }
}

let built: Promise<Fixtures> | undefined;

/** Builds every fixture once per test process (memoized); the temp dir is removed at unload. */
export function fixtures(): Promise<Fixtures> {
  built ??= build();
  return built;
}

async function build(): Promise<Fixtures> {
  const dir = await Deno.makeTempDir({ prefix: "ghostscope_elf_" });
  globalThis.addEventListener("unload", () => {
    try {
      Deno.removeSync(dir, { recursive: true });
    } catch { /* already gone */ }
  });
  const p = (name: string) => `${dir}/${name}`;
  await Deno.writeTextFile(p("prog.c"), PROGRAM_C);
  await Deno.writeTextFile(p("lib.c"), LIBRARY_C);
  await Deno.writeTextFile(p("lib.map"), VERSION_SCRIPT);
  const base = ["-O1", "-g", "-Wl,--build-id", p("prog.c")];
  const f: Fixtures = {
    dir,
    pie: p("pie"),
    nopie: p("nopie"),
    shared: p("libfix.so"),
    zlib: p("zlib"),
    zlibGnu: p("zlibgnu"),
    zlibPlain: p("zlib.plain"),
    zlibGnuPlain: p("zlibgnu.plain"),
    linked: p("linked"),
    debugFile: p("pie.debug"),
    stripped: p("stripped"),
    obj: p("prog.o"),
  };
  await Promise.all([
    run("gcc", ["-fPIE", "-pie", ...base, "-o", f.pie]),
    run("gcc", ["-fno-pie", "-no-pie", ...base, "-o", f.nopie]),
    run("gcc", [
      "-O1",
      "-fPIC",
      "-shared",
      "-Wl,--build-id",
      `-Wl,--version-script=${p("lib.map")}`,
      "-Wl,-soname,libfix.so.1",
      p("lib.c"),
      "-o",
      f.shared,
    ]),
    run("gcc", ["-gz=zlib", ...base, "-o", f.zlib]),
    run("gcc", ["-gz=zlib-gnu", ...base, "-o", f.zlibGnu]),
    run("gcc", ["-O1", "-c", p("prog.c"), "-o", f.obj]),
  ]);
  await Promise.all([
    run("objcopy", ["--decompress-debug-sections", f.zlib, f.zlibPlain]),
    run("objcopy", ["--decompress-debug-sections", f.zlibGnu, f.zlibGnuPlain]),
    run("objcopy", ["--only-keep-debug", f.pie, f.debugFile]),
    run("strip", ["--strip-all", "-o", f.stripped, f.pie]),
  ]);
  // objcopy finds the debug file by the path given and records only its base name.
  await run("objcopy", [
    "--strip-debug",
    `--add-gnu-debuglink=${f.debugFile}`,
    f.pie,
    f.linked,
  ]);
  if (await tryRun("gcc", ["-static", "-O1", p("prog.c"), "-o", p("static")])) {
    f.static = p("static");
  }
  if (await tryRun("gcc", ["-static-pie", "-O1", p("prog.c"), "-o", p("static-pie")])) {
    f.staticPie = p("static-pie");
  }
  if (await tryRun("gcc", ["-m32", "-c", p("lib.c"), "-o", p("lib32.o")])) {
    f.obj32 = p("lib32.o");
  }
  return f;
}

/** One row of `readelf -sW`. */
export interface ReadelfSymbol {
  table: string;
  index: number;
  value: number;
  size: number;
  type: string;
  bind: string;
  vis: string;
  ndx: string;
  name: string;
}

/** Parses `readelf -sW path` (both tables); version decorations like ` (2)` are dropped. */
export async function readelfSymbols(path: string): Promise<ReadelfSymbol[]> {
  const out: ReadelfSymbol[] = [];
  let table = "";
  for (const line of (await run("readelf", ["-sW", path])).split("\n")) {
    const t = line.match(/^Symbol table '([^']+)'/);
    if (t) {
      table = t[1];
      continue;
    }
    const m = line.match(
      /^\s*(\d+):\s+([0-9a-f]+)\s+(0x[0-9a-f]+|\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s?(.*)$/,
    );
    if (!m) continue;
    out.push({
      table,
      index: Number(m[1]),
      value: parseInt(m[2], 16),
      size: Number(m[3]),
      type: m[4],
      bind: m[5],
      vis: m[6],
      ndx: m[7],
      name: m[8].replace(/ \(\d+\)$/, ""),
    });
  }
  return out;
}

/** One row of `readelf -SW`. */
export interface ReadelfSection {
  index: number;
  name: string;
  type: string;
  addr: number;
  offset: number;
  size: number;
  flags: string;
}

/** Parses `readelf -SW path`. */
export async function readelfSections(path: string): Promise<ReadelfSection[]> {
  const out: ReadelfSection[] = [];
  for (const line of (await run("readelf", ["-SW", path])).split("\n")) {
    const m = line.match(
      /^\s*\[\s*(\d+)\]\s+(\S*)\s+(\S+(?: \S+)*?)\s+([0-9a-f]{16})\s+([0-9a-f]+)\s+([0-9a-f]+)\s+[0-9a-f]+\s+([A-Za-z]*)\s/,
    );
    if (!m || m[1] === "0") continue;
    out.push({
      index: Number(m[1]),
      name: m[2],
      type: m[3],
      addr: parseInt(m[4], 16),
      offset: parseInt(m[5], 16),
      size: parseInt(m[6], 16),
      flags: m[7],
    });
  }
  return out;
}

/** One row of `readelf -lW`. */
export interface ReadelfSegment {
  type: string;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
}

/** Parses the program headers of `readelf -lW path`. */
export async function readelfSegments(path: string): Promise<ReadelfSegment[]> {
  const out: ReadelfSegment[] = [];
  for (const line of (await run("readelf", ["-lW", path])).split("\n")) {
    const m = line.match(
      /^\s+([A-Z_]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x[0-9a-f]+\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)/,
    );
    if (!m) continue;
    out.push({
      type: m[1],
      offset: parseInt(m[2], 16),
      vaddr: parseInt(m[3], 16),
      filesz: parseInt(m[4], 16),
      memsz: parseInt(m[5], 16),
    });
  }
  return out;
}

/** The `Build ID:` of `readelf -n path`, if any. */
export async function readelfBuildId(path: string): Promise<string | undefined> {
  return (await run("readelf", ["-nW", path])).match(/Build ID: ([0-9a-f]+)/)?.[1];
}

/** `nm -D --defined-only` as a map name -> value (as nm prints names, with @VER suffixes). */
export async function nmDynamic(path: string): Promise<Map<string, number>> {
  const m = new Map<string, number>();
  for (const line of (await run("nm", ["-D", "--defined-only", path])).split("\n")) {
    const parts = line.trim().split(/\s+/);
    if (parts.length === 3) m.set(parts[2], parseInt(parts[0], 16));
  }
  return m;
}

const SPECIAL_NDX: Record<string, number> = { UND: 0, ABS: 0xfff1, COM: 0xfff2 };

/** Asserts that every symbol of both tables equals what `readelf -sW` prints. */
export async function compareSymbolsWithReadelf(path: string): Promise<number> {
  const elf = openElf(path);
  const want = await readelfSymbols(path);
  const ours = new Map<string, ElfSymbol>();
  for (const s of elf.symbols.all()) ours.set(`${s.table}#${s.index}`, s);
  let compared = 0;
  for (const w of want) {
    if (w.index === 0) continue;
    const s = ours.get(`${w.table}#${w.index}`);
    assert.ok(s, `${path}: ${w.table}[${w.index}] ${w.name} missing`);
    assertEquals(
      {
        name: s.name,
        value: s.value,
        size: s.size,
        type: s.type,
        bind: s.bind,
        vis: s.visibility,
        ndx: s.sectionIndex,
      },
      {
        // readelf names unnamed STT_SECTION symbols after their section; the table has "".
        name: w.type === "SECTION" && s.name === "" ? "" : w.name,
        value: w.value,
        size: w.size,
        type: w.type,
        bind: w.bind,
        vis: w.vis,
        ndx: SPECIAL_NDX[w.ndx] ?? Number(w.ndx),
      },
      `${path}: ${w.table}[${w.index}]`,
    );
    compared++;
  }
  assertEquals(ours.size, compared, `${path}: symbol count`);
  return compared;
}
