/**
 * `trace w_* { ... }`: on the wildcard fixture (w_one, w_two, w_three, other, cap_0..cap_299)
 * one block attaches to exactly the three w_ functions, each reading its own parameter and
 * naming itself with `$func`, and a
 * pattern matching more functions than the cap is one line on stderr, exit 2, nothing attached.
 */
import assert from "node:assert/strict";
import {
  e2eTest,
  fixture,
  runGhostscope,
  spawnTarget,
  startGhostscope,
  waitForExit,
} from "./harness.ts";

const lines = (s: string) => s.split("\n").filter((l) => l.length > 0);

e2eTest(
  "wildcard: trace w_* prints from exactly the three w_ functions, $func names each (-p)",
  async () => {
    const target = await spawnTarget("wildcard", ["1000", "5"], { wait: true });
    const gs = await startGhostscope([
      "-p",
      String(target.pid),
      "--output",
      "plain",
      "--emit-ready-marker",
      "READY",
      "--max-events",
      "30",
      "-s",
      'trace w_* { print "{} x={}", $func, x; }',
    ]);
    await gs.stdout.waitFor("READY", 30_000);
    target.go();
    const r = await waitForExit(gs, 20_000);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /3 probes attached at w_\*/);
    const out = lines(r.stdout).filter((l) => l !== "READY");
    assert.equal(out.length, 30, r.stdout);
    // Each round calls w_one(1), w_two(2), w_three(3), other(4): only 1, 2, 3 and in that order.
    const names = ["w_one", "w_two", "w_three"];
    out.forEach((l, i) =>
      assert.equal(l, `${names[i % 3]} x=${(i % 3) + 1}`, `event ${i}: ${r.stdout}`)
    );
  },
);

e2eTest("wildcard: more matches than the cap is one clear error (exit 2)", async () => {
  const r = await runGhostscope(["-t", fixture("wildcard"), "-s", 'trace cap_* { print "c"; }']);
  assert.equal(r.code, 2, r.stderr);
  const err = lines(r.stderr);
  assert.equal(err.length, 1, r.stderr);
  assert.match(
    err[0],
    /^ghostscope: trace cap_\*: 300 functions of .* match, more than the cap of 256/,
  );
});

e2eTest("wildcard: a pattern nothing matches names the module (exit 2)", async () => {
  const r = await runGhostscope(["-t", fixture("wildcard"), "-s", 'trace zz_* { print "c"; }']);
  assert.equal(r.code, 2, r.stderr);
  assert.match(
    r.stderr,
    /^ghostscope: trace zz_\*: no function of .*wildcard( or its libraries)? matches\n?$/,
  );
});

e2eTest("wildcard: $func is the function's name in --output json too (-t)", async () => {
  const gs = await startGhostscope([
    "-t",
    fixture("wildcard"),
    "--output",
    "json",
    "--emit-ready-marker",
    "READY",
    "--max-events",
    "3",
    "-s",
    "trace w_* { print $func; }",
  ]);
  await gs.stdout.waitFor("READY", 30_000);
  const target = await spawnTarget("wildcard", ["1", "0"]);
  await target.status;
  const r = await waitForExit(gs, 10_000);
  assert.equal(r.code, 0, r.stderr);
  const events = lines(r.stdout).filter((l) => l.startsWith("{")).map((l) => JSON.parse(l));
  assert.deepEqual(events.map((e) => e.values), [["w_one"], ["w_two"], ["w_three"]]);
  assert.deepEqual(events.map((e) => e.message), [
    "$func = w_one",
    "$func = w_two",
    "$func = w_three",
  ]);
});
