/**
 * A process whose main thread exits (pthread_exit) while a worker keeps calling the probed
 * function must stay traced: the pid-scoped uprobes follow a live thread.
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

e2eTest("-p keeps tracing after the main thread exits while a worker lives on", async () => {
  // 60 calls every 30 ms (~1.8 s); the main thread exits after 600 ms.
  const target = await spawnTarget("leader_exit", ["60", "30", "600"]);
  const gs = await startGhostscope([
    "-p",
    String(target.pid),
    "-s",
    'trace add { print "a={}", a; }',
    "--output",
    "plain",
    "--emit-ready-marker",
    "READY",
  ]);
  try {
    await waitForLine(gs, "READY", 30_000, "stdout");
    await target.stdout.waitFor("leader exits", 10_000);
    // The last calls happen long after the leader is gone.
    await waitForLine(gs, "a=59", 10_000, "stdout");
  } finally {
    sendSignal(gs, "SIGINT");
    await target.kill();
  }
  const result = await waitForExit(gs);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /uprobes now follow thread \d+/);
});
