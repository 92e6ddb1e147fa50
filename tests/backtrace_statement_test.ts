/**
 * The `bt` statement from the script to the program: its options parse (and clash), it becomes a
 * print-table entry carrying them, and the program copies the registers and a stack copy sized
 * by --backtrace-depth into one ValueType.Stack record, remembering each thread's stack top.
 */
import assert from "node:assert/strict";
import { parseScript } from "../lib/script/parser.ts";
import { compileScript } from "../lib/script/compiler.ts";
import { ScriptError } from "../lib/script/diagnostics.ts";
import { parseCli } from "../lib/cli/args.ts";
import { UsageError } from "../lib/errors.ts";
import { loadSettings } from "../lib/config/load.ts";
import { disassemble } from "../bpf/disasm.ts";
import { EVENTS_MAP, LOST_MAP, SCRATCH_MAP } from "../bpf/maps.ts";
import { CAPTURE_REGS_SIZE, CHUNK, STACK_TOPS_MAP, stackCopyBytes } from "../bpf/stack_capture.ts";
import { ValueType } from "../bpf/wire.ts";

function parseError(src: string): string {
  try {
    parseScript(src);
  } catch (e) {
    assert.ok(e instanceof ScriptError, String(e));
    return e.message;
  }
  assert.fail(`no error for ${src}`);
}

Deno.test("bt options: any order, backtrace alias, defaults to inline", () => {
  const body = parseScript(
    "trace f { bt; backtrace raw noinline; bt full; bt inline full raw; }",
  ).traces[0].body.stmts;
  assert.deepEqual(body.map((s) => s.kind === "backtrace" ? s.mode : s.kind), [
    { inline: true, full: false, raw: false },
    { inline: false, full: false, raw: true },
    { inline: true, full: true, raw: false },
    { inline: true, full: true, raw: true },
  ]);
});

Deno.test("bt: unknown option, inline with noinline, a missing ';'", () => {
  assert.match(
    parseError("trace f { bt fast; }"),
    /unknown bt option 'fast' \(raw, full, inline, noinline\)/,
  );
  assert.match(parseError("trace f { bt inline noinline; }"), /'noinline' contradicts 'inline'/);
  assert.match(parseError("trace f { backtrace }"), /expected ';' after backtrace/);
});

function compiled(src: string, depth?: number) {
  return compileScript(src, {
    filter: { kind: "none" },
    pidView: { kind: "host" },
    backtraceDepth: depth,
  });
}

Deno.test("bt is a print-table entry with its options and one Stack value", () => {
  const c = compiled('trace f { print "a"; bt raw; }');
  assert.equal(c.prints.length, 2);
  assert.deepEqual(c.prints[1].backtrace, { inline: true, full: false, raw: true });
  assert.deepEqual(c.prints[1].argTypes, [ValueType.Stack]);
});

Deno.test("the program reserves header + regs + the depth's stack copy and reads the stack", () => {
  const FDS = { [EVENTS_MAP]: 11, [LOST_MAP]: 12, [SCRATCH_MAP]: 13, [STACK_TOPS_MAP]: 14 };
  for (const depth of [1, 16, 128]) {
    const text = disassemble(compiled("trace f { bt; }", depth).traces[0].program.assemble(FDS))
      .join("\n");
    const record = 32 + 8 + CAPTURE_REGS_SIZE + stackCopyBytes(depth);
    assert.match(text, new RegExp(`r2 = ${record}\\b`), `reservation of ${record} bytes`);
    // bpf_probe_read_user (112): the remembered-top read plus one per halving step
    const reads = (text.match(/call 112/g) ?? []).length;
    assert.equal(reads, 1 + Math.log2(stackCopyBytes(depth) / CHUNK) + 1, text);
    // lookups: the lost counter (ring full) and the thread's stack top; one update of the top
    assert.equal((text.match(/call 1\b/g) ?? []).length, 2);
    assert.equal((text.match(/call 2\b/g) ?? []).length, 1);
  }
  assert.equal(stackCopyBytes(1), 1024);
  assert.equal(stackCopyBytes(16), 2048);
  assert.equal(stackCopyBytes(128), 16384);
});

Deno.test("--backtrace-depth: 1..128", () => {
  const ok = parseCli(["-p", "1", "-s", "trace f { bt; }", "--backtrace-depth", "7"]);
  assert.equal(ok.kind === "trace" && ok.trace.settings.backtraceDepth, 7);
  for (const bad of ["0", "129", "x"]) {
    assert.throws(
      () => parseCli(["-p", "1", "-s", "x", "--backtrace-depth", bad]),
      (e) => e instanceof UsageError && e.message.includes("--backtrace-depth"),
    );
  }
});

Deno.test("backtrace_depth: config key and environment, checked 1..128", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/ghostscope.yaml`, "backtrace_depth: 9\n");
    const fromFile = await loadSettings({ cli: {}, env: {}, cwd: dir, home: dir });
    assert.equal(fromFile.settings.backtraceDepth, 9);
    const none = await loadSettings({
      cli: {},
      env: {},
      cwd: "/nonexistent",
      home: "/nonexistent",
    });
    assert.equal(none.settings.backtraceDepth, 128);
    await assert.rejects(
      () =>
        loadSettings({
          cli: {},
          env: { GHOSTSCOPE_BACKTRACE_DEPTH: "200" },
          cwd: "/nonexistent",
          home: "/nonexistent",
        }),
      (e) =>
        e instanceof UsageError && /GHOSTSCOPE_BACKTRACE_DEPTH.*1\.\.128, got 200/.test(e.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
