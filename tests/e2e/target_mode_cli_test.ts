/**
 * `ghostscope -t PATH` end to end: the uprobe is on the file, so processes that start later,
 * live a few milliseconds, or are forked without exec are all traced with their own `$pid`;
 * `-t PATH -p PID` scopes events to one process; `--no-sysmon` still traces but maintains no
 * lifecycle maps; every way out releases every kernel object. Root only (skipped visibly
 * otherwise; failing when CI=true).
 */
import assert from "node:assert/strict";
import {
  e2eTest,
  type KernelObjects,
  kernelObjects,
  LineStream,
  type ProcessHandle,
  runGhostscope,
  sendSignal,
  startGhostscope,
  waitForExit,
  waitForLine,
  waitNoLeaks,
} from "./harness.ts";
import { sysmonFixtures } from "../fixtures/sysmon/build.ts";

const READY = "GS-READY";
// sm_counter is a global of the probed module, rebased from the probe's own IP: at the probe,
// before `sm_counter += i`, each process (or forked worker) holds 1 + 2 + ... + (i - 1).
const SCRIPT =
  'trace sm_probe { print "hit pid={} tid={} i={} counter={}", $pid, $tid, i, sm_counter; }';
const HIT_RE = /^hit pid=(\d+) tid=(\d+) i=(\d+) counter=(\d+)$/;

/** Starts `ghostscope -t` on the fixture (plain output) and waits until it is attached. */
async function startTracing(extra: string[] = [], module?: string): Promise<ProcessHandle> {
  const path = module ?? sysmonFixtures().target;
  const gs = await startGhostscope([
    "-t",
    path,
    "-s",
    SCRIPT,
    "--output",
    "plain",
    "--emit-ready-marker",
    READY,
    ...extra,
  ]);
  await waitForLine(gs, READY, 30_000, "stdout");
  return gs;
}

/** Runs the fixture to completion; returns its stdout lines. */
async function runTarget(args: string[]): Promise<string[]> {
  const out = await new Deno.Command(sysmonFixtures().target, { args, stdout: "piped" }).output();
  assert.ok(out.success, `sm_target ${args.join(" ")} failed`);
  return new TextDecoder().decode(out.stdout).trim().split("\n");
}

/** Stops ghostscope with SIGINT and returns its parsed hits (pid, i). */
async function stop(gs: ProcessHandle): Promise<Array<{ pid: number; tid: number; i: number }>> {
  sendSignal(gs, "SIGINT");
  const r = await waitForExit(gs);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /events, 0 lost; stopped: interrupted/);
  const hits = r.stdout.split("\n").map((l) => l.match(HIT_RE)).filter((m) => m !== null).map((
    m,
  ) => ({ pid: Number(m![1]), tid: Number(m![2]), i: Number(m![3]), counter: Number(m![4]) }));
  for (const h of hits) {
    assert.equal(h.counter, (h.i * (h.i - 1)) / 2, `global sm_counter in pid ${h.pid} at i=${h.i}`);
  }
  return hits.map(({ pid, tid, i }) => ({ pid, tid, i }));
}

/** Waits until ghostscope has printed `n` hit lines. */
async function waitHits(gs: ProcessHandle, n: number, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (gs.stdout.lines.filter((l) => HIT_RE.test(l)).length < n && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

e2eTest("-t: a process started after ghostscope is traced with its own $pid", async () => {
  const gs = await startTracing();
  const out = await runTarget(["hit", "5", "30"]);
  const pid = Number(out[0].slice(4));
  await waitHits(gs, 5);
  const hits = await stop(gs);
  assert.deepEqual(hits, [1, 2, 3, 4, 5].map((i) => ({ pid, tid: pid, i })));
});

e2eTest("-t: 200 short-lived processes each hit once: every one is reported", async () => {
  const gs = await startTracing();
  const started = Date.now();
  const out = await runTarget(["storm", "200"]);
  const perProcessMs = (Date.now() - started) / 200;
  assert.ok(perProcessMs < 50, `each process lived ~${perProcessMs} ms`);
  const parent = Number(out[0].slice(4));
  const children = out.filter((l) => /^pid=\d+$/.test(l)).map((l) => Number(l.slice(4)))
    .filter((p) => p !== parent);
  assert.equal(children.length, 200);
  await waitHits(gs, 200);
  const hits = await stop(gs);
  assert.equal(hits.length, 200, `expected exactly 200 events, got ${hits.length}`);
  assert.deepEqual(hits.map((h) => h.pid).sort(), [...children].sort());
  assert.ok(hits.every((h) => h.i === 1 && h.tid === h.pid));
});

e2eTest("-t: fork without exec: each worker's events carry its own $pid", async () => {
  const gs = await startTracing();
  const out = await runTarget(["fork", "4", "3", "20"]);
  const workers = out.filter((l) => l.startsWith("worker=")).map((l) => Number(l.split("pid=")[1]));
  assert.equal(workers.length, 4);
  await waitHits(gs, 12);
  const hits = await stop(gs);
  assert.equal(hits.length, 12);
  for (const w of workers) {
    assert.deepEqual(hits.filter((h) => h.pid === w).map((h) => h.i), [1, 2, 3], `worker ${w}`);
  }
});

e2eTest("-t PATH -p PID: -p scopes the events; the run ends with that process", async () => {
  const { target } = sysmonFixtures();
  const spawnHit = async () => {
    const child = new Deno.Command(target, { args: ["hit", "30", "50"], stdout: "piped" }).spawn();
    const out = new LineStream(child.stdout);
    return { child, pid: Number((await out.waitFor(/^pid=\d+$/)).slice(4)) };
  };
  const [a, b] = await Promise.all([spawnHit(), spawnHit()]);
  try {
    const r = await runGhostscope([
      "-t",
      target,
      "-p",
      String(a.pid),
      "-s",
      SCRIPT,
      "--output",
      "plain",
    ], {
      timeoutMs: 20_000,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`target PID ${a.pid} exited`));
    const pids = new Set(r.stdout.split("\n").map((l) => l.match(HIT_RE)?.[1]).filter(Boolean));
    assert.deepEqual([...pids], [String(a.pid)]);
  } finally {
    await Promise.all([a.child.status, b.child.status]);
  }
});

e2eTest("-t -p with a process that does not map the module is a usage error", async () => {
  const { target, library } = sysmonFixtures();
  const child = new Deno.Command(target, { args: ["hit", "20", "50"], stdout: "piped" }).spawn();
  const pid = Number((await new LineStream(child.stdout).waitFor(/^pid=\d+$/)).slice(4));
  try {
    const r = await runGhostscope(["-t", library, "-p", String(pid), "-s", SCRIPT]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, new RegExp(`process ${pid} does not map .*libsm_lib.so`));
  } finally {
    await child.status;
  }
});

e2eTest("-t --no-sysmon traces processes but keeps no lifecycle maps", async () => {
  const SYSMON_MAP = /^gs_(proc_offs|allowed_pids|pid_aliases|sm_)/;
  /** Sysmon maps created since `before` (other runs' maps are not ours to judge). */
  const newSysmonMaps = async (before: KernelObjects) => {
    const now = await kernelObjects();
    return [...now.mapNames].filter(([id, name]) => !before.maps.has(id) && SYSMON_MAP.test(name))
      .map(([, name]) => name);
  };
  let before = await kernelObjects();
  const on = await startTracing();
  assert.ok((await newSysmonMaps(before)).length >= 4, "sysmon maps while on");
  await stop(on);
  before = await kernelObjects();
  const gs = await startTracing(["--no-sysmon"]);
  assert.deepEqual(await newSysmonMaps(before), []);
  const pid = Number((await runTarget(["hit", "3", "20"]))[0].slice(4));
  await waitHits(gs, 3);
  const hits = await stop(gs);
  assert.deepEqual(hits.map((h) => h.pid), [pid, pid, pid]);
});

e2eTest("-t on a shared library traces a process that dlopens it later", async () => {
  const { target, library } = sysmonFixtures();
  const gs = await startGhostscope([
    "-t",
    library,
    "-s",
    'trace sm_lib_probe { print "lib pid={} i={}", $pid, i; }',
    "--output",
    "plain",
    "--emit-ready-marker",
    READY,
  ]);
  await waitForLine(gs, READY, 30_000, "stdout");
  const out = await new Deno.Command(target, {
    args: ["dlopen", library, "3", "20"],
    stdout: "piped",
  })
    .output();
  const pid = Number(new TextDecoder().decode(out.stdout).split("\n")[0].slice(4));
  await waitForLine(gs, `lib pid=${pid} i=3`, 10_000, "stdout");
  sendSignal(gs, "SIGINT");
  const r = await waitForExit(gs);
  assert.equal(r.code, 0);
  assert.deepEqual(
    r.stdout.split("\n").filter((l) => l.startsWith("lib ")),
    [1, 2, 3].map((i) => `lib pid=${pid} i=${i}`),
  );
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  e2eTest(`-t: ${signal} exits 0 with a summary and leaves no kernel object`, async () => {
    const before = await kernelObjects();
    const gs = await startTracing();
    await runTarget(["hit", "2", "10"]);
    await waitHits(gs, 2);
    sendSignal(gs, signal);
    const r = await waitForExit(gs);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /2 events, 0 lost; stopped: (interrupted|terminated)/);
    await waitNoLeaks(before);
  });
}

e2eTest("-t: --duration ends the run and leaves nothing", async () => {
  const before = await kernelObjects();
  const r = await runGhostscope(["-t", sysmonFixtures().target, "-s", SCRIPT, "--duration", "1"]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /stopped: duration elapsed/);
  await waitNoLeaks(before);
});

e2eTest("-t: a missing file or a non-ELF file is a usage error (exit 2)", async () => {
  const { dir } = sysmonFixtures();
  const missing = await runGhostscope(["-t", `${dir}/nope`, "-s", SCRIPT]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^ghostscope: -t .*nope: no such file$/m);
  const text = `${dir}/not-elf.txt`;
  Deno.writeTextFileSync(text, "just text\n");
  const notElf = await runGhostscope(["-t", text, "-s", SCRIPT]);
  assert.equal(notElf.code, 2, notElf.stderr);
  assert.equal(notElf.stderr.trim().split("\n").length, 1, notElf.stderr);
});
