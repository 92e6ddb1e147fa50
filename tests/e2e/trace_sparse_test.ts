/**
 * A sparse event is delivered while the session runs, not held until it ends: the trace programs
 * submit without waking the reader (NO_WAKEUP below the wake-up threshold), so a lone record
 * must be picked up by the reader's bounded poll timeout. Root-only (skipped visibly otherwise;
 * failing instead when CI=true).
 */
import assert from "node:assert/strict";
import { e2eTest, sendSignal, spawnTarget, startGhostscope, waitForExit } from "./harness.ts";
import { summaryOf } from "./summary.ts";

e2eTest(
  "trace sparse: a single hit after 10 s of silence is printed before the run ends",
  async () => {
    // target with a 10 s period, waiting for SIGUSR1: nothing calls add until go(), then one call,
    // then 10 s of sleep (the session is ended long before a second call).
    const target = await spawnTarget("target", ["10000"], { wait: true });
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
      await gs.stdout.waitFor("READY", 30_000);
      await new Promise((r) => setTimeout(r, 10_000)); // silence: the reader idles in its poll
      target.go();
      await target.stdout.waitFor("add(1, 1000) = 1001", 5_000);
      // The hit happened and the target sleeps for 10 s now; the session is still running, so
      // the line can only come from the reader's poll, not from the final drain at exit. The
      // bound is generous (the promise is ~50 ms); this is not a timing assertion.
      await gs.stdout.waitFor(/^a=1$/, 5_000);
      assert.equal(gs.stdout.lines.filter((l) => l === "a=1").length, 1);
    } finally {
      sendSignal(gs, "SIGINT");
    }
    const res = await waitForExit(gs);
    assert.equal(res.code, 0, res.stderr);
    const summary = summaryOf(res.stderr);
    assert.equal(summary.reason, "interrupted");
    assert.equal(summary.events, 1);
    await target.kill();
  },
);
