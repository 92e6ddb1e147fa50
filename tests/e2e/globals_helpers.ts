/**
 * Shared parts of the `sysmon_globals_*` e2e tests: the script (a probe in the executable that
 * prints a global of a library and one of the executable), the fixtures (`tests/fixtures/sysmon/
 * sg_main.c`, `sg_lib.c`), and helpers to run them and parse both sides' lines.
 * @module
 */
import assert from "node:assert/strict";
import {
  LineStream,
  type ProcessHandle,
  sendSignal,
  startGhostscope,
  waitForExit,
  waitForLine,
} from "./harness.ts";

export { globalsFixtures } from "../fixtures/sysmon/globals_build.ts";

/** Printed by ghostscope once attached. */
export const READY = "GS-READY";
/** `i` of sg_probe, the library's global, the executable's global. */
export const SCRIPT =
  'trace sg_probe { print "i={} lib={} main={}", i, sg_lib_value, sg_main_value; }';
/** A hit line of {@link SCRIPT}. */
export const HIT_RE = /^i=(\d+) lib=(.+) main=(-?\d+)$/;
/** A value line of the fixture. */
const VALUE_RE = /^i=(\d+) value=(-?\d+)$/;

/** One hit: `lib` is the rendered text (a number, or `<proc offsets unavailable>`). */
export interface Hit {
  i: number;
  lib: string;
  main: number;
}

/** Starts ghostscope with the script (plain output) and waits until it is attached. */
export async function startTracing(args: string[]): Promise<ProcessHandle> {
  const gs = await startGhostscope([
    ...args,
    "-s",
    SCRIPT,
    "--output",
    "plain",
    "--emit-ready-marker",
    READY,
  ]);
  await waitForLine(gs, READY, 30_000, "stdout");
  return gs;
}

/** The hits printed so far. */
export function hits(lines: readonly string[]): Hit[] {
  return lines.map((l) => l.match(HIT_RE)).filter((m) => m !== null).map((m) => ({
    i: Number(m![1]),
    lib: m![2],
    main: Number(m![3]),
  }));
}

/** The fixture's `i -> value` lines (the library global as the process itself sees it). */
export function fixtureValues(lines: readonly string[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const l of lines) {
    const m = l.match(VALUE_RE);
    if (m) out.set(Number(m[1]), Number(m[2]));
  }
  return out;
}

/** Waits until `gs` printed at least `n` hits. */
export async function waitHits(gs: ProcessHandle, n: number, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (hits(gs.stdout.lines).length < n && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Stops ghostscope (SIGINT unless it already ended) and returns its output. */
export async function stop(gs: ProcessHandle): Promise<{ stdout: string[]; stderr: string }> {
  try {
    sendSignal(gs, "SIGINT");
  } catch {
    // already exited (-p: the target ended)
  }
  const r = await waitForExit(gs);
  assert.equal(r.code, 0, r.stderr);
  return { stdout: r.stdout.split("\n"), stderr: r.stderr };
}

/** A fixture run: its child and stdout lines. */
export interface FixtureRun {
  child: Deno.ChildProcess;
  stdout: LineStream;
  pid: number;
  /** Resolves once it exited (status). */
  done: Promise<Deno.CommandStatus>;
}

/** Starts a fixture binary and waits for its `pid=` line. */
export async function startFixture(path: string, args: string[]): Promise<FixtureRun> {
  const child = new Deno.Command(path, { args, stdout: "piped", stderr: "inherit" }).spawn();
  const stdout = new LineStream(child.stdout);
  await stdout.waitFor(/^pid=\d+$/, 10_000);
  return { child, stdout, pid: child.pid, done: child.status };
}

/** Kills a fixture still running (test cleanup). */
export async function killFixture(run: FixtureRun): Promise<void> {
  try {
    run.child.kill("SIGKILL");
  } catch {
    // already gone
  }
  await run.done;
}
