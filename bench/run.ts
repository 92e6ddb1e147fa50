/**
 * ghostscope vs bpftrace on the hotloop fixture, side by side in one run, interleaved.
 *
 *   deno run -A bench/run.ts [--reps 7] [--tools ghostscope,bpftrace]
 *     [--only ready,cond,empty,throughput] [--n-hot 100000] [--n-fp 1000000]
 *     [--n-tput 300000] [--entry dist/ghostscope.js] [--no-ts-entry] [--at-entry]
 *     [--json FILE] [--md FILE]
 *
 * ghostscope runs as users run it: `deno run -A dist/ghostscope.js` (the bundle `make build`
 * makes; `make bench` rebuilds it first), or `--entry` / GHOSTSCOPE_BIN (see
 * tests/e2e/harness.ts). Its ready latency is also measured from the TypeScript sources
 * (`deno run -A main.ts`, "ghostscope (main.ts)") unless `--no-ts-entry`.
 *
 * Measurements (each repetition runs every cell once; the tool order alternates per rep):
 *   ready       process start -> probes attached: ghostscope `--emit-ready-marker READY`,
 *               bpftrace `BEGIN { printf("READY\n") }` (both on stdout, read through a pipe).
 *               Taken from every cond/empty run (4 per rep and tool) plus, for main.ts, one
 *               ready-only run per rep.
 *   cond        per-hit cost of a never-true conditional print, on bench_hot (first instruction
 *               `mov`: single-stepped) and bench_hot_fp (first instruction `push %rbp`:
 *               emulated): (target loop time with the probe - without) / N.
 *   empty       the same with an empty probe: the bare uprobe floor; on bench_hot_fp also as a
 *               rate ("empty-probe floor", hits/s = N / loop time with the probe), the most a
 *               printing probe can deliver.
 *   throughput  two integers printed per hit of bench_hot_fp, stdout redirected to a file:
 *               events/s (delivered / time from go to the last byte written), events lost as
 *               the tool reports them (bpftrace "Lost N events", ghostscope's summary
 *               "N events, M lost"), and unaccounted = N - delivered - lost. Only the target's
 *               own events count as delivered (bpftrace 0.17's -p does not filter uprobes, so
 *               another hotloop would show up too: counted apart as "other processes' events").
 *               "print rate / empty floor": each repetition's throughput over the same
 *               repetition's empty-probe floor of the same tool (needs `empty` in --only).
 *
 * The README's performance table is made from the JSON of a run by bench/readme_table.ts
 * (`make bench` runs it on the run it just made).
 *
 * Both tools probe the same instruction: bpftrace `uprobe:hotloop:FUNC` is the function's entry;
 * ghostscope `trace FUNC` is the address gdb's `break FUNC` picks, which for these two functions
 * is the entry too. The report checks that from ghostscope's own status line.
 *
 * The hotloop fixture prints its pid, waits for SIGUSR1 (sent once the tracer is READY), runs
 * its loop and prints the loop's own CLOCK_MONOTONIC time, so attach and detach never pollute
 * the timing. Results: a table on stdout, and in bench/out/ a JSON file and a markdown report
 * (also copied to bench/out/latest.md) with the targets and whether they are met.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { LineStream, REPO_ROOT } from "../tests/e2e/harness.ts";

type Tool = "ghostscope" | "ghostscope (main.ts)" | "bpftrace";
type Kind = "cond" | "empty" | "tput";
type Func = "bench_hot" | "bench_hot_fp";

const { values: opts } = parseArgs({
  args: Deno.args,
  options: {
    reps: { type: "string", default: "7" },
    tools: { type: "string", default: "ghostscope,bpftrace" },
    only: { type: "string", default: "ready,cond,empty,throughput" },
    "n-hot": { type: "string", default: "100000" },
    "n-fp": { type: "string", default: "1000000" },
    "n-tput": { type: "string", default: "300000" },
    entry: { type: "string" },
    "no-ts-entry": { type: "boolean", default: false },
    "at-entry": { type: "boolean", default: false },
    json: { type: "string" },
    md: { type: "string" },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (opts.help) {
  console.log(
    "usage: deno run -A bench/run.ts [--reps N] [--tools ghostscope,bpftrace] " +
      "[--only ready,cond,empty,throughput] [--n-hot N] [--n-fp N] [--n-tput N] " +
      "[--entry FILE] [--no-ts-entry] [--at-entry] [--json FILE] [--md FILE]",
  );
  Deno.exit(0);
}

const REPS = Number(opts.reps);
const TOOLS = opts.tools.split(",").filter(Boolean) as Tool[];
const ONLY = new Set(opts.only.split(","));
const N: Record<Func, number> = {
  bench_hot: Number(opts["n-hot"]),
  bench_hot_fp: Number(opts["n-fp"]),
};
const N_TPUT = Number(opts["n-tput"]);
const HOTLOOP = `${REPO_ROOT}/tests/fixtures/build/hotloop`;
const OUT_DIR = `${REPO_ROOT}/bench/out`;
const READY = "READY";
const dec = new TextDecoder();
/** What ghostscope runs from: --entry, else GHOSTSCOPE_BIN, else the bundle. */
const GS_ENTRY = opts.entry ?? Deno.env.get("GHOSTSCOPE_BIN") ?? "dist/ghostscope.js";
const TS_ENTRY = !opts["no-ts-entry"] && TOOLS.includes("ghostscope") && ONLY.has("ready");

for (const t of TOOLS) {
  if (t !== "ghostscope" && t !== "bpftrace") throw new Error(`unknown tool ${t}`);
}
if (TOOLS.includes("ghostscope")) {
  const path = GS_ENTRY.startsWith("/") ? GS_ENTRY : `${REPO_ROOT}/${GS_ENTRY}`;
  try {
    Deno.statSync(path);
  } catch {
    console.error(`bench: ${path} is missing: run 'make bench' (it builds the bundle first)`);
    Deno.exit(2);
  }
}

// --- probe sites --------------------------------------------------------------------------------

interface Site {
  func: Func;
  vaddr: number;
  firstInsn: string;
  gdbBreak: string;
}

async function run(cmd: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  return dec.decode(out.stdout) + dec.decode(out.stderr);
}

async function probeSites(): Promise<Record<Func, Site>> {
  const dis = await run("objdump", ["-d", "--no-show-raw-insn", HOTLOOP]);
  const gdb = await run("gdb", [
    "-batch",
    "-nx",
    "-ex",
    "break bench_hot",
    "-ex",
    "break bench_hot_fp",
    HOTLOOP,
  ]).catch(() => "");
  const site = (func: Func): Site => {
    const m = dis.match(new RegExp(`^([0-9a-f]+) <${func}>:\\n\\s*[0-9a-f]+:\\s*(.+)$`, "m"));
    const b = gdb.match(
      new RegExp(`Breakpoint \\d+ at (0x[0-9a-f]+): file [^,]+, line \\d+\\.`, "g"),
    );
    const idx = func === "bench_hot" ? 0 : 1;
    return {
      func,
      vaddr: m ? parseInt(m[1], 16) : 0,
      firstInsn: m ? m[2].replace(/\s+#.*$/, "").replace(/\s+/g, " ") : "?",
      gdbBreak: b?.[idx]?.match(/0x[0-9a-f]+/)?.[0] ?? "?",
    };
  };
  return { bench_hot: site("bench_hot"), bench_hot_fp: site("bench_hot_fp") };
}

// --- one run --------------------------------------------------------------------------------

interface RunResult {
  readyMs?: number;
  loopNs?: number;
  delivered?: number;
  foreign?: number;
  lost?: number;
  eventsPerSec?: number;
  exitAfterTargetMs?: number;
  /** ghostscope: the module offset its status line says the probe went to. */
  probedAt?: number;
  error?: string;
}

function tracerArgv(tool: Tool, kind: Kind, func: Func, pid: number, sites: Record<Func, Site>) {
  if (tool === "bpftrace") {
    const body = kind === "cond"
      ? `/pid == 0/ { printf("x\\n"); }`
      : kind === "empty"
      ? "{ }"
      : `{ printf("%d %d\\n", pid, arg0); }`;
    return [
      "bpftrace",
      "-p",
      String(pid),
      "-e",
      `BEGIN { printf("${READY}\\n"); } uprobe:${HOTLOOP}:${func} ${body}`,
    ];
  }
  const target = opts["at-entry"] ? `0x${sites[func].vaddr.toString(16)}` : func;
  const body = kind === "cond"
    ? `if $pid == 0 { print "x"; }`
    : kind === "empty"
    ? ""
    : `print "{} {}", $pid, i;`;
  const args = ["-p", String(pid), "-s", `trace ${target} { ${body} }`];
  args.push("--emit-ready-marker", READY, "--output", "plain");
  const entry = tool === "ghostscope (main.ts)" ? "main.ts" : GS_ENTRY;
  const path = entry.startsWith("/") ? entry : `${REPO_ROOT}/${entry}`;
  // A script runs under this deno; anything else is an executable (dist/ghostscope).
  return /\.(js|ts|mjs)$/.test(entry)
    ? [Deno.execPath(), "run", "-A", path, ...args]
    : [path, ...args];
}

/** `... attached at bench_hot_fp (hotloop+0x1430); ...` -> 0x1430. */
function probedAt(stderr: string[]): number | undefined {
  for (const l of stderr) {
    const m = l.match(/attached at \S+ \([^+)]+\+0x([0-9a-f]+)[,)]/);
    if (m) return parseInt(m[1], 16);
  }
  return undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Target {
  child: Deno.ChildProcess;
  pid: number;
  out: LineStream;
}

async function startHotloop(n: number): Promise<Target> {
  const child = new Deno.Command(HOTLOOP, {
    args: [String(n)],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const out = new LineStream(child.stdout);
  const line = await out.waitFor(/^pid=\d+$/, 5000);
  return { child, pid: Number(line.slice(4)), out };
}

async function finishTarget(t: Target): Promise<number> {
  const line = await t.out.waitFor(/^elapsed_ns=\d+/, 600_000);
  await t.child.status;
  await t.out.done;
  return Number(line.match(/elapsed_ns=(\d+)/)![1]);
}

/** Baseline: the loop without any tracer. */
async function baseline(n: number): Promise<number> {
  const t = await startHotloop(n);
  Deno.kill(t.pid, "SIGUSR1");
  return await finishTarget(t);
}

function killQuietly(pid: number, sig: Deno.Signal) {
  try {
    Deno.kill(pid, sig);
  } catch {
    // gone
  }
}

/** Waits for `child` to exit; SIGINT after `graceMs`, SIGKILL 5 s later. */
async function reap(child: Deno.ChildProcess, graceMs: number): Promise<boolean> {
  let self = true;
  const t1 = setTimeout(() => {
    self = false;
    killQuietly(child.pid, "SIGINT");
  }, graceMs);
  const t2 = setTimeout(() => killQuietly(child.pid, "SIGKILL"), graceMs + 5000);
  try {
    await child.status;
  } finally {
    clearTimeout(t1);
    clearTimeout(t2);
  }
  return self;
}

/**
 * ready / cond / empty: tracer output through a pipe. `lingerMs`: wait that long after READY
 * before starting the target (the warm-up uses it so that Deno stores its code cache, which a
 * process only does when it lives a little after loading, as any real session does).
 */
async function runPiped(
  tool: Tool,
  kind: Kind,
  func: Func,
  n: number,
  sites: Record<Func, Site>,
  lingerMs = 0,
): Promise<RunResult> {
  const target = await startHotloop(n);
  const argv = tracerArgv(tool, kind, func, target.pid, sites);
  const t0 = performance.now();
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const out = new LineStream(child.stdout);
  const err = new LineStream(child.stderr);
  const res: RunResult = {};
  try {
    await out.waitFor(new RegExp(`^\\s*${READY}\\s*$`), 60_000);
    res.readyMs = performance.now() - t0;
  } catch {
    killQuietly(child.pid, "SIGKILL");
    killQuietly(target.pid, "SIGKILL");
    await Promise.all([child.status, target.child.status, out.done, err.done]);
    return { error: firstError(err.lines, out.lines) };
  }
  if (lingerMs > 0) await sleep(lingerMs);
  Deno.kill(target.pid, "SIGUSR1");
  res.loopNs = await finishTarget(target);
  const tExit = performance.now();
  await reap(child, 3000);
  res.exitAfterTargetMs = performance.now() - tExit;
  await Promise.all([out.done, err.done]);
  if (tool !== "bpftrace") res.probedAt = probedAt(err.lines);
  return res;
}

/** throughput: tracer stdout redirected to a file by sh. */
async function runToFile(tool: Tool, sites: Record<Func, Site>): Promise<RunResult> {
  await Deno.mkdir(OUT_DIR, { recursive: true });
  const outFile = `${OUT_DIR}/tput-${tool}.out`;
  const errFile = `${OUT_DIR}/tput-${tool}.err`;
  await Deno.writeTextFile(outFile, "");
  const target = await startHotloop(N_TPUT);
  const argv = tracerArgv(tool, "tput", "bench_hot_fp", target.pid, sites);
  const child = new Deno.Command("sh", {
    args: [
      "-c",
      'out=$1; err=$2; shift 2; exec "$@" >"$out" 2>"$err"',
      "sh",
      outFile,
      errFile,
      ...argv,
    ],
    cwd: REPO_ROOT,
    stdin: "null",
  }).spawn();
  // READY: poll the file (stdout is a regular file here, as it would be for a user).
  const t0 = performance.now();
  let ready = false;
  while (performance.now() - t0 < 60_000) {
    const text = await Deno.readTextFile(outFile).catch(() => "");
    if (text.split("\n").some((l) => l.trim() === READY)) {
      ready = true;
      break;
    }
    const exited = await Promise.race([child.status.then(() => true), sleep(2).then(() => false)]);
    if (exited) break;
  }
  if (!ready) {
    killQuietly(child.pid, "SIGKILL");
    killQuietly(target.pid, "SIGKILL");
    await Promise.all([child.status, target.child.status, target.out.done]);
    const errText = await Deno.readTextFile(errFile).catch(() => "");
    const outText = await Deno.readTextFile(outFile).catch(() => "");
    return { error: firstError(errText.split("\n"), outText.split("\n")) };
  }
  const tGo = performance.now();
  Deno.kill(target.pid, "SIGUSR1");
  const loopNs = await finishTarget(target);
  // Drain: wait for the tracer to exit by itself (3 s grace), noting when the file last grew.
  let lastSize = -1;
  let lastGrowth = performance.now();
  let done = false;
  const statusP = child.status.then(() => {
    done = true;
  });
  const tExit = performance.now();
  const reaper = reap(child, 3000);
  while (!done) {
    const size = (await Deno.stat(outFile)).size;
    if (size !== lastSize) {
      lastSize = size;
      lastGrowth = performance.now();
    }
    await Promise.race([statusP, sleep(5)]);
  }
  await reaper;
  const exitAfterTargetMs = performance.now() - tExit;
  const size = (await Deno.stat(outFile)).size;
  if (size !== lastSize) lastGrowth = performance.now();
  const outText = await Deno.readTextFile(outFile);
  const errText = await Deno.readTextFile(errFile).catch(() => "");
  let delivered = 0;
  let foreign = 0;
  for (const l of outText.split("\n")) {
    const m = l.trim().match(/^(\d+) \d+$/);
    if (!m) continue;
    if (Number(m[1]) === target.pid) delivered++;
    else foreign++;
  }
  // bpftrace: "Lost N events"; ghostscope's summary: "N events, M lost" (or "lost M events").
  const lostMatch = `${errText}\n${outText}`.match(/lost (\d+) events?|(\d+) lost\b/i);
  return {
    loopNs,
    delivered,
    foreign,
    lost: lostMatch ? Number(lostMatch[1] ?? lostMatch[2]) : 0,
    eventsPerSec: delivered / ((lastGrowth - tGo) / 1000),
    exitAfterTargetMs,
  };
}

function firstError(err: string[], out: string[]): string {
  // deno and bpftrace colour their errors
  // deno-lint-ignore no-control-regex
  const plain = (l: string) => l.replace(/\x1b\[[0-9;]*m/g, "").trim();
  const lines = [...err, ...out].map(plain).filter((l) =>
    l && !l.startsWith("Attaching") && !/RLIMIT_MEMLOCK/.test(l)
  );
  return (lines.find((l) => /error|ghostscope:/i.test(l)) ?? lines[0] ?? "exited before READY")
    .slice(0, 160);
}

// --- the campaign ---------------------------------------------------------------------------------

type Cell = {
  metric: string;
  tool: Tool | "baseline";
  unit: string;
  values: number[];
  errors: string[];
};
const cells = new Map<string, Cell>();
function record(
  metric: string,
  tool: Tool | "baseline",
  unit: string,
  v: number | undefined,
  err?: string,
) {
  const key = `${metric}|${tool}`;
  const c = cells.get(key) ?? { metric, tool, unit, values: [], errors: [] };
  cells.set(key, c);
  if (err) c.errors.push(err);
  else if (v !== undefined && Number.isFinite(v)) c.values.push(v);
}
/** Where ghostscope's status line said each function's probe went. */
const probed = new Map<Func, Set<number>>();

function cpuModel(): string {
  try {
    const m = Deno.readTextFileSync("/proc/cpuinfo").match(/^model name\s*:\s*(.+)$/m);
    return m ? m[1].trim() : "unknown CPU";
  } catch {
    return "unknown CPU";
  }
}

const sites = await probeSites();
const loadBefore = Deno.loadavg();
const startedAt = new Date();
const versions = {
  kernel: Deno.osRelease(),
  deno: Deno.version.deno,
  bpftrace: TOOLS.includes("bpftrace") ? (await run("bpftrace", ["--version"])).trim() : "-",
  cpus: navigator.hardwareConcurrency,
  cpuModel: cpuModel(),
};
console.log(`ghostscope vs bpftrace on ${HOTLOOP}`);
console.log(
  `reps=${REPS} n(bench_hot)=${N.bench_hot} n(bench_hot_fp)=${N.bench_hot_fp} ` +
    `n(throughput)=${N_TPUT}; ghostscope runs ${GS_ENTRY}, probe target: ${
      opts["at-entry"] ? "function entry address (trace 0xADDR)" : "function name"
    }`,
);
for (const s of Object.values(sites)) {
  console.log(
    `  ${s.func.padEnd(13)} entry 0x${s.vaddr.toString(16)} first insn '${s.firstInsn}', ` +
      `gdb breakpoint (after prologue) ${s.gdbBreak}`,
  );
}
console.log(`  ${versions.bpftrace}; deno ${versions.deno}; kernel ${versions.kernel}`);

// Warm-up (discarded): deno's module and code caches, page cache, first perf_event_open.
const warmTools: Tool[] = [...TOOLS, ...(TS_ENTRY ? ["ghostscope (main.ts)" as Tool] : [])];
for (const tool of warmTools) {
  const r = await runPiped(tool, "cond", "bench_hot_fp", 1000, sites, 500);
  if (r.error) console.log(`  warm-up ${tool}: ${r.error}`);
}

const FUNCS: Func[] = ["bench_hot", "bench_hot_fp"];
for (let rep = 0; rep < REPS; rep++) {
  const order = rep % 2 === 0 ? TOOLS : [...TOOLS].reverse();
  const t0 = performance.now();
  /** This repetition's empty-probe hit rate per tool (hits/s). */
  const floorThisRep = new Map<Tool, number>();
  if (ONLY.has("cond") || ONLY.has("empty") || ONLY.has("ready")) {
    for (const func of FUNCS) {
      const kinds: Kind[] = (["cond", "empty"] as Kind[]).filter((k) => ONLY.has(k));
      if (kinds.length === 0 && !(ONLY.has("ready") && func === "bench_hot_fp")) continue;
      const base = await baseline(N[func]);
      record(`loop ${func}`, "baseline", "ns/call", base / N[func]);
      for (const kind of kinds.length ? kinds : (["cond"] as Kind[])) {
        for (const tool of order) {
          const r = await runPiped(tool, kind, func, N[func], sites);
          if (ONLY.has("ready")) {
            record("ready latency", tool, "ms", r.readyMs, r.error);
            record("exit after target exit", tool, "ms", r.exitAfterTargetMs, r.error);
          }
          if (r.probedAt !== undefined) {
            probed.set(func, (probed.get(func) ?? new Set()).add(r.probedAt));
          }
          if (kind === "empty" && func === "bench_hot_fp" && r.loopNs !== undefined) {
            floorThisRep.set(tool, N[func] / (r.loopNs / 1e9));
            record("empty-probe floor bench_hot_fp", tool, "k hits/s", N[func] / r.loopNs * 1e6);
          } else if (kind === "empty" && func === "bench_hot_fp") {
            record("empty-probe floor bench_hot_fp", tool, "k hits/s", undefined, r.error);
          }
          if (ONLY.has(kind)) {
            const perHitUs = r.loopNs !== undefined
              ? (r.loopNs - base) / N[func] / 1000
              : undefined;
            record(
              `per hit ${kind === "cond" ? "never-true if" : "empty probe"} ${func}`,
              tool,
              "µs",
              perHitUs,
              r.error,
            );
          }
        }
      }
    }
  }
  if (TS_ENTRY) {
    const r = await runPiped("ghostscope (main.ts)", "cond", "bench_hot_fp", 1000, sites);
    record("ready latency", "ghostscope (main.ts)", "ms", r.readyMs, r.error);
  }
  if (ONLY.has("throughput")) {
    for (const tool of order) {
      const r = await runToFile(tool, sites);
      record(
        "throughput bench_hot_fp",
        tool,
        "k events/s",
        r.eventsPerSec !== undefined ? r.eventsPerSec / 1000 : undefined,
        r.error,
      );
      const floor = floorThisRep.get(tool);
      if (floor !== undefined && r.eventsPerSec !== undefined) {
        record("  print rate / empty floor", tool, "x", r.eventsPerSec / floor);
      }
      record("  delivered", tool, "events", r.delivered, r.error);
      record("  lost (reported)", tool, "events", r.lost, r.error);
      record("  other processes' events", tool, "events", r.foreign, r.error);
      record(
        "  unaccounted",
        tool,
        "events",
        r.delivered !== undefined ? N_TPUT - r.delivered - (r.lost ?? 0) : undefined,
        r.error,
      );
    }
  }
  console.log(`  rep ${rep + 1}/${REPS} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}
const loadAfter = Deno.loadavg();

// --- report ---------------------------------------------------------------------------------

interface Stats {
  min: number;
  median: number;
  max: number;
  n: number;
}

function stats(v: number[]): Stats | null {
  const s = [...v].sort((a, b) => a - b);
  if (s.length === 0) return null;
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { min: s[0], median, max: s[s.length - 1], n: s.length };
}

function fmt(x: number, unit?: string): string {
  if (unit === "events") return x.toFixed(0);
  const a = Math.abs(x);
  if (a >= 1000) return x.toFixed(0);
  if (a >= 100) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

function cellText(c: Cell | undefined): string {
  if (!c) return "-";
  const s = stats(c.values);
  if (!s) return `error: ${c.errors[0] ?? "no data"}`.slice(0, 44);
  const errs = c.errors.length ? ` (${c.errors.length} err)` : "";
  return `${fmt(s.min, c.unit)} / ${fmt(s.median, c.unit)} / ${fmt(s.max, c.unit)}${errs}`;
}

const median = (metric: string, tool: Tool) => {
  const c = cells.get(`${metric}|${tool}`);
  return c ? stats(c.values)?.median : undefined;
};
const ratio = (metric: string) => {
  const g = median(metric, "ghostscope");
  const b = median(metric, "bpftrace");
  return g !== undefined && b !== undefined && b !== 0 ? g / b : undefined;
};

/** The project's targets, judged on the medians of this run. */
interface Verdict {
  metric: string;
  target: string;
  ok: boolean | undefined;
}
const verdicts = new Map<string, Verdict>();
{
  const ready = median("ready latency", "ghostscope");
  const readyBt = median("ready latency", "bpftrace");
  verdicts.set("ready latency", {
    metric: "ready latency",
    target: "≤ 0.8× bpftrace",
    ok: ready === undefined || readyBt === undefined ? undefined : ready <= 0.8 * readyBt,
  });
  for (const func of FUNCS) {
    const metric = `per hit never-true if ${func}`;
    const r = ratio(metric);
    verdicts.set(metric, {
      metric,
      target: "≤ 1.2× bpftrace",
      ok: r === undefined ? undefined : r <= 1.2,
    });
  }
  const tput = median("throughput bench_hot_fp", "ghostscope");
  const tputBt = median("throughput bench_hot_fp", "bpftrace");
  const lost = cells.get("  lost (reported)|ghostscope")?.values ?? [];
  const unaccounted = cells.get("  unaccounted|ghostscope")?.values ?? [];
  const tputErrors = cells.get("throughput bench_hot_fp|ghostscope")?.errors.length ?? 0;
  const fraction = median("  print rate / empty floor", "ghostscope");
  verdicts.set("throughput bench_hot_fp", {
    metric: "throughput bench_hot_fp",
    target: "≥ 5× bpftrace, 0 lost in every run",
    ok: tput === undefined || tputBt === undefined ? undefined : tput >= 5 * tputBt &&
      tputErrors === 0 && lost.every((x) => x === 0) && unaccounted.every((x) => x === 0),
  });
  verdicts.set("  print rate / empty floor", {
    metric: "  print rate / empty floor",
    target: "≥ 0.85× (median)",
    ok: fraction === undefined ? undefined : fraction >= 0.85,
  });
}

const metrics = [...new Set([...cells.values()].map((c) => c.metric))];
const header = [
  "metric (unit)",
  "ghostscope min/med/max",
  "bpftrace min/med/max",
  "gs/bt (median)",
  "target",
];
const rows: string[][] = [];
for (const m of metrics) {
  const base = cells.get(`${m}|baseline`);
  if (base) {
    rows.push([`${m} (${base.unit})`, `no tracer: ${cellText(base)}`, "", "", ""]);
    continue;
  }
  const gs = cells.get(`${m}|ghostscope`);
  const bt = cells.get(`${m}|bpftrace`);
  const unit = (gs ?? bt)!.unit;
  const r = ratio(m);
  const v = verdicts.get(m);
  const verdict = v === undefined
    ? ""
    : `${v.target}: ${v.ok === undefined ? "n/a" : v.ok ? "MET" : "MISSED"}`;
  rows.push([`${m} (${unit})`, cellText(gs), cellText(bt), r ? `${fmt(r)}x` : "-", verdict]);
  const ts = cells.get(`${m}|ghostscope (main.ts)`);
  if (ts) rows.push([`  ${m}, ghostscope from main.ts (${unit})`, cellText(ts), "", "", ""]);
}
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
console.log("");
console.log(line(header));
console.log(widths.map((w) => "-".repeat(w)).join("  "));
for (const r of rows) console.log(line(r));

const siteNotes = FUNCS.map((f) => {
  const s = sites[f];
  const at = [...(probed.get(f) ?? [])].map((a) => `0x${a.toString(16)}`).join(", ") || "?";
  const same = probed.get(f)?.size === 1 && probed.get(f)!.has(s.vaddr);
  return `- \`${f}\`: entry 0x${s.vaddr.toString(16)} (first instruction \`${s.firstInsn}\`); ` +
    `bpftrace probes the entry, ghostscope probed ${at}` +
    (same ? " (the same instruction)" : " (**not the same instruction**)");
});
const mdEscape = (s: string) => s.replace(/\|/g, "\\|");
const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(" ");
const md = [
  `# ghostscope vs bpftrace, ${startedAt.toISOString()}`,
  "",
  `\`make bench\` (bench/run.ts): ${REPS} repetitions, tools interleaved (order alternating per ` +
  `repetition); min / median / max over the runs. Machine: ${versions.cpus} × ${versions.cpuModel}, kernel ` +
  `${versions.kernel}, load average ${load(loadBefore)} before and ${load(loadAfter)} after. ` +
  `${versions.bpftrace}; ghostscope runs \`deno run -A ${GS_ENTRY}\` (Deno ${versions.deno}).`,
  "",
  `| ${header.join(" | ")} |`,
  `|${header.map(() => "---").join("|")}|`,
  ...rows.map((r) => `| ${r.map(mdEscape).join(" | ")} |`),
  "",
  `Loops: bench_hot ${N.bench_hot} calls, bench_hot_fp ${N.bench_hot_fp} calls, throughput ` +
  `${N_TPUT} events. Per-hit cost = (loop time with the probe − without) / calls.`,
  ...siteNotes,
  "",
].join("\n");

await Deno.mkdir(OUT_DIR, { recursive: true });
const stamp = startedAt.toISOString().replace(/[:.]/g, "-");
const mdPath = opts.md ?? `${OUT_DIR}/bench-${stamp}.md`;
await Deno.writeTextFile(mdPath, md);
await Deno.writeTextFile(`${OUT_DIR}/latest.md`, md);
const jsonPath = opts.json ?? `${OUT_DIR}/bench-${stamp}.json`;
const jsonText = JSON.stringify(
  {
    date: startedAt.toISOString(),
    reps: REPS,
    n: { ...N, throughput: N_TPUT },
    atEntry: opts["at-entry"],
    entry: GS_ENTRY,
    versions,
    load: { before: loadBefore, after: loadAfter },
    rows: { header, rows },
    sites,
    probed: Object.fromEntries([...probed].map(([f, s]) => [f, [...s]])),
    verdicts: [...verdicts.values()],
    cells: [...cells.values()].map((c) => ({ ...c, stats: stats(c.values) })),
  },
  null,
  2,
);
await Deno.writeTextFile(jsonPath, jsonText);
await Deno.writeTextFile(`${OUT_DIR}/latest.json`, jsonText);
console.log(
  `\nmarkdown: ${mdPath} (and ${OUT_DIR}/latest.md)\nJSON: ${jsonPath} (and ${OUT_DIR}/latest.json)`,
);
