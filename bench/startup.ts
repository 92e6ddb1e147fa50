/**
 * Start-up profile of ghostscope: process start -> READY marker, split into the phases that
 * `GHOSTSCOPE_TIMING=1` reports (lib/timing.ts), for each entry (the bundle users run and the
 * TypeScript module graph), interleaved.
 *
 *   deno run -A bench/startup.ts [--reps 15] [--entries dist/ghostscope.js,main.ts]
 *     [--script 'trace bench_hot_fp { if $pid == 0 { print "x"; } }'] [--md FILE]
 *
 * Phases: "exec -> JS" is from spawning `deno run` to the first mark (Deno's own start-up plus
 * loading and evaluating the modules); every later phase runs from the previous mark. "READY
 * seen" is the total as the benchmark measures it (the marker read from the pipe). Medians of
 * each phase over the runs; they need not add up to the median total.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { LineStream, REPO_ROOT } from "../tests/e2e/harness.ts";

const { values: opts } = parseArgs({
  args: Deno.args,
  options: {
    reps: { type: "string", default: "15" },
    entries: { type: "string", default: "dist/ghostscope.js,main.ts" },
    script: { type: "string", default: 'trace bench_hot_fp { if $pid == 0 { print "x"; } }' },
    md: { type: "string" },
  },
});

const HOTLOOP = `${REPO_ROOT}/tests/fixtures/build/hotloop`;
const entries = opts.entries.split(",").filter(Boolean);
const reps = Number(opts.reps);
const epochNow = () => performance.timeOrigin + performance.now();

interface Sample {
  ready: number;
  phases: Map<string, number>;
}

async function once(entry: string, lingerMs = 0): Promise<Sample> {
  const target = new Deno.Command(HOTLOOP, {
    args: ["10"],
    stdout: "piped",
    stderr: "null",
    stdin: "null",
  }).spawn();
  const targetOut = new LineStream(target.stdout);
  const pid = Number((await targetOut.waitFor(/^pid=\d+$/)).slice(4));
  const t0 = epochNow();
  const child = new Deno.Command(Deno.execPath(), {
    // An entry is a path, optionally followed by extra `deno run` flags: "dist/ghostscope.js
    // --v8-flags=--no-lazy".
    args: ["run", "-A", ...entry.split(" ").slice(1), `${REPO_ROOT}/${entry.split(" ")[0]}`]
      .concat(["-p", String(pid), "-s", opts.script])
      .concat(["--emit-ready-marker", "READY", "--output", "plain"]),
    env: { GHOSTSCOPE_TIMING: "1" },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const out = new LineStream(child.stdout);
  const err = new LineStream(child.stderr);
  try {
    await out.waitFor(/^READY$/, 30_000);
  } catch (e) {
    throw new Error(`${entry}: ${(e as Error).message}\n${err.text()}`);
  }
  const ready = epochNow() - t0;
  if (lingerMs > 0) await new Promise((r) => setTimeout(r, lingerMs));
  Deno.kill(child.pid, "SIGINT");
  await child.status;
  Deno.kill(pid, "SIGKILL");
  await target.status;
  await Promise.all([out.done, err.done, targetOut.done]);
  const phases = new Map<string, number>();
  let previous = t0;
  for (const line of err.lines) {
    const m = line.match(/^ghostscope timing: (.+) \+[\d.]+ at [\d.]+ epoch ([\d.]+)$/);
    if (!m) continue;
    const at = Number(m[2]);
    const name = phases.size === 0 ? "exec -> JS (Deno start, modules)" : m[1];
    phases.set(name, (phases.get(name) ?? 0) + at - previous);
    previous = at;
  }
  phases.set("READY seen (total)", ready);
  return { ready, phases };
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

// Warm-up: page cache, and Deno's code cache, which a run only stores when it lives a little
// after evaluating the modules (as any real session does).
for (const entry of entries) await once(entry, 500);
const samples = new Map<string, Sample[]>(entries.map((e) => [e, []]));
for (let rep = 0; rep < reps; rep++) {
  for (const entry of rep % 2 ? [...entries].reverse() : entries) {
    samples.get(entry)!.push(await once(entry));
  }
}

const names: string[] = [];
for (const list of samples.values()) {
  for (const s of list) for (const n of s.phases.keys()) if (!names.includes(n)) names.push(n);
}
// The total goes last.
names.push(...names.splice(names.indexOf("READY seen (total)"), 1));
const header = ["phase (median ms)", ...entries];
const rows = names.map((n) => [
  n,
  ...entries.map((e) => {
    const v = samples.get(e)!.map((s) => s.phases.get(n)).filter((x) => x !== undefined);
    return v.length ? median(v as number[]).toFixed(1) : "-";
  }),
]);
const spread = entries.map((e) => {
  const r = samples.get(e)!.map((s) => s.ready);
  return `${e}: min ${Math.min(...r).toFixed(1)}, median ${median(r).toFixed(1)}, max ${
    Math.max(...r).toFixed(1)
  } ms`;
});
const load = Deno.loadavg().map((x) => x.toFixed(2)).join(" ");
const md = [
  `Start-up of \`${opts.script}\` on hotloop, ${reps} runs per entry (interleaved), ` +
  `load average ${load}.`,
  "",
  `| ${header.join(" | ")} |`,
  `|${header.map(() => "---").join("|")}|`,
  ...rows.map((r) => `| ${r.join(" | ")} |`),
  "",
  ...spread.map((s) => `- READY ${s}`),
].join("\n");
console.log(md);
if (opts.md) await Deno.writeTextFile(opts.md, md + "\n");
