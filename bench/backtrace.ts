/**
 * The cost of a backtrace per hit: ghostscope's `bt` (registers + a copy of the user stack in the
 * event, unwound by DWARF CFI in userspace) at --backtrace-depth 16 and 128, side by side with
 * bpftrace's `ustack(16)` / `ustack(128)` (frame pointers, unwound in the kernel by
 * bpf_get_stackid; 127 is its limit under the default kernel.perf_event_max_stack), on the hotloop fixture's bench_hot_fp (push %rbp first: emulated uprobe),
 * in one run, interleaved.
 *
 *   deno run -A bench/backtrace.ts [--reps 5] [--n 5000] [--md FILE]
 *
 * bpftrace counts the stacks in a map (`@s[ustack(N)] = count()`: the kernel-side walk alone, no
 * per-event output) unless `--bpftrace-print` (`print(ustack(N))` per hit).
 *
 * Per cell: per-hit cost = (target loop time with the probe - without) / N (the loop runs after
 * the tracer is READY, so attach never pollutes it); events delivered and lost as each tool
 * reports them; throughput = delivered / (go -> tracer exit, which follows the target's exit);
 * event size from each tool's record layout. ghostscope runs with a 128 MiB ring so that the
 * per-hit cost is that of captures that happen (a full ring skips the copy and counts a loss).
 * @module
 */

import { parseArgs } from "node:util";
import { LineStream, REPO_ROOT } from "../tests/e2e/harness.ts";
import { CAPTURE_REGS_SIZE, stackCopyBytes } from "../bpf/stack_capture.ts";
import { EVENT_HEADER_SIZE, VALUE_HEADER_SIZE } from "../bpf/wire.ts";

const { values: opts } = parseArgs({
  args: Deno.args,
  options: {
    reps: { type: "string", default: "5" },
    n: { type: "string", default: "5000" },
    md: { type: "string" },
    "bpftrace-print": { type: "boolean", default: false },
  },
});
const REPS = Number(opts.reps);
const N = Number(opts.n);
/** bpftrace prints every stack (slow: a wake-up per event) instead of counting them in a map. */
const PRINT_BPFTRACE = opts["bpftrace-print"];
const HOTLOOP = `${REPO_ROOT}/tests/fixtures/build/hotloop`;
const FUNC = "bench_hot_fp";

type Cell = "baseline" | "gs bt 16" | "gs bt 128" | "bpftrace ustack(16)" | "bpftrace ustack(127)";
const CELLS: Cell[] = [
  "baseline",
  "gs bt 16",
  "gs bt 128",
  "bpftrace ustack(16)",
  "bpftrace ustack(127)",
];

interface Sample {
  loopNs: number;
  delivered?: number;
  lost?: number;
  seconds?: number;
}

function tracerArgv(cell: Cell, pid: number): string[] | undefined {
  const depth = cell.endsWith("128") ? 128 : cell.endsWith("(127)") ? 127 : 16;
  if (cell.startsWith("gs")) {
    return [
      Deno.execPath(),
      "run",
      "-A",
      `${REPO_ROOT}/main.ts`,
      "-p",
      String(pid),
      "-s",
      `trace ${FUNC} { bt; }`,
      "--backtrace-depth",
      String(depth),
      "--ringbuf-size",
      String(128 * 1024 * 1024),
      "--output",
      "plain",
      "--emit-ready-marker",
      "READY",
    ];
  }
  if (cell.startsWith("bpftrace")) {
    return [
      "bpftrace",
      "-p",
      String(pid),
      "-e",
      `BEGIN { printf("READY\\n"); } uprobe:${HOTLOOP}:${FUNC} /pid == ${pid}/ ` +
      (PRINT_BPFTRACE ? `{ print(ustack(${depth})); }` : `{ @s[ustack(${depth})] = count(); }`),
    ];
  }
  return undefined;
}

/** Counts stdout lines matching `event` while waiting for READY. */
class Counter {
  count = 0;
  ready: Promise<void>;
  done: Promise<void>;
  #resolve!: () => void;
  constructor(stream: ReadableStream<Uint8Array>, event: RegExp) {
    this.ready = new Promise((r) => this.#resolve = r);
    this.done = (async () => {
      let rest = "";
      const dec = new TextDecoder();
      for await (const chunk of stream) {
        const text = rest + dec.decode(chunk, { stream: true });
        const lines = text.split("\n");
        rest = lines.pop()!;
        for (const l of lines) {
          if (/^\s*READY\s*$/.test(l)) this.#resolve();
          else if (event.test(l)) this.count++;
        }
      }
    })();
  }
}

async function one(cell: Cell): Promise<Sample> {
  const target = new Deno.Command(HOTLOOP, {
    args: [String(N)],
    stdout: "piped",
    stderr: "inherit",
    stdin: "null",
  }).spawn();
  const out = new LineStream(target.stdout);
  const pid = Number((await out.waitFor(/^pid=\d+$/, 5000)).slice(4));
  const argv = tracerArgv(cell, pid);
  let tracer: Deno.ChildProcess | undefined;
  let counter: Counter | undefined;
  let err: LineStream | undefined;
  if (argv !== undefined) {
    tracer = new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdout: "piped",
      stderr: "piped",
      stdin: "null",
      env: { ...Deno.env.toObject(), NO_COLOR: "1" },
    }).spawn();
    counter = new Counter(
      tracer.stdout,
      cell.startsWith("gs") ? /^backtrace: / : new RegExp(`^\\s+${FUNC}\\+`),
    );
    err = new LineStream(tracer.stderr);
    await Promise.race([
      counter.ready,
      tracer.status.then(() => {
        throw new Error(`${cell} exited before READY: ${err!.lines.join("\n")}`);
      }),
      new Promise((_, rej) => setTimeout(() => rej(new Error(`${cell}: no READY`)), 60_000)),
    ]);
  }
  const t0 = performance.now();
  Deno.kill(pid, "SIGUSR1");
  const line = await out.waitFor(/^elapsed_ns=\d+/, 600_000);
  await target.status;
  const sample: Sample = { loopNs: Number(line.match(/elapsed_ns=(\d+)/)![1]) };
  if (tracer !== undefined) {
    // ghostscope ends when its target exits; bpftrace -p too
    const kill = setTimeout(() => {
      try {
        tracer!.kill("SIGINT");
      } catch { /* gone */ }
    }, 60_000);
    await tracer.status;
    clearTimeout(kill);
    sample.seconds = (performance.now() - t0) / 1000;
    await counter!.done;
    await err!.done;
    sample.delivered = cell.startsWith("bpftrace") && !PRINT_BPFTRACE ? undefined : counter!.count;
    const text = err!.lines.join("\n");
    const lost = text.match(/lost (\d+) events/) ?? text.match(/Lost (\d+) events/);
    sample.lost = lost ? Number(lost[1]) : 0;
  }
  return sample;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s[Math.floor(s.length / 2)];
}

const samples = new Map<Cell, Sample[]>(CELLS.map((c) => [c, []]));
for (let rep = 0; rep < REPS; rep++) {
  const order = rep % 2 === 0 ? CELLS : [...CELLS].reverse();
  for (const cell of order) samples.get(cell)!.push(await one(cell));
  console.error(`rep ${rep + 1}/${REPS} done`);
}

const base = median(samples.get("baseline")!.map((s) => s.loopNs));
const size = (cell: Cell): string => {
  const depth = cell.endsWith("128") ? 128 : cell.endsWith("(127)") ? 127 : 16;
  if (cell.startsWith("gs")) {
    return `${EVENT_HEADER_SIZE + VALUE_HEADER_SIZE + CAPTURE_REGS_SIZE + stackCopyBytes(depth)} B`;
  }
  return `~${24 + 8 * depth} B (stack id in the event + stack map entry)`;
};
const rows = [
  "| cell | per hit (median) | delivered / lost of N | throughput | event size |",
  "|---|---|---|---|---|",
];
for (const cell of CELLS.slice(1)) {
  const s = samples.get(cell)!;
  const perHit = (median(s.map((x) => x.loopNs)) - base) / N / 1000;
  const counted = s.every((x) => x.delivered !== undefined);
  const delivered = median(s.map((x) => x.delivered ?? 0));
  const lost = median(s.map((x) => x.lost ?? 0));
  const tput = median(s.map((x) => (x.delivered ?? 0) / (x.seconds ?? 1)));
  rows.push(
    `| ${cell} | ${perHit.toFixed(2)} µs | ${
      counted ? `${delivered} / ${lost} of ${N}` : "aggregated in a map"
    } | ${counted ? `${Math.round(tput)} events/s` : "-"} | ${size(cell)} |`,
  );
}
const report = [
  `# bt vs bpftrace ustack on hotloop ${FUNC} (N=${N}, ${REPS} reps, interleaved)`,
  "",
  `baseline loop (no tracer): ${(base / N).toFixed(0)} ns per iteration`,
  "",
  ...rows,
].join("\n");
console.log(report);
if (opts.md) await Deno.writeTextFile(opts.md, report + "\n");
