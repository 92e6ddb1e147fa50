/**
 * `-p PID`: globals of another module than the probed one go through `proc_module_offsets`,
 * kept current by a narrow lifecycle monitor of the watched process. A library the process
 * dlopen's after ghostscope attached becomes readable without a restart; `--no-sysmon` keeps the
 * constant bias read from the process's maps at start. Root only (skipped visibly otherwise;
 * failing when CI=true).
 */
import assert from "node:assert/strict";
import { e2eTest } from "./harness.ts";
import {
  fixtureValues,
  globalsFixtures,
  hits,
  killFixture,
  startFixture,
  startTracing,
  stop,
  waitHits,
} from "./globals_helpers.ts";

const UNAVAILABLE = "<proc offsets unavailable>";

e2eTest("-p: a global of a library dlopen'ed after attach is read once it is mapped", async () => {
  const f = globalsFixtures();
  const target = await startFixture(f.dlopen, ["4", "100", "1", f.library]);
  try {
    const gs = await startTracing(["-p", String(target.pid), "--module", f.library]);
    target.child.kill("SIGUSR1"); // sg_probe(0), dlopen, then sg_probe(1..4)
    await waitHits(gs, 5);
    await target.done;
    const { stdout, stderr } = await stop(gs);
    const got = hits(stdout);
    const expected = fixtureValues(target.stdout.lines);
    assert.equal(expected.size, 4, target.stdout.lines.join("\n"));
    // Before the dlopen the library is not mapped: its global is unavailable, the rest prints.
    assert.deepEqual(got[0], { i: 0, lib: UNAVAILABLE, main: 5 }, stderr);
    assert.deepEqual(
      got.slice(1).map((h) => ({ i: h.i, lib: h.lib })),
      [...expected].map(([i, v]) => ({ i, lib: String(v) })),
      stderr,
    );
    assert.match(stderr, /target PID \d+ exited/);
  } finally {
    await killFixture(target);
  }
});

e2eTest(
  "-p --no-sysmon: a library mapped at start is read with the bias from its maps",
  async () => {
    const f = globalsFixtures();
    const target = await startFixture(f.linked, ["3", "50", "1"]);
    try {
      const gs = await startTracing(["-p", String(target.pid), "--no-sysmon"]);
      target.child.kill("SIGUSR1");
      await waitHits(gs, 3);
      await target.done;
      const { stdout, stderr } = await stop(gs);
      const expected = fixtureValues(target.stdout.lines);
      assert.deepEqual(
        hits(stdout).map((h) => ({ i: h.i, lib: h.lib })),
        [...expected].map(([i, v]) => ({ i, lib: String(v) })),
        stderr,
      );
    } finally {
      await killFixture(target);
    }
  },
);
