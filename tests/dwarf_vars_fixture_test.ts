/**
 * Test support for the DWARF variable tests (also a test file of its own): builds the
 * `tests/fixtures/dwarf_vars/vars.c` fixture with gcc into a temp dir (O0/O2 × DWARF 5/4), runs
 * gdb as the oracle, normalizes gdb's and ghostscope's renderings to one comparable form, and
 * resolves variables of a built fixture at an address without a process (for unit tests).
 */

import assert from "node:assert/strict";
import { moduleDwarf } from "../lib/debuginfo/mod.ts";
import { openElf } from "../lib/elf/mod.ts";
import { type CompiledScript, type CompileOptions, compileScript } from "../lib/script/compiler.ts";
import { DwarfVariableResolver } from "../lib/script/variables/resolver.ts";

/** The fixture source. */
export const VARS_SOURCE = new URL("./fixtures/dwarf_vars/vars.c", import.meta.url).pathname;

/** The four builds the tests compare. */
export const VARIANTS: { label: string; flags: string[] }[] = [
  { label: "O0 dwarf5", flags: ["-g", "-O0"] },
  { label: "O2 dwarf5", flags: ["-g", "-O2"] },
  { label: "O0 dwarf4", flags: ["-g", "-gdwarf-4", "-O0"] },
  { label: "O2 dwarf4", flags: ["-g", "-gdwarf-4", "-O2"] },
];

let tmp: string | undefined;
const built = new Map<string, string>();

/** Builds vars.c with `flags` (cached per flag set); returns the binary's path. */
export function buildVars(flags: string[]): string {
  const key = flags.join(" ");
  const hit = built.get(key);
  if (hit) return hit;
  if (tmp === undefined) {
    const dir = tmp = Deno.makeTempDirSync({ prefix: "ghostscope-vars-" });
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch {
        // already gone
      }
    });
  }
  const out = `${tmp}/vars${built.size}`;
  const r = new Deno.Command("gcc", {
    args: [...flags, "-Wall", "-o", out, VARS_SOURCE],
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  if (!r.success) throw new Error(`gcc ${key}: ${new TextDecoder().decode(r.stderr)}`);
  built.set(key, out);
  return out;
}

/** The 1-based line of vars.c holding `marker`. */
export function varsLine(marker: string): number {
  const lines = Deno.readTextFileSync(VARS_SOURCE).split("\n");
  const i = lines.findIndex((l) => l.includes(marker));
  if (i < 0) throw new Error(`vars.c: no line with ${marker}`);
  return i + 1;
}

function runGdb(args: string[]): string {
  // stderr merged into stdout so error messages stay next to the command that caused them
  const r = new Deno.Command("sh", {
    args: [
      "-c",
      'exec gdb "$@" 2>&1',
      "gdb",
      "-batch",
      "-nx",
      "-q",
      "-ex",
      "set width 0",
      "-ex",
      "set height 0",
      ...args,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { LC_ALL: "C" },
  }).outputSync();
  return new TextDecoder().decode(r.stdout);
}

/** The link-time address gdb's `break <location>` picks in `binary` (first location). */
export function gdbBreakAddress(binary: string, location: string): number {
  const out = runGdb(["-ex", `break ${location}`, "-ex", "info breakpoints", binary]);
  const m = /^1\s+breakpoint\s+keep\s+y\s+(0x[0-9a-f]+)/m.exec(out);
  if (!m) throw new Error(`gdb found no address for ${location}:\n${out}`);
  return Number(m[1]);
}

/**
 * Runs `binary args` under gdb, stops at the first hit of `break <location>` and prints each
 * expression: expression → gdb's value text (`<error: ...>` when gdb refuses).
 */
export function gdbValues(
  binary: string,
  location: string,
  exprs: readonly string[],
  args: string[] = ["0", "2"],
): Map<string, string> {
  const cmd = ["-ex", `break ${location}`, "-ex", `run ${args.join(" ")}`];
  exprs.forEach((e, i) => cmd.push("-ex", `echo <<${i}>>\\n`, "-ex", `print ${e}`));
  cmd.push("-ex", "echo <<end>>\\n", "-ex", "kill");
  const out = runGdb([...cmd, binary]);
  const values = new Map<string, string>();
  const parts = out.split(/^<<(\d+|end)>>$/m);
  for (let k = 1; k + 1 < parts.length; k += 2) {
    if (parts[k] === "end") break;
    const body = parts[k + 1].trim();
    const m = /^\$\d+ = ([\s\S]*)$/.exec(body);
    values.set(exprs[Number(parts[k])], m ? m[1].trim() : `<error: ${body.split("\n")[0]}>`);
  }
  if (values.size !== exprs.length) throw new Error(`gdb output not understood:\n${out}`);
  return values;
}

const ADDR = "0xADDR";

/** gdb's value text in the form shared with ours (see {@link normalizeOurs}). */
export function normalizeGdb(v: string): string {
  let s = v;
  // `(int *) 0x5555... <g_table+4>` → the address
  s = s.replace(/^\([^()]*\) (0x)/, "$1").replace(/(0x[0-9a-f]+) <[^<>]*>$/, "$1");
  // a top-level char *: `0x5555... "text"` → `"text"` (ours shows the string)
  s = s.replace(/^0x[0-9a-f]+ ("(?:[^"\\]|\\.)*")$/, "$1");
  // inside aggregates a char * shows as its address only
  s = s.replace(/0x[0-9a-f]+ "(?:[^"\\]|\\.)*"/g, "0x1");
  // char arrays: trailing NULs
  s = s.replace(/, '\\000' <repeats \d+ times>/g, "").replace(/(\\000)+"/g, '"');
  return s.replace(/0x[0-9a-f]*[1-9a-f][0-9a-f]*/g, ADDR);
}

/** Our rendering in gdb's syntax: `Type { a: 1, b: [1, 2] }` → `{a = 1, b = {1, 2}}`. */
export function normalizeOurs(v: string): string {
  if (v.startsWith("<read error at ")) return v; // the failing address is exact
  let s = v;
  s = s.replace(/^[A-Za-z_][\w ]*? \{/, "{");
  s = s.replace(/\{ /g, "{").replace(/ \}/g, "}");
  s = s.replace(/([A-Za-z_]\w*): /g, "$1 = ");
  s = s.replace(/\[/g, "{").replace(/\]/g, "}");
  return s.replace(/0x[0-9a-f]*[1-9a-f][0-9a-f]*/g, ADDR);
}

/**
 * Compiles `script` against `binary` as if probing at link address `pc` (no process, no
 * kernel): resolution and code generation only.
 */
export function compileAt(
  binary: string,
  pc: number | number[],
  script: string,
  opts: Partial<CompileOptions> = {},
): CompiledScript {
  const module = { path: binary, hostPath: binary, main: true, elf: () => openElf(binary) };
  const pcs = Array.isArray(pc) ? pc : [pc];
  const resolver = new DwarfVariableResolver({
    locate: () =>
      pcs.map((p) => ({ module: { path: binary, dwarf: () => moduleDwarf(module) }, pc: p })),
  });
  return compileScript(script, {
    filter: { kind: "none" },
    pidView: { kind: "host" },
    resolveVariable: resolver,
    ...opts,
  });
}

Deno.test("vars fixture: builds in every variant and gdb stops at the probe line", () => {
  const bin = buildVars(VARIANTS[0].flags);
  const line = varsLine("PROBE: deepest");
  assert.ok(gdbBreakAddress(bin, `vars.c:${line}`) > 0);
  const v = gdbValues(bin, `vars.c:${line}`, ["req->len", "g_table", "nosuch"]);
  assert.equal(v.get("req->len"), "1");
  assert.equal(v.get("g_table"), "{10, 20, 30, 40, 50}");
  assert.match(v.get("nosuch") ?? "", /^<error: No symbol "nosuch"/);
  assert.equal(normalizeGdb("\"req-1\", '\\000' <repeats 18 times>"), '"req-1"');
  assert.equal(normalizeGdb('0x555555556021 "ghostscope-vars"'), '"ghostscope-vars"');
  assert.equal(
    normalizeOurs("struct inner { a: -1, b: 201 '\\311' }"),
    "{a = -1, b = 201 '\\311'}",
  );
});
