/**
 * `-t` on a library ghostscope itself maps: tracing libc's `write` must report the target's
 * writes and never ghostscope's own (which would feed every printed event back as a new event).
 */
import assert from "node:assert/strict";
import {
  e2eTest,
  sendSignal,
  spawnTarget,
  startGhostscope,
  waitForExit,
  waitForLine,
} from "./harness.ts";

const LIBC = "/lib/x86_64-linux-gnu/libc.so.6";

e2eTest("-t on libc traces other processes' calls, never ghostscope's own", async () => {
  const gs = await startGhostscope([
    "-t",
    LIBC,
    "-s",
    'trace write { print "write pid={}", $pid; }',
    "--output",
    "plain",
    "--emit-ready-marker",
    "READY",
  ]);
  const target = await spawnTarget("target", ["10"]);
  try {
    await waitForLine(gs, "READY", 30_000, "stdout");
    await waitForLine(gs, `write pid=${target.pid}`, 10_000, "stdout");
  } finally {
    await target.kill();
    sendSignal(gs, "SIGINT");
  }
  const result = await waitForExit(gs);
  assert.equal(result.code, 0, result.stderr);
  const pids = new Set(
    result.stdout.split("\n").filter((l) => l.startsWith("write pid=")).map((l) =>
      Number(l.slice("write pid=".length))
    ),
  );
  assert.ok(pids.has(target.pid), `the target's writes are traced: ${[...pids]}`);
  assert.ok(!pids.has(gs.pid), `ghostscope (pid ${gs.pid}) must not trace its own writes`);
});
