/** The progress line: silent for fast loads and off-terminal, drawn in place, erased at the end. */
import assert from "node:assert/strict";
import { terminalProgress } from "../lib/debuginfo/mod.ts";

function fake(enabled = true) {
  let t = 0;
  const out: string[] = [];
  const sink = terminalProgress("/usr/bin/x", {
    enabled,
    now: () => t,
    write: (s) => out.push(s),
  });
  return { sink, out, at: (ms: number) => (t = ms) };
}

Deno.test("progress: nothing before 0.5 s, then percent and phase, erased when done", () => {
  const { sink, out, at } = fake();
  at(100);
  sink.update(0.2, "reading");
  assert.deepEqual(out, []);
  at(600);
  sink.update(0.43, "reading");
  assert.deepEqual(out, ["\r\x1b[Kloading debug info for /usr/bin/x: 43% (reading)…"]);
  at(650); // redraws at most every 100 ms
  sink.update(0.5);
  assert.equal(out.length, 1);
  at(800);
  sink.update(0.7, "indexing");
  assert.equal(out[1], "\r\x1b[Kloading debug info for /usr/bin/x: 70% (indexing)…");
  sink.done();
  assert.equal(out.at(-1), "\r\x1b[K");
  sink.done(); // idempotent
  assert.equal(out.length, 3);
});

Deno.test("progress: a fast load shows nothing and erases nothing", () => {
  const { sink, out, at } = fake();
  at(300);
  sink.update(0.9);
  sink.done();
  assert.deepEqual(out, []);
});

Deno.test("progress: a known slow step shows at once; stderr not a terminal shows nothing", () => {
  const { sink, out, at } = fake();
  at(10);
  sink.update(0.7, "indexing", true);
  assert.equal(out.length, 1);
  const off = fake(false);
  off.at(5000);
  off.sink.update(0.5, "reading", true);
  off.sink.done();
  assert.deepEqual(off.out, []);
});
