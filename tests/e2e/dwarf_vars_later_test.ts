/**
 * Globals of the probed module are rebased in the kernel from the probe's own instruction
 * pointer, so they are right in processes that did not exist when the script was compiled:
 * `-t vars` is started first, then two runs of the fixture (each at its own ASLR base) print
 * their globals, locals and strings. Needs root (skipped with a message otherwise, failing when
 * CI=true).
 */
import assert from "node:assert/strict";
import { buildVars } from "../dwarf_vars_fixture_test.ts";
import { e2eTest, startGhostscope, waitForExit } from "./harness.ts";

e2eTest("-t: globals are rebased from the probe's ip in processes started later", async () => {
  const bin = buildVars(["-g", "-O2"]);
  const gs = await startGhostscope([
    "-t",
    bin,
    "--output",
    "plain",
    "--emit-ready-marker",
    "READY",
    "--max-events",
    "4",
    "-s",
    'trace process { print "{} {} {:s} {} {}", g_counter, req->tag, g_banner, g_table[4], g_state; }',
  ]);
  await gs.stdout.waitFor("READY", 30_000).catch(async (e) => {
    const r = await waitForExit(gs, 1000);
    throw new Error(`${e}\n${r.stderr}`);
  });
  for (let run = 0; run < 2; run++) {
    const r = new Deno.Command(bin, { args: ["0", "2"], stdout: "null", stderr: "null" })
      .outputSync();
    assert.ok(r.success);
  }
  const r = await waitForExit(gs, 20_000);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split("\n").filter((l) => l !== "" && l !== "READY");
  // g_counter counts the calls of each process; g_state is optimized out at -O2
  assert.deepEqual(lines, [
    '0 "req-1" ghostscope-vars 50 <optimized out>',
    '1 "req-2" ghostscope-vars 50 <optimized out>',
    '0 "req-1" ghostscope-vars 50 <optimized out>',
    '1 "req-2" ghostscope-vars 50 <optimized out>',
  ]);
});
