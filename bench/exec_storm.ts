/**
 * Exec storms: `ghostscope -t` vs bpftrace's `uprobe:PATH:FUNC`, side by side on the sysmon
 * fixture (tests/fixtures/sysmon/sm_target.c, built with gcc into a temporary directory).
 *
 *   deno run -A bench/exec_storm.ts [--tools ghostscope,ghostscope-nosysmon,bpftrace] [--n 1000]
 *     [--inflight 1,4,16] [--latency 50] [--json FILE]
 *
 * Measurements, per tool (the tracer is started once per cell and waits for READY):
 *   storm    `sm_target storm N 0 INFLIGHT`: N short-lived processes (`sm_target hit 1 0`, each
 *            calls sm_probe once and exits within milliseconds), forked+exec'd as fast as
 *            possible with at most INFLIGHT alive. Reported: the exec rate achieved, events
 *            seen (distinct PIDs) and processes missed. The highest rate with 0 missed is the
 *            answer to "at which exec rate are zero processes missed" on this machine.
 *   latency  L processes spawned one at a time (20 ms apart) from this script: time from the
 *            spawn call to the moment the tracer's output line for that PID is read here
 *            (median, p95, max). This is what a user watching a `-t` run experiences.
 *
 * ghostscope runs as `deno run -A main.ts` (or GHOSTSCOPE_BIN, see tests/e2e/harness.ts) with
 * `-t`: the uprobe is on the file for all processes, and sysmon is on (default).
 * Results: a table on stdout and JSON in bench/out/.
 * @module
 */

import { parseArgs } from "node:util";
import { ghostscopeArgv, REPO_ROOT } from "../tests/e2e/harness.ts";
import { sysmonFixtures } from "../tests/fixtures/sysmon/build.ts";

/** `ghostscope-nosysmon`: the same with `--no-sysmon` (what the lifecycle monitor costs). */
type Tool = "ghostscope" | "ghostscope-nosysmon" | "bpftrace";
const TOOLS: readonly Tool[] = ["ghostscope", "ghostscope-nosysmon", "bpftrace"];

const READY = "READY";
const LATENCY_GAP_MS = 20;
const SETTLE_MS = 1500;
const READY_TIMEOUT_MS = 60_000;
const PERCENT = 100;
const P95 = 95;

const { values: opts } = parseArgs({
  args: Deno.args,
  options: {
    tools: { type: "string", default: "ghostscope,bpftrace" },
    n: { type: "string", default: "1000" },
    inflight: { type: "string", default: "1,4,16" },
    latency: { type: "string", default: "50" },
    json: { type: "string" },
  },
});

const tools = opts.tools.split(",").map((t) => {
  if (!TOOLS.includes(t as Tool)) throw new Error(`unknown tool ${t} (${TOOLS.join(", ")})`);
  return t as Tool;
});
const N = Number(opts.n);
const INFLIGHT = opts.inflight.split(",").map(Number);
const LATENCY_N = Number(opts.latency);
const { target } = sysmonFixtures();

/** A line of the tracer's stdout and when it was read. */
interface TimedLine {
  text: string;
  at: number;
}

/** A running tracer whose stdout lines are timestamped as they are read. */
class Tracer {
  readonly lines: TimedLine[] = [];
  readonly child: Deno.ChildProcess;
  readonly #done: Promise<void>;
  readonly stderr: Promise<string>;

  constructor(readonly tool: Tool) {
    const argv = tool === "bpftrace"
      ? [
        "bpftrace",
        "-B",
        "line",
        "-e",
        `BEGIN { printf("${READY}\\n"); } uprobe:${target}:sm_probe { printf("%d\\n", pid); }`,
      ]
      : ghostscopeArgv([
        "-t",
        target,
        "-s",
        'trace sm_probe { print "{}", $pid; }',
        "--output",
        "plain",
        "--emit-ready-marker",
        READY,
        ...(tool === "ghostscope-nosysmon" ? ["--no-sysmon"] : []),
      ]);
    this.child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      cwd: REPO_ROOT,
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
    }).spawn();
    this.#done = this.#pump();
    this.stderr = new Response(this.child.stderr).text();
  }

  async #pump(): Promise<void> {
    const dec = new TextDecoder();
    let partial = "";
    for await (const chunk of this.child.stdout) {
      const at = performance.now();
      partial += dec.decode(chunk, { stream: true });
      let nl;
      while ((nl = partial.indexOf("\n")) >= 0) {
        this.lines.push({ text: partial.slice(0, nl), at });
        partial = partial.slice(nl + 1);
      }
    }
  }

  async ready(): Promise<void> {
    const end = Date.now() + READY_TIMEOUT_MS;
    while (!this.lines.some((l) => l.text === READY)) {
      if (Date.now() > end) throw new Error(`${this.tool} not ready: ${await this.stop()}`);
      await sleep(10);
    }
  }

  /** PIDs seen in event lines. */
  pids(): Map<number, number> {
    const seen = new Map<number, number>();
    for (const l of this.lines) {
      if (/^\d+$/.test(l.text) && !seen.has(Number(l.text))) seen.set(Number(l.text), l.at);
    }
    return seen;
  }

  /** SIGINT, wait, return stderr. */
  async stop(): Promise<string> {
    try {
      this.child.kill("SIGINT");
    } catch {
      // already gone
    }
    await this.child.status;
    await this.#done;
    return await this.stderr;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface StormCell {
  tool: Tool;
  inflight: number;
  n: number;
  execsPerSec: number;
  seen: number;
  missed: number;
}

interface LatencyCell {
  tool: Tool;
  n: number;
  seen: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
}

async function storm(tool: Tool, inflight: number): Promise<StormCell> {
  const tracer = new Tracer(tool);
  await tracer.ready();
  const out = await new Deno.Command(target, {
    args: ["storm", String(N), "0", String(inflight)],
    stdout: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  const parent = Number(text.match(/^pid=(\d+)$/m)?.[1]);
  const children = new Set(
    [...text.matchAll(/^pid=(\d+)$/gm)].map((m) => Number(m[1])).filter((p) => p !== parent),
  );
  const us = Number(text.match(/^storm n=\d+ us=(\d+)$/m)?.[1]);
  await sleep(SETTLE_MS);
  const stderr = await tracer.stop();
  if (Deno.env.get("BENCH_DEBUG")) console.error(stderr);
  const seen = [...tracer.pids().keys()].filter((p) => children.has(p)).length;
  return {
    tool,
    inflight,
    n: children.size,
    execsPerSec: Math.round(children.size / (us / 1e6)),
    seen,
    missed: children.size - seen,
  };
}

async function latency(tool: Tool): Promise<LatencyCell> {
  const tracer = new Tracer(tool);
  await tracer.ready();
  const spawned = new Map<number, number>();
  const children: Promise<Deno.CommandStatus>[] = [];
  for (let i = 0; i < LATENCY_N; i++) {
    const at = performance.now();
    const child = new Deno.Command(target, { args: ["hit", "1", "0"], stdout: "null" }).spawn();
    spawned.set(child.pid, at);
    children.push(child.status);
    await sleep(LATENCY_GAP_MS);
  }
  await Promise.all(children);
  await sleep(SETTLE_MS);
  await tracer.stop();
  const seen = tracer.pids();
  const delays: number[] = [];
  for (const [pid, at] of spawned) {
    const line = seen.get(pid);
    if (line !== undefined) delays.push(line - at);
  }
  delays.sort((a, b) => a - b);
  const pick = (q: number) =>
    delays[Math.min(delays.length - 1, Math.floor((delays.length * q) / PERCENT))];
  return {
    tool,
    n: LATENCY_N,
    seen: delays.length,
    medianMs: round(pick(PERCENT / 2)),
    p95Ms: round(pick(P95)),
    maxMs: round(delays.at(-1) ?? NaN),
  };
}

function round(ms: number): number {
  return Math.round(ms * PERCENT) / PERCENT;
}

console.log(`exec storm: ghostscope -t vs bpftrace uprobe on ${target}`);
console.log(`  kernel ${Deno.osRelease()}, ${navigator.hardwareConcurrency} CPUs, N=${N}`);
const storms: StormCell[] = [];
const latencies: LatencyCell[] = [];
for (const inflight of INFLIGHT) {
  for (const tool of tools) storms.push(await storm(tool, inflight));
}
for (const tool of tools) latencies.push(await latency(tool));

console.log("\nstorm (N short-lived processes, each hits sm_probe once)");
console.log("  tool                inflight  execs/s   seen     missed");
for (const c of storms) {
  console.log(
    `  ${c.tool.padEnd(19)} ${String(c.inflight).padStart(8)}  ${
      String(c.execsPerSec).padStart(7)
    }  ${String(c.seen).padStart(5)}/${c.n}  ${String(c.missed).padStart(6)}`,
  );
}
for (const tool of tools) {
  const clean = storms.filter((c) => c.tool === tool && c.missed === 0);
  const best = clean.reduce((m, c) => Math.max(m, c.execsPerSec), 0);
  console.log(`  ${tool}: highest exec rate with 0 missed: ${best || "none"}/s`);
}
console.log("\nlatency (spawn -> the tracer's line for that PID read here)");
console.log("  tool                seen   median ms  p95 ms   max ms");
for (const c of latencies) {
  console.log(
    `  ${c.tool.padEnd(19)} ${String(c.seen).padStart(3)}/${c.n} ${
      String(c.medianMs).padStart(9)
    } ${String(c.p95Ms).padStart(7)} ${String(c.maxMs).padStart(8)}`,
  );
}

const json = opts.json ??
  `${REPO_ROOT}/bench/out/exec-storm-${new Date().toISOString().replace(/[:.]/g, "-")}.json`;
Deno.mkdirSync(json.slice(0, json.lastIndexOf("/")), { recursive: true });
Deno.writeTextFileSync(json, JSON.stringify({ n: N, storms, latencies }, null, 2));
console.log(`\nJSON: ${json}`);
