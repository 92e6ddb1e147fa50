/**
 * `bt` end to end, with gdb as the oracle: the backtrace fixture (tests/fixtures/backtrace, -O0
 * and -O2: an always-inlined caller, a recursion, a call through libbtlib.so and back, libc's
 * write, a dlopen'ed libbtplug.so) is stopped by gdb at the same function ghostscope probes; the
 * function names must be the same, in the same order, inline frames included (gdb stops at
 * main; frames in libc are compared as "<libc>": its internal names differ between its symbols
 * and its debug info). Also: `bt noinline` drops exactly the inline frames, depth 1 truncates,
 * `-t` on a library with two processes gives each event its own process's frames, a library
 * dlopen'ed after attach is symbolized, JSON carries frames as objects. Root-only.
 */
import assert from "node:assert/strict";
import { e2eTest, runGhostscope, spawnTarget, startGhostscope, waitForLine } from "./harness.ts";
import { BT_BUILD, btNames, gdbNames, gdbStop } from "../backtrace_oracle.ts";

const FIXTURE_FUNCTIONS =
  /^\*?(bt_leaf|add3|on_callback|lib_apply|recurse|run_round|plug_run|main)$/;

/** Names with every non-fixture frame (libc's) as `<libc>`. */
function fixtureNames(names: string[]): string[] {
  return names.map((n) => FIXTURE_FUNCTIONS.test(n) ? n : "<libc>");
}

/** The `backtrace:` blocks of plain output, each as its lines. */
function blocks(stdout: string): string[][] {
  const out: string[][] = [];
  for (const line of stdout.split("\n")) {
    if (line.startsWith("backtrace:")) out.push([line]);
    else if (line.startsWith("  ") && out.length > 0) out[out.length - 1].push(line);
  }
  return out;
}

async function gsBacktraces(args: string[], events: number): Promise<string[][]> {
  const res = await runGhostscope([
    ...args,
    "--output",
    "plain",
    "--max-events",
    String(events),
  ]);
  assert.equal(res.code, 0, res.stderr);
  const found = blocks(res.stdout);
  assert.equal(found.length, events, res.stdout);
  return found;
}

for (const opt of ["O0", "O2"]) {
  const bin = `backtrace/bt_${opt}`;

  e2eTest(
    `bt (-${opt}): bt_leaf matches gdb's bt; bt noinline drops exactly the inline frames`,
    async () => {
      const gdb = await gdbStop(`${BT_BUILD}/bt_${opt}`, ["1"], ["break bt_leaf", "run"]);
      const target = await spawnTarget(bin, ["0"]);
      const [inline, noinline] = await gsBacktraces(
        ["-p", String(target.pid), "-s", "trace bt_leaf { bt; bt noinline; }"],
        2,
      );
      assert.match(inline[0], /^backtrace: complete, \d+ frames \(max 128\)$/);
      assert.deepEqual(fixtureNames(btNames(inline)), fixtureNames(gdbNames(gdb.frames)));
      assert.ok(btNames(inline).includes("*add3"), inline.join("\n"));
      assert.deepEqual(
        fixtureNames(btNames(noinline)),
        fixtureNames(gdbNames(gdb.frames.filter((f) => !f.inline))),
      );
    },
  );

  e2eTest(`bt (-${opt}): libc's write called from the fixture matches gdb's bt`, async () => {
    const gdb = await gdbStop(`${BT_BUILD}/bt_${opt}`, ["1"], [
      "break bt_leaf",
      "run",
      "break write",
      "continue",
    ]);
    const target = await spawnTarget(bin, ["0"]);
    const [bt] = await gsBacktraces(["-p", String(target.pid), "-s", "trace write { bt; }"], 1);
    assert.deepEqual(fixtureNames(btNames(bt)), fixtureNames(gdbNames(gdb.frames)), bt.join("\n"));
    assert.match(bt[1], /\[libc\.so\.6\+0x[0-9a-f]+\]$/);
  });
}

e2eTest("bt: --backtrace-depth 1 prints one frame and says truncated", async () => {
  const target = await spawnTarget("backtrace/bt_O2", ["0"]);
  const [bt] = await gsBacktraces([
    "-p",
    String(target.pid),
    "--backtrace-depth",
    "1",
    "-s",
    "trace bt_leaf { bt; }",
  ], 1);
  assert.deepEqual(bt.length, 2, bt.join("\n"));
  assert.equal(bt[0], "backtrace: truncated, 1 frame (max 1)");
  assert.match(bt[1], /^ {2}#0 bt_leaf at bt\.c:\d+(:\d+)? \[bt_O2\+0x[0-9a-f]+\]$/);
});

e2eTest("bt: -t PATH -p PID matches gdb's bt", async () => {
  const gdb = await gdbStop(`${BT_BUILD}/bt_O2`, ["1"], ["break bt_leaf", "run"]);
  const target = await spawnTarget("backtrace/bt_O2", ["0"]);
  const [bt] = await gsBacktraces([
    "-t",
    `${BT_BUILD}/bt_O2`,
    "-p",
    String(target.pid),
    "-s",
    "trace bt_leaf { bt; }",
  ], 1);
  assert.deepEqual(fixtureNames(btNames(bt)), fixtureNames(gdbNames(gdb.frames)));
});

e2eTest("bt: -t on a library with two processes: each event's backtrace is its own", async () => {
  const o0 = await spawnTarget("backtrace/bt_O0", ["0"]);
  const o2 = await spawnTarget("backtrace/bt_O2", ["0"]);
  const res = await runGhostscope([
    "-t",
    `${BT_BUILD}/libbtlib.so`,
    "-s",
    "trace lib_apply { bt; }",
    "--output",
    "json",
    "--max-events",
    "12",
  ]);
  assert.equal(res.code, 0, res.stderr);
  const exeOf = new Map([[o0.pid, "bt_O0"], [o2.pid, "bt_O2"]]);
  const seen = new Set<number>();
  for (const line of res.stdout.split("\n").filter((l) => l.startsWith("{"))) {
    const ev = JSON.parse(line);
    const exe = exeOf.get(ev.pid);
    if (exe === undefined) continue; // another process using the library
    seen.add(ev.pid);
    const frames = ev.backtrace.frames as Array<Record<string, unknown>>;
    assert.equal(ev.backtrace.status, "complete", line);
    assert.equal(frames[0].function, "lib_apply");
    assert.match(String(frames[0].module), /libbtlib\.so$/);
    assert.equal(typeof frames[0].line, "number");
    const main = frames.find((f) => f.function === "main");
    assert.ok(main !== undefined, line);
    // main is in this event's own executable, not the other process's
    assert.match(String(main.module), new RegExp(`/${exe}$`), line);
    assert.ok(frames.every((f) => !String(f.module).endsWith(exe === "bt_O0" ? "bt_O2" : "bt_O0")));
  }
  assert.deepEqual([...seen].sort(), [o0.pid, o2.pid].sort(), res.stdout);
});

for (const mode of ["-p", "-t"]) {
  e2eTest(`bt (${mode}): a library dlopen'ed after attach is symbolized once mapped`, async () => {
    const target = await spawnTarget("backtrace/bt_O2", ["0", `${BT_BUILD}/libbtplug.so`], {
      wait: true,
      env: { BT_DLOPEN_AFTER: "5" },
    });
    const gs = await startGhostscope([
      ...(mode === "-p" ? ["-p", String(target.pid)] : ["-t", `${BT_BUILD}/bt_O2`]),
      "-s",
      "trace bt_leaf { bt; }",
      "--output",
      "plain",
      "--emit-ready-marker",
      "READY",
    ]);
    await waitForLine(gs, "READY", 20_000, "stdout");
    target.go();
    await target.stdout.waitFor("plugin loaded", 10_000);
    const line = await waitForLine(gs, /plug_run/, 10_000, "stdout");
    assert.match(line, /^ {2}#1 plug_run at btplug\.c:\d+(:\d+)? \[libbtplug\.so\+0x[0-9a-f]+\]$/);
    const bt = blocks(gs.stdout.text()).find((b) => b.some((l) => l.includes("plug_run")))!;
    assert.deepEqual(btNames(bt), ["bt_leaf", "plug_run", "run_round", "main"]);
    await gs.kill(2000);
  });
}
