/**
 * End-to-end "spine" checks of `ghostscope -p PID -s SCRIPT` against the real kernel, asserting
 * what a user sees: the right $pid/$tid on every hit, events only from the chosen process, `if`
 * branches, --max-events, the three output modes and the ready marker. Root-only (skipped
 * visibly otherwise; failing instead when CI=true).
 */
import assert from "node:assert/strict";
import {
  e2eTest,
  fixture,
  runGhostscope,
  spawnTarget,
  startGhostscope,
  unshareSpawn,
  waitForExit,
} from "./harness.ts";
import { summaryOf } from "./summary.ts";

/** Non-empty stdout lines. */
function linesOf(stdout: string): string[] {
  return stdout.split("\n").filter((l) => l.length > 0);
}

/** Thread ids of a process, from /proc/PID/task. */
function taskIds(pid: number): Set<number> {
  const ids = new Set<number>();
  for (const entry of Deno.readDirSync(`/proc/${pid}/task`)) ids.add(Number(entry.name));
  return ids;
}

const PID_TID_SCRIPT = 'trace add { print "a={} pid={} tid={}", 1, $pid, $tid; }';

/** The documented keys of one --output json line. */
const JSON_KEYS = [
  "host_pid",
  "host_tid",
  "message",
  "pid",
  "tid",
  "timestamp_ns",
  "trace_id",
  "values",
];

e2eTest("trace e2e: $pid and $tid are the target's on every hit", async () => {
  const target = await spawnTarget("target", ["20"]);
  const res = await runGhostscope([
    "-p",
    String(target.pid),
    "-s",
    PID_TID_SCRIPT,
    "--output",
    "plain",
    "--max-events",
    "5",
  ]);
  assert.equal(res.code, 0, res.stderr);
  const lines = linesOf(res.stdout);
  assert.equal(lines.length, 5, res.stdout);
  for (const line of lines) {
    assert.equal(line, `a=1 pid=${target.pid} tid=${target.pid}`);
  }
});

e2eTest(
  "trace e2e: threads: every tid is a thread of the target, at least 2 distinct",
  async () => {
    const target = await spawnTarget("threads", ["20"]);
    // Each of the 4 callers (main + 3 threads) prints its tid once it runs.
    for (let k = 0; k <= 3; k++) await target.stdout.waitFor(`thread=${k} tid=`);
    const tasks = taskIds(target.pid);
    assert.equal(tasks.size, 4, `threads fixture should have 4 tasks: ${[...tasks]}`);
    const res = await runGhostscope([
      "-p",
      String(target.pid),
      "-s",
      'trace add { print "pid={} tid={}", $pid, $tid; }',
      "--output",
      "json",
      "--max-events",
      "16",
    ]);
    assert.equal(res.code, 0, res.stderr);
    const events = linesOf(res.stdout).map((l) => JSON.parse(l));
    assert.equal(events.length, 16, res.stdout);
    const seen = new Set<number>();
    for (const e of events) {
      assert.equal(e.pid, target.pid, JSON.stringify(e));
      assert.ok(tasks.has(e.tid), `tid ${e.tid} is not a thread of ${target.pid} (${[...tasks]})`);
      assert.equal(e.message, `pid=${target.pid} tid=${e.tid}`);
      seen.add(e.tid);
    }
    assert.ok(seen.size >= 2, `expected hits from at least 2 threads, saw ${[...seen]}`);
  },
);

e2eTest("trace e2e: a second copy of the same binary produces no events", async () => {
  const chosen = await spawnTarget("target", ["20"]);
  const other = await spawnTarget("target", ["20"]);
  const otherCallsBefore = other.stdoutLines.filter((l) => l.startsWith("add(")).length;
  const res = await runGhostscope([
    "-p",
    String(chosen.pid),
    "-s",
    'trace add { print "pid={}", $pid; }',
    "--output",
    "json",
    "--duration",
    "1",
  ]);
  assert.equal(res.code, 0, res.stderr);
  const events = linesOf(res.stdout).map((l) => JSON.parse(l));
  assert.ok(events.length >= 3, `expected events from the chosen pid:\n${res.stdout}`);
  for (const e of events) {
    assert.equal(e.pid, chosen.pid, `event from another process: ${JSON.stringify(e)}`);
    assert.equal(e.host_pid, chosen.pid);
    assert.equal(e.message, `pid=${chosen.pid}`);
  }
  // The other copy really was calling add meanwhile.
  const otherCallsAfter = other.stdoutLines.filter((l) => l.startsWith("add(")).length;
  assert.ok(otherCallsAfter > otherCallsBefore, "the second copy did not run during the trace");
  assert.equal(summaryOf(res.stderr).events, events.length);
});

e2eTest("trace e2e: a false if prints nothing and the run still ends cleanly", async () => {
  const target = await spawnTarget("target", ["20"]);
  const res = await runGhostscope([
    "-p",
    String(target.pid),
    "-s",
    'trace add { if $pid == 0 { print "x"; } }',
    "--duration",
    "1",
  ]);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(res.stdout, "");
  const summary = summaryOf(res.stderr);
  assert.equal(summary.events, 0);
  assert.equal(summary.reason, "duration elapsed");
});

e2eTest("trace e2e: if / else if / else pick the branch arithmetic selects", async () => {
  const target = await spawnTarget("target", ["20"]);
  const cases: Array<[string, string]> = [
    [
      'trace add { let x = 7 * 6; if x % 5 == 2 { print "yes {}", x; } else { print "no"; } }',
      "yes 42",
    ],
    [
      'trace add { let x = 7 * 6; if x % 5 == 1 { print "one"; } ' +
      'else if x / 6 == 7 { print "elif {}", x - 40; } else { print "else"; } }',
      "elif 2",
    ],
    [
      'trace add { let x = 7 * 6; if x % 5 == 1 { print "one"; } ' +
      'else if x / 6 == 8 { print "elif"; } else { print "else {}", -x; } }',
      "else -42",
    ],
  ];
  for (const [script, expected] of cases) {
    const res = await runGhostscope([
      "-p",
      String(target.pid),
      "-s",
      script,
      "--output",
      "plain",
      "--max-events",
      "2",
    ]);
    assert.equal(res.code, 0, `${script}\n${res.stderr}`);
    assert.deepEqual(linesOf(res.stdout), [expected, expected], script);
  }
});

e2eTest("trace e2e: --max-events 5 stops after exactly 5 events", async () => {
  const target = await spawnTarget("target", ["20"]);
  const res = await runGhostscope([
    "-p",
    String(target.pid),
    "-s",
    PID_TID_SCRIPT,
    "--max-events",
    "5",
  ]);
  assert.equal(res.code, 0, res.stderr);
  assert.equal(linesOf(res.stdout).length, 5, res.stdout);
  const summary = summaryOf(res.stderr);
  assert.equal(summary.events, 5);
  assert.equal(summary.lost, 0);
  assert.equal(summary.reason, "event limit reached");
});

e2eTest("trace e2e: --output json, plain and pretty", async () => {
  const target = await spawnTarget("target", ["20"]);
  const pid = target.pid;
  const payload = `a=1 pid=${pid} tid=${pid}`;
  const run = async (mode: string) => {
    const res = await runGhostscope([
      "-p",
      String(pid),
      "-s",
      PID_TID_SCRIPT,
      "--output",
      mode,
      "--max-events",
      "3",
    ]);
    assert.equal(res.code, 0, `${mode}: ${res.stderr}`);
    const lines = linesOf(res.stdout);
    assert.equal(lines.length, 3, `${mode}:\n${res.stdout}`);
    return lines;
  };

  const startedMs = Date.now();
  for (const line of await run("json")) {
    const e = JSON.parse(line);
    assert.deepEqual(Object.keys(e).sort(), JSON_KEYS, line);
    assert.equal(e.trace_id, 0);
    assert.equal(e.pid, pid);
    assert.equal(e.tid, pid);
    assert.equal(e.host_pid, pid);
    assert.equal(e.host_tid, pid);
    assert.equal(e.message, payload);
    assert.deepEqual(e.values, [1, pid, pid]);
    // Wall-clock nanoseconds (a string: u64 does not fit a JSON number): close to now.
    assert.match(e.timestamp_ns, /^\d+$/);
    const ms = Number(BigInt(e.timestamp_ns) / 1_000_000n);
    assert.ok(Math.abs(ms - startedMs) < 60_000, `timestamp ${e.timestamp_ns} is not now`);
  }

  assert.deepEqual(await run("plain"), [payload, payload, payload]);

  for (const line of await run("pretty")) {
    assert.match(line, /^\[\d\d:\d\d:\d\d\.\d{6}\] TraceID:0 PID:(\d+) TID:(\d+) /);
    assert.ok(line.includes(`TraceID:0 PID:${pid} TID:${pid} ${payload}`), line);
  }
});

e2eTest("trace e2e: --emit-ready-marker prints the marker before the first event", async () => {
  const target = await spawnTarget("target", ["20"]);
  const gs = await startGhostscope([
    "-p",
    String(target.pid),
    "-s",
    PID_TID_SCRIPT,
    "--output",
    "plain",
    "--emit-ready-marker",
    "READY",
    "--max-events",
    "3",
  ]);
  const res = await waitForExit(gs);
  assert.equal(res.code, 0, res.stderr);
  const lines = linesOf(res.stdout);
  assert.equal(lines[0], "READY", res.stdout);
  assert.equal(lines.filter((l) => l === "READY").length, 1, res.stdout);
  assert.deepEqual(lines.slice(1), Array(3).fill(`a=1 pid=${target.pid} tid=${target.pid}`));
  assert.equal(summaryOf(res.stderr).events, 3);
});

e2eTest("trace e2e: a binary rebuilt on disk while it runs is still traced", async () => {
  // `make` replaces a binary (unlink + create) while the old process keeps running the deleted
  // file. The probe must go into the file the process runs, not the new one at the same path.
  const dir = await Deno.makeTempDir({ prefix: "gs_rebuilt_" });
  try {
    const path = `${dir}/target`;
    await Deno.copyFile(fixture("target"), path);
    await Deno.chmod(path, 0o755);
    const proc = await unshareSpawn([path, "20"], { pidns: 0 });
    await proc.stdout.waitFor(/^pid=\d+$/);
    await Deno.remove(path);
    await Deno.copyFile(fixture("threads"), path); // another ELF that also has `add`
    const res = await runGhostscope([
      "-p",
      String(proc.pid),
      "-s",
      PID_TID_SCRIPT,
      "--output",
      "plain",
      "--max-events",
      "3",
      "--duration",
      "3",
    ]);
    assert.equal(res.code, 0, res.stderr);
    assert.deepEqual(linesOf(res.stdout), Array(3).fill(`a=1 pid=${proc.pid} tid=${proc.pid}`));
    assert.equal(summaryOf(res.stderr).reason, "event limit reached");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
