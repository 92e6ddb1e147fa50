/**
 * Ready latency (process start -> probes attached, `--emit-ready-marker`) of the installed
 * `ghostscope` command next to the bundle's, and what the embedded libraries cost at start:
 *
 *   deno run -A bench/installed_ready.ts [--reps 15] [--md FILE]
 *
 * Cells, one run of each per repetition, in an order that rotates every repetition:
 *   installed            PREFIX/bin/ghostscope after `scripts/install.sh` into a temporary PREFIX
 *                        (the launcher and its own Deno copy, or the executable when built)
 *   bundle               deno run -A dist/ghostscope.js (libbpf, libelf, zlib from memfds)
 *   bundle, host libbpf  the same bundle with GHOSTSCOPE_LIBBPF=/usr/lib/.../libbpf.so.1: the
 *                        780 KB of base64 still parsed, nothing decoded or loaded from memory
 *   bundle, no payload   a bundle of the source tree (empty payload stub), the host's libbpf:
 *                        what the bundle cost before the libraries travelled with it
 * The target is tests/fixtures/build/target (make fixtures). Needs dist/ghostscope.js (make
 * build) and root. Each cell first runs once untimed, lingering, so Deno writes its code cache.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { LineStream, REPO_ROOT } from "../tests/e2e/harness.ts";

const { values: opts } = parseArgs({
  args: Deno.args,
  options: { reps: { type: "string", default: "15" }, md: { type: "string" } },
});
const REPS = Number(opts.reps);
const READY = "GS_READY";
const TARGET = `${REPO_ROOT}/tests/fixtures/build/target`;
const BUNDLE = `${REPO_ROOT}/dist/ghostscope.js`;
const HOST_LIBBPF = "/usr/lib/x86_64-linux-gnu/libbpf.so.1";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Cell {
  name: string;
  argv: string[];
  env?: Record<string, string>;
}

async function sh(cmd: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  const out = await new Deno.Command(cmd, { args, env, cwd: REPO_ROOT, stdin: "null" }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")}: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
}

/** One run: ms from spawn to the ready marker on stdout; then SIGINT and reap. */
async function readyMs(cell: Cell, pid: number, lingerMs = 0): Promise<number> {
  const args = ["-p", String(pid), "-s", "trace add { }", "--emit-ready-marker", READY];
  const t0 = performance.now();
  const child = new Deno.Command(cell.argv[0], {
    args: [...cell.argv.slice(1), ...args],
    env: cell.env,
    cwd: "/tmp",
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const out = new LineStream(child.stdout);
  const err = new LineStream(child.stderr);
  try {
    await out.waitFor(new RegExp(`^${READY}$`), 30_000);
  } catch {
    child.kill("SIGKILL");
    await child.status;
    throw new Error(`${cell.name}: no ready marker: ${err.lines.slice(-3).join(" | ")}`);
  }
  const ms = performance.now() - t0;
  if (lingerMs > 0) await sleep(lingerMs);
  child.kill("SIGINT");
  await Promise.all([child.status, out.done, err.done]);
  return ms;
}

function median(v: number[]): number {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const tmp = await Deno.makeTempDir({ prefix: "gs-bench-install-" });
const target = new Deno.Command(TARGET, { stdout: "null", stderr: "null", stdin: "null" }).spawn();
try {
  Deno.statSync(BUNDLE);
  await sh(`${REPO_ROOT}/scripts/install.sh`, [`${tmp}/prefix`]);
  const plain = `${tmp}/plain.js`;
  await sh(Deno.execPath(), ["bundle", "--quiet", "--platform", "browser", "-o", plain, "main.ts"]);
  const deno = Deno.execPath();
  const cells: Cell[] = [
    { name: "installed", argv: [`${tmp}/prefix/bin/ghostscope`] },
    { name: "bundle", argv: [deno, "run", "-A", BUNDLE] },
    {
      name: "bundle, host libbpf",
      argv: [deno, "run", "-A", BUNDLE],
      env: { GHOSTSCOPE_LIBBPF: HOST_LIBBPF },
    },
    { name: "bundle, no payload", argv: [deno, "run", "-A", plain] },
  ];
  await sleep(200);
  for (const cell of cells) await readyMs(cell, target.pid, 800);
  const times = new Map<string, number[]>(cells.map((c) => [c.name, []]));
  for (let rep = 0; rep < REPS; rep++) {
    for (let i = 0; i < cells.length; i++) {
      const cell = cells[(rep + i) % cells.length];
      times.get(cell.name)!.push(await readyMs(cell, target.pid));
    }
  }
  const base = median(times.get("bundle")!);
  const sizes = `bundle ${Deno.statSync(BUNDLE).size} bytes, no-payload bundle ${
    Deno.statSync(plain).size
  } bytes`;
  const lines = [
    `# Ready latency: installed command vs bundle (${REPS} interleaved reps, ${
      new Date().toISOString()
    })`,
    "",
    sizes,
    "",
    "| cell | median ms | min ms | max ms | / bundle |",
    "|---|---|---|---|---|",
    ...cells.map((c) => {
      const v = times.get(c.name)!;
      const m = median(v);
      return `| ${c.name} | ${m.toFixed(1)} | ${Math.min(...v).toFixed(1)} | ${
        Math.max(...v).toFixed(1)
      } | ${(m / base).toFixed(2)} |`;
    }),
  ];
  console.log(lines.join("\n"));
  if (opts.md) Deno.writeTextFileSync(opts.md, lines.join("\n") + "\n");
} finally {
  target.kill("SIGKILL");
  await target.status;
  await Deno.remove(tmp, { recursive: true });
}
