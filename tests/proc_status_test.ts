import { assertEquals, assertThrows } from "./assert.ts";
import { parseStatus, readStatus } from "../lib/proc/status.ts";
import { ProcFormatError } from "../lib/proc/errors.ts";

const NESTED = [
  "Name:\tmy worker",
  "Umask:\t0022",
  "State:\tS (sleeping)",
  "Tgid:\t81234",
  "Ngid:\t0",
  "Pid:\t81240",
  "PPid:\t81200",
  "NStgid:\t81234\t531\t17",
  "NSpid:\t81240\t537\t23",
  "NSpgid:\t81200\t500\t1",
  "NSsid:\t81200\t500\t1",
  "Kthread:\t0",
  "Threads:\t4",
  "CapEff:\t000001ffffffffff",
  "",
].join("\n");

Deno.test("status: NS chains, thread ids, caps, name with a space", () => {
  const s = parseStatus(NESTED);
  assertEquals(s.name, "my worker");
  assertEquals(s.state, "S");
  assertEquals(s.tgid, 81234);
  assertEquals(s.pid, 81240);
  assertEquals(s.ppid, 81200);
  assertEquals(s.nsTgid, [81234, 531, 17]);
  assertEquals(s.nsPid, [81240, 537, 23]);
  assertEquals(s.nsPgid, [81200, 500, 1]);
  assertEquals(s.nsSid, [81200, 500, 1]);
  assertEquals(s.threads, 4);
  assertEquals(s.capEff, 0x1ffffffffffn);
  assertEquals(s.kernelThread, false);
});

Deno.test("status: missing NS* lines (old kernel) are undefined", () => {
  const s = parseStatus("Name:\tx\nState:\tR (running)\nTgid:\t5\nPid:\t5\nPPid:\t1\n");
  assertEquals(s.nsTgid, undefined);
  assertEquals(s.nsPid, undefined);
  assertEquals(s.nsPgid, undefined);
  assertEquals(s.capEff, undefined);
  assertEquals(s.kernelThread, undefined);
  assertEquals(s.threads, undefined);
});

Deno.test("status: missing Tgid or a bad chain is a ProcFormatError", () => {
  assertThrows(() => parseStatus("Name:\tx\nPid:\t5\nPPid:\t1\n"), ProcFormatError, "Tgid");
  assertThrows(
    () => parseStatus("Tgid:\t5\nPid:\t5\nPPid:\t1\nNStgid:\t5 x\n"),
    ProcFormatError,
    "NStgid",
  );
});

Deno.test("status: the real /proc/self/status", () => {
  const s = readStatus("self");
  assertEquals(s.tgid, s.pid);
  assertEquals(s.nsTgid?.[s.nsTgid.length - 1], Deno.pid);
});
