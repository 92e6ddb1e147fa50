import { assertEquals, assertThrows } from "./assert.ts";
import { parseStat, PF_KTHREAD, readStat } from "../lib/proc/stat.ts";
import { ProcFormatError } from "../lib/proc/errors.ts";

Deno.test("stat: comm with spaces and parentheses, starttime as bigint", () => {
  const line = "4242 (a) b (c)) S 1 4242 4242 0 -1 4194560 10 0 0 0 1 2 0 0 20 0 3 0 " +
    "98765432109 1000 10\n";
  const s = parseStat(line);
  assertEquals(s.pid, 4242);
  assertEquals(s.comm, "a) b (c)");
  assertEquals(s.state, "S");
  assertEquals(s.ppid, 1);
  assertEquals(s.pgrp, 4242);
  assertEquals(s.session, 4242);
  assertEquals(s.flags, 4194560);
  assertEquals(s.numThreads, 3);
  assertEquals(s.startTime, 98765432109n);
});

Deno.test("stat: kernel thread flag", () => {
  const s = parseStat("2 (kthreadd) S 0 0 0 0 -1 2129984 0 0 0 0 0 0 0 0 20 0 1 0 5 0 0");
  assertEquals((s.flags & PF_KTHREAD) !== 0, true);
});

Deno.test("stat: truncated line is a ProcFormatError", () => {
  assertThrows(() => parseStat("1 (init) S 0 1"), ProcFormatError, "missing field");
  assertThrows(() => parseStat("garbage"), ProcFormatError);
});

Deno.test("stat: the real /proc/self/stat", () => {
  const s = readStat("self");
  assertEquals(s.numThreads >= 1, true);
  assertEquals(s.startTime > 0n, true);
});
