/**
 * DWARF indexing benchmark: how long ghostscope takes to turn `trace FILE:LINE` / `trace FUNC`
 * into addresses on a large `-g` binary, next to gdb's `break FILE:LINE` on the same binary, in
 * the same run. Not part of the tests.
 *
 *   deno run -A bench/dwarf_index.ts [--files 2050] [--structs 48] [--funcs 96] [--reps 3]
 *     [--no-attach] [--json FILE]
 *
 * 1. Generates `--files` C files (each `--structs` structs of 26 members and `--funcs` functions
 *    with loops and locals) plus a main that calls them all in a loop, and compiles them with
 *    `gcc -g -O0` in parallel into bench/out/dwarf_big/big (cached: rebuilt only when the
 *    parameters change). The defaults give about 102 MB of DWARF (.debug_info 77 MB, .debug_line 21 MB).
 * 2. Measures, per repetition (the tool order alternates):
 *    - resolve  (in process) ghostscope's own code from an empty cache: find the debug info, load
 *               it, resolve the line (and, separately, the function); throughput = DWARF bytes /
 *               time. No kernel involved. The function is also resolved through the full name
 *               index (the path taken before the symbol-unit fast path, `findFunctionAt`), same
 *               result expected.
 *    - attach   (end to end, root only, `--no-attach` skips it) `ghostscope -p PID -s 'trace
 *               FILE:LINE {...}' --emit-ready-marker READY` on the running binary: process start
 *               to READY (probes attached), including Deno's start-up.
 *    - gdb      `gdb -batch -nx -ex 'break FILE:LINE'` (and `break FUNC`): process start to exit.
 * 3. Prints a table (median and min of the repetitions) and writes JSON to bench/out/.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { DebugInfoLoader, functionSites } from "../lib/debuginfo/mod.ts";
import type { DwarfInfo } from "../lib/dwarf/index.ts";
import { NO_PROGRESS } from "../lib/debuginfo/progress.ts";
import { openElf } from "../lib/elf/mod.ts";
import { fileModule } from "../lib/session/process_modules.ts";
import { locateTarget } from "../lib/session/locate_target.ts";
import { ghostscopeArgv, LineStream, REPO_ROOT } from "../tests/e2e/harness.ts";

const { values: opts } = parseArgs({
  args: Deno.args,
  options: {
    files: { type: "string", default: "2050" },
    structs: { type: "string", default: "48" },
    funcs: { type: "string", default: "96" },
    reps: { type: "string", default: "3" },
    "no-attach": { type: "boolean", default: false },
    json: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (opts.help) {
  console.log(
    "usage: deno run -A bench/dwarf_index.ts [--files N] [--structs N] [--funcs N] [--reps N] " +
      "[--no-attach] [--json FILE]",
  );
  Deno.exit(0);
}

const FILES = Number(opts.files);
const STRUCTS = Number(opts.structs);
const FUNCS = Number(opts.funcs);
const REPS = Number(opts.reps);
const OUT = `${REPO_ROOT}/bench/out`;
const WORK = `${OUT}/dwarf_big`;
const BINARY = `${WORK}/big`;
const dec = new TextDecoder();

// --- generated program ----------------------------------------------------------------------

const MEMBER_TYPES = ["int", "long", "double", "char *", "unsigned short", "float"];

/** Source of generated file `i`; `lineOf` receives the line of the probed statement. */
function fileSource(i: number, probeFn: number, lineOf?: (line: number) => void): string {
  const out = ["#include <string.h>", ""];
  for (let s = 0; s < STRUCTS; s++) {
    out.push(`struct f${i}_s${s} {`);
    for (let m = 0; m < 24; m++) out.push(`  ${MEMBER_TYPES[m % 6]} m${m}_${s};`);
    out.push(`  struct f${i}_s${(s + 1) % STRUCTS} *next;`, `  int arr[${s + 2}];`, "};");
  }
  for (let f = 0; f < FUNCS; f++) {
    const s = f % STRUCTS;
    out.push(
      `__attribute__((noinline)) long f${i}_fn${f}(struct f${i}_s${s} *p, int n, const char *name) {`,
      "  long acc = 0;",
      "  for (int k = 0; k < n; k++) {",
      `    int t${f} = k * ${f + 1};`,
    );
    if (f === probeFn) lineOf?.(out.length + 1);
    out.push(
      `    acc += p->m0_${s} + t${f} + p->arr[k % ${s + 2}];`,
      "    if (name && name[0] == (char)k) acc ^= k;",
      "  }",
      `  double d = p->m2_${s} * 2.0;`,
      "  acc += (long)d;",
      "  return acc;",
      "}",
    );
  }
  out.push(`long f${i}_entry(int n) {`, "  long a = 0;");
  for (let f = 0; f < FUNCS; f++) {
    const s = f % STRUCTS;
    out.push(
      `  { struct f${i}_s${s} v; memset(&v, 0, sizeof v); a += f${i}_fn${f}(&v, n, "x"); }`,
    );
  }
  out.push("  return a;", "}", "");
  return out.join("\n");
}

function mainSource(): string {
  const out = ["#include <stdio.h>", "#include <unistd.h>", ""];
  for (let i = 0; i < FILES; i++) out.push(`long f${i}_entry(int n);`);
  out.push(
    "int main(void) {",
    "  setvbuf(stdout, NULL, _IOLBF, 0);",
    '  printf("pid=%d\\n", (int)getpid());',
    "  for (long round = 0;; round++) {",
    "    long a = 0;",
  );
  for (let i = 0; i < FILES; i++) out.push(`    a += f${i}_entry((int)(round & 3));`);
  out.push('    if (a == -1) printf("%ld\\n", a);', "    usleep(200000);", "  }", "}", "");
  return out.join("\n");
}

async function sh(cmd: string, args: string[], cwd?: string): Promise<string> {
  const r = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  if (!r.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${dec.decode(r.stderr).slice(0, 2000)}`);
  }
  return dec.decode(r.stdout);
}

/** Generates and compiles the program unless a build with the same parameters exists. */
async function build(): Promise<void> {
  const stamp = `${WORK}/params`;
  const params = JSON.stringify({ FILES, STRUCTS, FUNCS, v: 1 });
  try {
    if (Deno.readTextFileSync(stamp) === params && Deno.statSync(BINARY).isFile) return;
  } catch {
    // no previous build
  }
  try {
    Deno.removeSync(WORK, { recursive: true });
  } catch {
    // nothing to remove
  }
  Deno.mkdirSync(`${WORK}/src`, { recursive: true });
  console.error(`generating ${FILES} files in ${WORK}/src ...`);
  for (let i = 0; i < FILES; i++) {
    Deno.writeTextFileSync(`${WORK}/src/f${i}.c`, fileSource(i, -1));
  }
  Deno.writeTextFileSync(`${WORK}/src/main.c`, mainSource());
  const jobs = Math.max(1, navigator.hardwareConcurrency);
  console.error(`compiling with gcc -g -O0 (${jobs} jobs) ...`);
  const t0 = performance.now();
  const names = [...Array(FILES).keys()].map((i) => `f${i}`).concat("main");
  let next = 0;
  await Promise.all(
    [...Array(jobs)].map(async () => {
      while (next < names.length) {
        const n = names[next++];
        await sh("gcc", ["-g", "-O0", "-c", `src/${n}.c`, "-o", `src/${n}.o`], WORK);
      }
    }),
  );
  await sh("gcc", ["-o", "big", ...names.map((n) => `src/${n}.o`)], WORK);
  console.error(`built ${BINARY} in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  Deno.writeTextFileSync(stamp, params);
}

// --- measurements ---------------------------------------------------------------------------

const PROBE_FILE = Math.floor(FILES / 2);
const PROBE_FN = Math.floor(FUNCS / 2);
let probeLine = 0;
fileSource(PROBE_FILE, PROBE_FN, (l) => (probeLine = l));
const LINE_SPEC = `f${PROBE_FILE}.c:${probeLine}`;
const FUNC_SPEC = `f${PROBE_FILE}_fn${PROBE_FN}`;

interface Sample {
  ms: number;
  /** Addresses found (hex), for the table's sanity column. */
  where: string;
}

/** ghostscope's own code, in process, from a cold cache: find + load + resolve. */
function resolveInProcess(spec: string): Sample {
  const t0 = performance.now();
  const loader = new DebugInfoLoader({ progress: () => NO_PROGRESS });
  const module = fileModule(BINARY);
  const m = spec.match(/^(.*):(\d+)$/);
  const target = m
    ? { kind: "line" as const, file: m[1], line: Number(m[2]) }
    : { kind: "function" as const, name: spec };
  const sites = locateTarget(target, spec, [module], loader);
  const ms = performance.now() - t0;
  return { ms, where: sites.map((s) => "0x" + s.linkAddress.toString(16)).join(",") };
}

/**
 * Like {@link resolveInProcess} for a function, but with lib/dwarf's symbol-unit fast path
 * switched off, so the full name index of every unit is built (the behaviour before it).
 */
function resolveFullIndex(name: string): Sample {
  const t0 = performance.now();
  const loader = new DebugInfoLoader({ progress: () => NO_PROGRESS });
  const module = fileModule(BINARY);
  const symbol = module.elf().findFunction(name)!;
  const fullOnly = (d: DwarfInfo): DwarfInfo =>
    new Proxy(d, {
      get: (t, k) => k === "findFunctionAt" ? () => undefined : Reflect.get(t, k).bind(t),
    });
  const r = loader.query(module, (dwarf) => functionSites(fullOnly(dwarf), name, symbol.value));
  const ms = performance.now() - t0;
  if (!r.ok || !r.value.ok) throw new Error(`full index: ${name} not resolved`);
  return { ms, where: r.value.sites.map((s) => "0x" + s.address.toString(16)).join(",") };
}

/** `gdb -batch -ex 'break SPEC'`: process start to exit. */
async function gdbBreak(spec: string): Promise<Sample> {
  const t0 = performance.now();
  const out = await sh("gdb", ["-batch", "-nx", "-q", "-ex", `break ${spec}`, BINARY]);
  const ms = performance.now() - t0;
  return { ms, where: out.match(/Breakpoint \d+ at (0x[0-9a-f]+)/)?.[1] ?? "?" };
}

/** `ghostscope -p PID ... --emit-ready-marker READY`: process start to READY on stdout. */
async function attach(pid: number, spec: string): Promise<Sample> {
  const argv = ghostscopeArgv([
    "-p",
    String(pid),
    "-s",
    `trace ${spec} { print "hit"; }`,
    "--emit-ready-marker",
    "READY",
    "--duration",
    "30",
  ]);
  const t0 = performance.now();
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = new LineStream(child.stdout);
  const err = new LineStream(child.stderr);
  try {
    await out.waitFor("READY", 60_000);
    const ms = performance.now() - t0;
    const status = err.lines.find((l) => l.includes("attached at")) ?? "";
    return { ms, where: status.match(/\+(0x[0-9a-f]+)/)?.[1] ?? "?" };
  } catch (e) {
    throw new Error(`ghostscope did not get ready: ${(e as Error).message}\n${err.text()}`);
  } finally {
    child.kill("SIGINT");
    await child.status;
    await Promise.all([out.done, err.done]);
  }
}

/** Starts the generated program and waits for its pid line. */
async function startTarget(): Promise<{ pid: number; stop: () => Promise<void> }> {
  const child = new Deno.Command(BINARY, { stdout: "piped", stderr: "null" }).spawn();
  const out = new LineStream(child.stdout);
  const line = await out.waitFor(/^pid=\d+$/, 10_000);
  return {
    pid: Number(line.slice(4)),
    stop: async () => {
      child.kill("SIGKILL");
      await child.status;
      await out.done;
    },
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Sizes of the DWARF sections of the binary. */
function dwarfSizes(): { total: number; info: number; line: number } {
  const elf = openElf(BINARY);
  let total = 0;
  for (const s of elf.sections) if (s.name.startsWith(".debug_")) total += s.size;
  const size = (n: string) => elf.sectionHeader(n)?.size ?? 0;
  return { total, info: size(".debug_info"), line: size(".debug_line") };
}

// --- main -------------------------------------------------------------------------------------

try {
  await Deno.stat(OUT);
} catch {
  Deno.mkdirSync(OUT, { recursive: true });
}
await build();
const sizes = dwarfSizes();
const MB = 1e6;
const canAttach = !opts["no-attach"] && Deno.uid() === 0;
console.error(
  `${BINARY}: ${(sizes.total / MB).toFixed(1)} MB of DWARF (.debug_info ` +
    `${(sizes.info / MB).toFixed(1)} MB, .debug_line ${(sizes.line / MB).toFixed(1)} MB); ` +
    `targets ${LINE_SPEC} and ${FUNC_SPEC}; ${REPS} repetitions` +
    (canAttach ? "" : " (no attach: needs root, or --no-attach given)"),
);

type Cell = { name: string; samples: Sample[]; throughput: boolean };
const cells: Cell[] = [
  { name: `ghostscope resolve ${LINE_SPEC} (in process)`, samples: [], throughput: true },
  { name: `ghostscope resolve ${FUNC_SPEC} (in process)`, samples: [], throughput: true },
  { name: `  same, full index (before)`, samples: [], throughput: true },
  { name: `gdb -batch -ex 'break ${LINE_SPEC}'`, samples: [], throughput: true },
  { name: `gdb -batch -ex 'break ${FUNC_SPEC}'`, samples: [], throughput: true },
];
if (canAttach) {
  cells.push(
    { name: `ghostscope -p PID 'trace ${LINE_SPEC}' to READY`, samples: [], throughput: false },
    { name: `ghostscope -p PID 'trace ${FUNC_SPEC}' to READY`, samples: [], throughput: false },
  );
}
const target = canAttach ? await startTarget() : undefined;
try {
  for (let rep = 0; rep < REPS; rep++) {
    const runs: (() => Promise<Sample> | Sample)[] = [
      () => resolveInProcess(LINE_SPEC),
      () => resolveInProcess(FUNC_SPEC),
      () => resolveFullIndex(FUNC_SPEC),
      () => gdbBreak(LINE_SPEC),
      () => gdbBreak(FUNC_SPEC),
    ];
    if (target) runs.push(() => attach(target.pid, LINE_SPEC), () => attach(target.pid, FUNC_SPEC));
    const order = [...runs.keys()];
    if (rep % 2 === 1) order.reverse();
    for (const i of order) {
      cells[i].samples.push(await runs[i]());
      console.error(
        `  rep ${rep + 1}: ${cells[i].name}: ${cells[i].samples.at(-1)!.ms.toFixed(0)} ms`,
      );
    }
  }
} finally {
  await target?.stop();
}

const rows = cells.map((c) => {
  const ms = c.samples.map((s) => s.ms);
  const med = median(ms);
  return {
    name: c.name,
    medianMs: Math.round(med),
    minMs: Math.round(Math.min(...ms)),
    mbPerSec: c.throughput ? Math.round(sizes.total / MB / (med / 1000)) : undefined,
    where: [...new Set(c.samples.map((s) => s.where))].join(" "),
  };
});
const w = Math.max(...rows.map((r) => r.name.length));
console.log(
  `DWARF ${(sizes.total / MB).toFixed(1)} MB in ${BINARY.replace(REPO_ROOT + "/", "")} ` +
    `(${FILES} files), ${REPS} reps`,
);
console.log(`${"measure".padEnd(w)}  median ms   min ms   DWARF MB/s  address`);
for (const r of rows) {
  console.log(
    `${r.name.padEnd(w)}  ${String(r.medianMs).padStart(9)}  ${String(r.minMs).padStart(7)}  ` +
      `${(r.mbPerSec === undefined ? "-" : String(r.mbPerSec)).padStart(11)}  ${r.where}`,
  );
}
const jsonPath = opts.json ??
  `${OUT}/dwarf_index-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
Deno.writeTextFileSync(
  jsonPath,
  JSON.stringify({ binary: BINARY, files: FILES, sizes, reps: REPS, rows }, null, 2),
);
console.error(`JSON: ${jsonPath}`);
