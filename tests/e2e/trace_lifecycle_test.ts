/**
 * End-to-end checks of how a tracing session ends: every way out (event limit, Ctrl+C, SIGTERM,
 * the target dying) exits 0, prints the summary line and leaves no BPF program, map, link or
 * tracefs uprobe behind; and a full ring buffer is counted and reported, never silent. Root-only
 * (skipped visibly otherwise; failing instead when CI=true).
 */
import assert from "node:assert/strict";
import {
  e2eTest,
  type KernelObjects,
  kernelObjects,
  leakedObjects,
  type ProcessHandle,
  sendSignal,
  spawnTarget,
  startGhostscope,
  waitForExit,
  waitNoLeaks,
} from "./harness.ts";
import { summaryOf } from "./summary.ts";

const SCRIPT = 'trace add { print "pid={}", $pid; }';

/**
 * Asserts that, while `gs` runs, ghostscope's program, maps and uprobe link exist (so the leak
 * check below can see them at all).
 */
async function assertAttached(before: KernelObjects): Promise<void> {
  const during = leakedObjects(before, await kernelObjects());
  const kinds = new Set(during.map((l) => l.split(" ")[0]));
  for (const kind of ["prog", "map", "link"]) {
    assert.ok(kinds.has(kind), `no ghostscope ${kind} visible while tracing: ${during}`);
  }
}

/** No ghostscope object is left, and tracefs uprobe_events is exactly as before. */
async function assertClean(before: KernelObjects): Promise<void> {
  await waitNoLeaks(before);
  assert.equal((await kernelObjects()).uprobeEvents, before.uprobeEvents);
}

/** Starts tracing `add` in a fresh `target` and waits for the first event. */
async function traceTarget(): Promise<{ target: ProcessHandle; gs: ProcessHandle }> {
  const target = await spawnTarget("target", ["20"]);
  const gs = await startGhostscope(["-p", String(target.pid), "-s", SCRIPT, "--output", "plain"]);
  await gs.stdout.waitFor(`pid=${target.pid}`);
  return { target, gs };
}

e2eTest("trace lifecycle: --max-events ends cleanly and leaks nothing", async () => {
  const before = await kernelObjects();
  const target = await spawnTarget("target", ["20"]);
  const gs = await startGhostscope([
    "-p",
    String(target.pid),
    "-s",
    SCRIPT,
    "--output",
    "plain",
    "--max-events",
    "10",
  ]);
  await gs.stdout.waitFor(`pid=${target.pid}`);
  await assertAttached(before);
  const res = await waitForExit(gs);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(summaryOf(res.stderr).reason, "event limit reached");
  await assertClean(before);
});

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  e2eTest(
    `trace lifecycle: ${signal} mid-run exits 0 with a summary and leaks nothing`,
    async () => {
      const before = await kernelObjects();
      const { target, gs } = await traceTarget();
      await assertAttached(before);
      sendSignal(gs, signal);
      const res = await waitForExit(gs);
      assert.equal(res.code, 0, res.stderr);
      assert.equal(res.signal, null);
      const summary = summaryOf(res.stderr);
      assert.equal(summary.reason, signal === "SIGINT" ? "interrupted" : "terminated");
      const printed = res.stdout.split("\n").filter((l) => l === `pid=${target.pid}`).length;
      assert.ok(printed >= 1);
      assert.equal(summary.events, printed);
      assert.ok(!res.stderr.includes("    at "), res.stderr);
      await assertClean(before);
    },
  );
}

e2eTest("trace lifecycle: the target dying ends the session by itself", async () => {
  const before = await kernelObjects();
  const { target, gs } = await traceTarget();
  await assertAttached(before);
  Deno.kill(target.pid, "SIGKILL");
  const res = await waitForExit(gs, 10_000);
  assert.equal(res.timedOut, false, `ghostscope did not notice the target's exit:\n${res.stderr}`);
  assert.equal(res.code, 0, res.stderr);
  assert.ok(
    res.stderr.split("\n").includes(`ghostscope: target PID ${target.pid} exited`),
    res.stderr,
  );
  assert.equal(summaryOf(res.stderr).reason, "target exited");
  await assertClean(before);
});

e2eTest("trace lifecycle: a full ring buffer is counted and reported", async () => {
  // hotloop calls bench_hot CALLS times without sleeping (after SIGUSR1) and then exits; a 4 KiB
  // ring holds well under 100 events, so most are dropped. Each hit either lands in the ring or
  // bumps the loss counter, and once the target has exited every landed event gets printed:
  // printed + lost is exactly the number of calls.
  const CALLS = 80_000;
  const before = await kernelObjects();
  const target = await spawnTarget("hotloop", [String(CALLS)]);
  const gs = await startGhostscope([
    "-p",
    String(target.pid),
    "-s",
    'trace bench_hot { print "hit"; }',
    "--ringbuf-size",
    "4096",
    "--output",
    "plain",
    "--emit-ready-marker",
    "READY",
  ]);
  await gs.stdout.waitFor("READY");
  target.go();
  const res = await waitForExit(gs, 30_000);
  assert.equal(res.code, 0, res.stderr);
  const done = target.stdoutLines.find((l) => l.startsWith("elapsed_ns="));
  assert.ok(done, `hotloop did not finish: ${target.stdoutLines}`);
  assert.equal(Number(done.match(/calls=(\d+)/)?.[1]), CALLS);

  const printed = res.stdout.split("\n").filter((l) => l === "hit").length;
  const summary = summaryOf(res.stderr);
  assert.equal(summary.reason, "target exited");
  assert.equal(summary.events, printed);
  assert.ok(summary.lost > 0, `nothing lost with a 4 KiB ring? ${res.stderr}`);
  assert.match(res.stderr, /lost \d+ events \(ring buffer full, try a larger --ringbuf-size\)/);
  assert.equal(printed + summary.lost, CALLS, `printed ${printed} + lost ${summary.lost}`);
  await assertClean(before);
});
