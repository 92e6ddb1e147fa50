/**
 * End-to-end checks of what a user sees when a trace cannot start: ONE line on stderr starting
 * with `ghostscope: ` (script errors may add the source line and a caret), never a stack trace,
 * exit 2 for usage/input errors and 1 for runtime failures. Also: a program the verifier rejects
 * is reported with its trace name and the verifier's words. Root-only unless marked otherwise
 * (skipped visibly; failing instead when CI=true).
 */
import assert from "node:assert/strict";
import { Assembler, Reg, Size } from "../../bpf/asm.ts";
import { RuntimeFailure } from "../../lib/errors.ts";
import { loadTraceProgram } from "../../lib/session/kernel_session.ts";
import { Resources } from "../../lib/session/resources.ts";
import {
  e2eTest,
  ghostscopeArgv,
  IN_CI,
  isAlive,
  REPO_ROOT,
  runGhostscope,
  type RunResult,
  spawnTarget,
  unshareRun,
  unshareSpawn,
} from "./harness.ts";

const SCRIPT = 'trace add { print "pid={}", $pid; }';
const NOBODY = 65534;

/**
 * Asserts the failure shape: exit `code`, nothing on stdout, no stack trace, and stderr made of
 * one `ghostscope: ...` line matching `first` (plus, with `extraLines`, up to that many more:
 * the source line and caret of a script error).
 */
function assertFails(res: RunResult, code: number, first: RegExp, extraLines = 0): void {
  const lines = res.stderr.split("\n").filter((l) => l.length > 0);
  const context = `exit ${res.code}, stderr:\n${res.stderr}`;
  assert.equal(res.timedOut, false, context);
  assert.equal(res.code, code, context);
  assert.equal(res.stdout, "", `stdout should be empty: ${res.stdout}`);
  assert.ok(lines.length >= 1 && lines.length <= 1 + extraLines, `line count: ${context}`);
  assert.ok(lines[0].startsWith("ghostscope: "), context);
  assert.match(lines[0], first);
  assert.ok(!lines.some((l) => /^\s+at /.test(l)), `stack trace on stderr: ${context}`);
  assert.ok(!lines.some((l) => /internal error/.test(l)), context);
}

/** `ghostscope -p PID -s SCRIPT` against a fresh `target`. */
async function traceTarget(script: string, extra: string[] = []): Promise<RunResult> {
  const target = await spawnTarget("target", ["20"]);
  return await runGhostscope(["-p", String(target.pid), "-s", script, ...extra]);
}

// ---------------------------------------------------------------------------------------------
// PID arguments (no privileges needed to be refused)
// ---------------------------------------------------------------------------------------------

e2eTest("trace errors: malformed, negative and zero PIDs", async () => {
  const cases: Array<[string[], RegExp]> = [
    [["-p", "abc"], /^ghostscope: -p expects a positive process id, got 'abc'$/],
    [["-p", "12abc"], /got '12abc'/],
    [["--pid=-5"], /^ghostscope: -p expects a positive process id, got '-5'$/],
    // parseArgs cannot tell "-p -5" from a missing value; it still says what is wrong.
    [["-p", "-5"], /^ghostscope: option '-p' needs a value/],
    [["-p", "0"], /^ghostscope: -p expects a positive process id, got '0'$/],
  ];
  for (const [args, first] of cases) {
    assertFails(await runGhostscope([...args, "-s", SCRIPT]), 2, first);
  }
}, { root: false });

e2eTest("trace errors: a PID that does not exist", async () => {
  const pid = 4194000;
  assert.ok(!isAlive(pid), `pid ${pid} unexpectedly exists`);
  const res = await runGhostscope(["-p", String(pid), "-s", SCRIPT]);
  assertFails(res, 2, /^ghostscope: no process with PID 4194000 .*not running/);
}, { root: false });

// ---------------------------------------------------------------------------------------------
// Script and target errors
// ---------------------------------------------------------------------------------------------

e2eTest("trace errors: a function the binary lacks suggests close names", async () => {
  const res = await traceTarget('trace ad { print "x"; }');
  assertFails(res, 2, /^ghostscope: function 'ad' not found in \S+target.*did you mean add\b/);
});

e2eTest("trace errors: script syntax error names line:column", async () => {
  const res = await traceTarget('trace add {\n  print "x"\n}');
  assertFails(res, 2, /^ghostscope: script:2:12: expected ';' after print/, 2);
});

e2eTest("trace errors: unknown builtin suggests $pid", async () => {
  const res = await traceTarget('trace add { print "{}", $pidd; }');
  assertFails(res, 2, /^ghostscope: script:1:\d+: unknown builtin '\$pidd'.*'\$pid'/, 2);
});

e2eTest("trace errors: placeholder count differs from the arguments", async () => {
  assertFails(
    await traceTarget('trace add { print "{} {}", 1; }'),
    2,
    /^ghostscope: script:1:\d+: format string has 2 placeholders but 1 argument/,
    2,
  );
  assertFails(
    await traceTarget('trace add { print "{}", 1, 2; }'),
    2,
    /^ghostscope: script:1:\d+: format string has 1 placeholder but 2 arguments/,
    2,
  );
});

e2eTest("trace errors: --script-file that does not exist", async () => {
  const target = await spawnTarget("target", ["20"]);
  const res = await runGhostscope([
    "-p",
    String(target.pid),
    "--script-file",
    "/nonexistent/trace.gs",
  ]);
  assertFails(
    res,
    2,
    /^ghostscope: cannot read script file \/nonexistent\/trace\.gs: no such file$/,
  );
});

e2eTest("trace errors: an address outside executable code", async () => {
  // 0x10 is inside the ELF header (first PT_LOAD, read-only): a uprobe there never fires.
  const res = await traceTarget('trace 0x10 { print "x"; }', ["--duration", "1"]);
  assertFails(res, 2, /^ghostscope: address 0x10 of \S+target is not in executable code/);
});

/**
 * A process (deno, through FFI) that maps `execFile` PROT_READ|PROT_EXEC and `dataFile`
 * PROT_READ, like a runtime mapping an executable data blob and a program mapping a locale file.
 */
async function spawnMapper(dir: string, execFile: string, dataFile: string) {
  const script = `${dir}/mapper.ts`;
  await Deno.writeTextFile(
    script,
    `const libc = Deno.dlopen("libc.so.6", {
  open: { parameters: ["buffer", "i32"], result: "i32" },
  mmap: { parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"], result: "pointer" },
});
const PROT_READ = 1, PROT_EXEC = 4, MAP_PRIVATE = 2;
function map(path: string, prot: number) {
  const fd = libc.symbols.open(new TextEncoder().encode(path + "\\0"), 0);
  if (fd < 0 || libc.symbols.mmap(null, 4096n, prot, MAP_PRIVATE, fd, 0n) === null) {
    throw new Error("cannot map " + path);
  }
}
map(Deno.args[0], PROT_READ | PROT_EXEC);
map(Deno.args[1], PROT_READ);
console.log("pid=" + Deno.pid);
setInterval(() => {}, 1000);
`,
  );
  const proc = await unshareSpawn(
    [Deno.execPath(), "run", "-A", "--no-config", script, execFile, dataFile],
    { pidns: 0 },
  );
  await proc.stdout.waitFor(/^pid=\d+$/);
  return proc;
}

e2eTest("trace errors: non-ELF files mapped by the target", async () => {
  // The PID's executable is always ELF; what is not ELF is what a process maps besides. Naming
  // such a mapping as the module is an input error; a function search must skip it (before the
  // fix, any mapped locale file made every `trace FUNCTION` fail with "not an ELF file").
  const dir = await Deno.makeTempDir({ prefix: "gs_nonelf_" });
  try {
    const text = "this is not an ELF file\n".repeat(200);
    await Deno.writeTextFile(`${dir}/blob.bin`, text);
    await Deno.writeTextFile(`${dir}/data.txt`, text);
    const mapper = await spawnMapper(dir, `${dir}/blob.bin`, `${dir}/data.txt`);
    const maps = await Deno.readTextFile(`/proc/${mapper.pid}/maps`);
    assert.match(maps, /r-xp .*blob\.bin/);
    assert.match(maps, /r--p .*data\.txt/);
    const pid = String(mapper.pid);

    const named = await runGhostscope(["-p", pid, "-s", 'trace blob.bin:0x10 { print "x"; }']);
    assertFails(named, 2, /^ghostscope: \S*blob\.bin is not an ELF file/);

    const missing = await runGhostscope(["-p", pid, "-s", 'trace gs_no_such_fn { print "x"; }']);
    assertFails(missing, 2, /^ghostscope: function 'gs_no_such_fn' not found in /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

// ---------------------------------------------------------------------------------------------
// Runtime failures
// ---------------------------------------------------------------------------------------------

/** Where deno keeps its caches (the npm packages ghostscope imports). */
async function denoDir(): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout)).denoDir;
}

e2eTest("trace errors: without root, one line asking for CAP_SYS_ADMIN (exit 1)", async () => {
  const target = await spawnTarget("target", ["20"]);
  // nobody needs a writable DENO_DIR holding the npm packages (no network needed).
  const home = await Deno.makeTempDir({ prefix: "gs_nobody_" });
  try {
    const cached = `${await denoDir()}/npm`;
    const cp = await new Deno.Command("cp", { args: ["-r", cached, `${home}/npm`] }).output();
    assert.ok(cp.success, `cannot copy ${cached}`);
    const chown = await new Deno.Command("chown", { args: ["-R", `${NOBODY}:${NOBODY}`, home] })
      .output();
    assert.ok(chown.success);
    const asNobody = (cmd: string[]) =>
      unshareRun(
        [
          "setpriv",
          `--reuid=${NOBODY}`,
          `--regid=${NOBODY}`,
          "--clear-groups",
          "env",
          `DENO_DIR=${home}`,
          `HOME=${home}`,
          ...cmd,
        ],
        { pidns: 0 },
        { timeoutMs: 20_000 },
      );
    // Precondition: nobody can run deno and read the repository.
    const probe = await asNobody(["/bin/sh", "-c", `"$0" --version && test -r main.ts`, ...[
      Deno.execPath(),
    ]]);
    if (probe.code !== 0) {
      const why = `nobody cannot run ${Deno.execPath()} or read ${REPO_ROOT}: ${probe.stderr}`;
      if (IN_CI) throw new Error(why);
      console.error(`SKIP without-root check: ${why}`);
      return;
    }
    const res = await asNobody(ghostscopeArgv(["-p", String(target.pid), "-s", SCRIPT]));
    assertFails(res, 1, /^ghostscope: root privileges \(CAP_SYS_ADMIN, which/);
    // Input errors still win over the missing privileges.
    const bad = await asNobody(ghostscopeArgv(["-p", "abc", "-s", SCRIPT]));
    assertFails(bad, 2, /-p expects a positive process id/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

e2eTest("trace errors: a rejected program names its trace and quotes the verifier", () => {
  // r0 = *(u64 *)(ctx + 4000): far beyond struct pt_regs.
  const insns = new Assembler()
    .ldx(Size.DW, Reg.R0, Reg.R1, 4000)
    .mov64(Reg.R0, 0)
    .exit()
    .assemble();
  const resources = new Resources();
  try {
    assert.throws(
      () => loadTraceProgram(resources, "gs_t_bad", "trace add", insns),
      (err: unknown) => {
        assert.ok(err instanceof RuntimeFailure, `expected RuntimeFailure, got ${err}`);
        assert.match(err.message, /the kernel verifier rejected the program for trace add/);
        assert.match(err.message, /invalid bpf_context access/);
        return true;
      },
    );
    assert.equal(resources.size, 0, "nothing is held for a rejected program");
  } finally {
    resources.releaseAll();
  }
});
