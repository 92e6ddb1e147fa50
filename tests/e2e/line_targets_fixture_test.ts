/**
 * `trace file.c:LINE` for real, on the `lines` fixture built at -O0 and -O2: every statement
 * address of a line gets its own uprobe (a header line inlined twice fires twice per round),
 * the attached addresses are gdb's `break` locations, and the user-facing errors (line without
 * code, ambiguous file, no debug info, mismatched debug file) are one line with exit code 2.
 * Separate debug files are found by debuglink and taken from `--debug-file`, and
 * `--allow-debug-mismatch` overrides a build-id mismatch. Root only (skipped visibly otherwise,
 * failing with CI=true).
 */
import assert from "node:assert/strict";
import { e2eTest, runGhostscope, type RunResult, unshareSpawn } from "./harness.ts";
import { buildLines, gdbBreak, LINES_DIR, markerLine, place, run } from "../debuginfo_fixtures.ts";

const CLAMP = markerLine("lines.h", "clamp_count");
const HELPER_A = markerLine("a/helper.c", "helper_a");
const NO_CODE = markerLine("main.c", "no_code");

/** Starts a program (printing `pid=N` first) and returns its pid. */
async function start(binary: string, period = "20"): Promise<number> {
  const h = await unshareSpawn([binary, period], { pidns: 0 });
  await h.stdout.waitFor(/^pid=\d+$/, 10_000);
  return h.pid;
}

/** Runs ghostscope on `pid` for `seconds` with plain output. */
function trace(pid: number, script: string, extra: string[] = [], seconds = "1.5") {
  return runGhostscope([
    "-p",
    String(pid),
    "-s",
    script,
    "--output",
    "plain",
    "--duration",
    seconds,
    ...extra,
  ]);
}

/** `{ "lines.h:8": [0x13a0, 0x13d0], ... }` from the "attached at ..." status line. */
function attachedAddresses(stderr: string): Record<string, number[]> {
  const line = stderr.split("\n").find((l) => l.includes(" attached at ")) ?? "";
  const list = line.slice(line.indexOf(" attached at ") + 13, line.lastIndexOf("; Ctrl+C"));
  const out: Record<string, number[]> = {};
  for (const m of list.matchAll(/(\S+) \(([^)]*)\)/g)) {
    out[m[1]] = [...m[2].matchAll(/\+0x([0-9a-f]+)/g)].map((a) => parseInt(a[1], 16));
  }
  return out;
}

function count(res: RunResult, text: string): number {
  return res.stdout.split("\n").filter((l) => l === text).length;
}

/** A failed run: exit 2 and ONE `ghostscope: ` line on stderr matching `re`. */
function assertUsageError(res: RunResult, re: RegExp): void {
  const lines = res.stderr.split("\n").filter((l) => l.length > 0);
  assert.equal(res.code, 2, res.stderr);
  assert.equal(lines.length, 1, res.stderr);
  assert.match(lines[0], re);
}

for (const opt of ["O0", "O2"] as const) {
  e2eTest(
    `line targets ${opt}: every address of a line is probed, at gdb's locations`,
    async () => {
      const bin = buildLines(opt);
      const pid = await start(bin);
      const specs = { clamp: `lines.h:${CLAMP}`, helper: `a/helper.c:${HELPER_A}` };
      const res = await trace(
        pid,
        `trace other { print "other"; } trace ${specs.clamp} { print "clamp"; } ` +
          `trace ${specs.helper} { print "helper_a"; }`,
      );
      assert.equal(res.code, 0, res.stderr);
      const attached = attachedAddresses(res.stderr);
      for (const spec of ["other", specs.clamp, specs.helper]) {
        assert.deepEqual(attached[spec], gdbBreak(bin, spec).addresses, `${spec}: ${res.stderr}`);
      }
      if (opt === "O2") assert.equal(attached[specs.clamp].length, 2, "inlined twice at -O2");
      // clampi's line runs twice per round (from step and from other), helper_a's once.
      const other = count(res, "other");
      assert.ok(other >= 10, `too few rounds: ${other}\n${res.stderr}`);
      assert.ok(Math.abs(count(res, "clamp") - 2 * other) <= 3, res.stdout);
      assert.ok(Math.abs(count(res, "helper_a") - other) <= 2, res.stdout);
    },
  );
}

e2eTest("line targets: no code, ambiguous file, unknown file: one line, exit 2", async () => {
  const pid = await start(buildLines("O0"));
  assertUsageError(
    await trace(pid, `trace main.c:${NO_CODE} { print "x"; }`),
    new RegExp(
      `^ghostscope: trace main\\.c:${NO_CODE}: line ${NO_CODE} of ${LINES_DIR}/main\\.c has no ` +
        `code \\(nearest lines with code: ${NO_CODE - 2}, ${NO_CODE + 1}\\)$`,
    ),
  );
  assertUsageError(
    await trace(pid, `trace helper.c:${HELPER_A} { print "x"; }`),
    new RegExp(
      `^ghostscope: trace helper\\.c:${HELPER_A}: source file 'helper\\.c' is ambiguous in .*: ` +
        `it matches ${LINES_DIR}/a/helper\\.c, ${LINES_DIR}/b/helper\\.c \\(give more of the path\\)$`,
    ),
  );
  assertUsageError(
    await trace(pid, `trace mian.c:3 { print "x"; }`),
    /^ghostscope: trace mian\.c:3: no source file 'mian\.c' in the debug info of .* \(did you mean main\.c\?\)$/,
  );
});

/** A stripped copy of the -O0 build in a temp dir, plus its debug file (not placed). */
function strippedCopy(): { dir: string; bin: string; debug: string } {
  const dir = Deno.makeTempDirSync({ prefix: "gs-lines-split-" });
  const bin = place(buildLines("O0"), `${dir}/lines`);
  run("objcopy", ["--only-keep-debug", bin, `${dir}/lines.dbg`]);
  run("objcopy", ["--strip-debug", bin]);
  return { dir, bin, debug: `${dir}/lines.dbg` };
}

e2eTest(
  "line targets: a stripped binary: no debug info, then debuglink, then --debug-file",
  async () => {
    const { dir, bin, debug } = strippedCopy();
    const pid = await start(bin);
    const script = `trace a/helper.c:${HELPER_A} { print "helper_a"; }`;
    // Function targets still work from ELF symbols; a line target says what is missing.
    const fn = await trace(pid, `trace helper_a { print "fn"; }`, [], "0.5");
    assert.equal(fn.code, 0, fn.stderr);
    assertUsageError(
      await trace(pid, script),
      /^ghostscope: trace a\/helper\.c:\d+: no DWARF debug info for .*\/lines \(no \.debug_info, no \.gnu_debuglink, build-id [0-9a-f]{40} not under \.build-id\/\): install its -dbgsym\/-dbg package, rebuild it with -g, or give --debug-file PATH$/,
    );
    const viaFlag = await trace(pid, script, ["--debug-file", debug], "1");
    assert.equal(viaFlag.code, 0, viaFlag.stderr);
    assert.ok(count(viaFlag, "helper_a") >= 5, viaFlag.stdout);

    // The same binary with a .gnu_debuglink to a file in .debug/ next to it.
    const linked = `${dir}/linked`;
    place(debug, `${dir}/.debug/lines.dbg`);
    run("objcopy", [`--add-gnu-debuglink=${dir}/.debug/lines.dbg`, bin, linked]);
    const pid2 = await start(linked);
    const viaLink = await trace(pid2, script, [], "1");
    assert.equal(viaLink.code, 0, viaLink.stderr);
    assert.ok(count(viaLink, "helper_a") >= 5, viaLink.stdout);
  },
);

e2eTest("line targets: a debug file of another build is refused unless allowed", async () => {
  const { bin } = strippedCopy();
  const pid = await start(bin);
  // Same code, other build-id: the addresses happen to be right, the build-id check is not.
  const dir = Deno.makeTempDirSync({ prefix: "gs-lines-other-" });
  const otherId = "0123456789abcdef0123456789abcdef01234567";
  run("gcc", [
    "-g",
    "-O0",
    "-I..",
    `-Wl,--build-id=0x${otherId}`,
    "-o",
    `${dir}/lines`,
    "main.c",
    "a/helper.c",
    "b/helper.c",
  ], LINES_DIR);
  run("objcopy", ["--only-keep-debug", `${dir}/lines`, `${dir}/other.dbg`]);
  const script = `trace a/helper.c:${HELPER_A} { print "helper_a"; }`;
  const refused = await trace(pid, script, ["--debug-file", `${dir}/other.dbg`]);
  assertUsageError(
    refused,
    new RegExp(
      `^ghostscope: trace a/helper\\.c:\\d+: debug file .*other\\.dbg does not match .*/lines: ` +
        `build-id [0-9a-f]{40} expected, the file has ${otherId} \\(rebuilt since\\? use ` +
        "--allow-debug-mismatch to use it anyway\\)$",
    ),
  );
  const allowed = await trace(
    pid,
    script,
    ["--debug-file", `${dir}/other.dbg`, "--allow-debug-mismatch"],
    "1",
  );
  assert.equal(allowed.code, 0, allowed.stderr);
  assert.match(allowed.stderr, /using debug file .*other\.dbg for .*despite a build-id mismatch/);
  assert.ok(count(allowed, "helper_a") >= 5, allowed.stdout);
});
