/**
 * `-t PATH`: globals of the target's libraries (DT_NEEDED) read from a probe in the executable
 * go through `proc_module_offsets`, which the lifecycle monitor fills for each followed process,
 * including processes started after ghostscope; with `--no-sysmon` they render
 * `<proc offsets unavailable>` while the rest of the same print still works. Root only (skipped
 * visibly otherwise; failing when CI=true).
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

e2eTest(
  "-t late start: a library global prints correctly from a probe in the executable",
  async () => {
    const f = globalsFixtures();
    const gs = await startTracing(["-t", f.linked]);
    const target = await startFixture(f.linked, ["4", "150", "0"]);
    try {
      await target.done;
      await waitHits(gs, 4);
      const { stdout, stderr } = await stop(gs);
      const expected = fixtureValues(target.stdout.lines);
      assert.equal(expected.size, 4, target.stdout.lines.join("\n"));
      assert.deepEqual(
        hits(stdout).map((h) => ({ i: h.i, lib: h.lib, main: h.main })),
        // sg_main_value starts at 5 and sg_probe(i) adds i after the probe fired
        [...expected].map(([i, v]) => ({ i, lib: String(v), main: 5 + (i * (i - 1)) / 2 })),
        stderr,
      );
    } finally {
      await killFixture(target);
    }
  },
);

e2eTest("-t --no-sysmon: the library global is unavailable, the other values print", async () => {
  const f = globalsFixtures();
  const gs = await startTracing(["-t", f.linked, "--no-sysmon"]);
  const target = await startFixture(f.linked, ["3", "50", "0"]);
  try {
    await target.done;
    await waitHits(gs, 3);
    const { stdout, stderr } = await stop(gs);
    assert.deepEqual(
      hits(stdout),
      [1, 2, 3].map((i) => ({
        i,
        lib: "<proc offsets unavailable>",
        main: 5 + (i * (i - 1)) / 2,
      })),
      stderr,
    );
  } finally {
    await killFixture(target);
  }
});
