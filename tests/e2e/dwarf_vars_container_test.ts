/**
 * Globals of a target in another PID and mount namespace: `target` runs under a fake container
 * root in its own PID namespace; ghostscope on the host reads its binary through /proc/PID/root
 * and rebases the global `add_calls` from the probe's own instruction pointer. At the probe
 * (after add's prologue, before `add_calls++`), add_calls == a - 1 for the loop's add(i, 1000).
 */
import assert from "node:assert/strict";
import { e2eTest, fixture, runGhostscope, unshareSpawn } from "./harness.ts";

e2eTest("globals of a target in another PID and mount namespace read correctly", async () => {
  const h = await unshareSpawn([fixture("target"), "20"], {
    pidns: 1,
    fakeRoot: { dockerenv: true, containerenv: false },
  });
  await h.stdout.waitFor(/^pid=\d+$/, 10_000);
  const res = await runGhostscope([
    "-p",
    String(h.pid),
    "-s",
    'trace add { print "{} {} {}", a, add_calls, $pid; }',
    "--output",
    "plain",
    "--max-events",
    "5",
  ]);
  assert.equal(res.code, 0, res.stderr);
  const rows = res.stdout.trim().split("\n").map((l) => l.split(" ").map(Number));
  assert.equal(rows.length, 5, res.stdout);
  for (const [a, calls, pid] of rows) {
    assert.equal(calls, a - 1, `add_calls at add(${a}, 1000): ${res.stdout}`);
    assert.ok(pid !== h.pid, "$pid is the id inside the target's namespace");
  }
});
