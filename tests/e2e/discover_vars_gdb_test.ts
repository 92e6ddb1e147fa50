/**
 * `ghostscope vars` against gdb: at the vars.c fixture's deepest line and at `process`'s entry,
 * built at -O0 and -O2 (DWARF 5 and 4), the parameters and locals `vars` lists are exactly the
 * ones gdb's `info args` + `info locals` show at the same breakpoint, and every variable gdb
 * shows as `<optimized out>` is optimized out in `vars` too (with a reason). A variable `vars`
 * calls optimized out that gdb still shows must be one located by DW_OP_entry_value (gdb
 * recovers it from the caller's call-site parameters; a probe cannot). `-t` for every variant,
 * `-p` for one (the process's own mapping).
 */
import assert from "node:assert/strict";
import { buildVars, VARIANTS, varsLine } from "../dwarf_vars_fixture_test.ts";
import { e2eTest, LineStream, runGhostscope } from "./harness.ts";

interface GdbScope {
  /** Argument and local names (a shadowed name once). */
  names: Set<string>;
  optimizedOut: Set<string>;
}

/** gdb's `info args` and `info locals` at the first hit of `break location`. */
function gdbScope(binary: string, location: string): GdbScope {
  const r = new Deno.Command("gdb", {
    args: [
      "-batch",
      "-nx",
      "-q",
      "-ex",
      "set width 0",
      "-ex",
      `break ${location}`,
      "-ex",
      "run 0 2",
      "-ex",
      "echo <<scope>>\\n",
      "-ex",
      "info args",
      "-ex",
      "info locals",
      "-ex",
      "echo <<end>>\\n",
      "-ex",
      "kill",
      binary,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { LC_ALL: "C" },
  }).outputSync();
  const out = new TextDecoder().decode(r.stdout);
  const m = /<<scope>>\n([\s\S]*?)<<end>>/.exec(out);
  if (!m) throw new Error(`gdb output not understood:\n${out}`);
  const names = new Set<string>();
  const optimizedOut = new Set<string>();
  for (const line of m[1].split("\n")) {
    const v = /^([A-Za-z_]\w*) = (.*)$/.exec(line);
    if (!v) continue;
    // The innermost of two same-named variables comes first (and hides the other).
    if (names.has(v[1])) continue;
    names.add(v[1]);
    if (v[2] === "<optimized out>") optimizedOut.add(v[1]);
  }
  return { names, optimizedOut };
}

interface VarsJson {
  sites: {
    address: number;
    variables: { name: string; storage: string; readable: boolean; why?: string }[];
    globals: { name: string }[];
  }[];
}

async function vars(args: string[]): Promise<VarsJson> {
  const r = await runGhostscope(["vars", ...args, "--json"]);
  assert.equal(r.code, 0, `vars ${args.join(" ")} failed:\n${r.stderr}`);
  return JSON.parse(r.stdout);
}

function compare(label: string, ours: VarsJson, gdb: GdbScope, entryValueOk: boolean): void {
  assert.equal(ours.sites.length, 1, `${label}: one probe site`);
  const site = ours.sites[0];
  const names = new Set(site.variables.map((v) => v.name));
  assert.deepEqual([...names].sort(), [...gdb.names].sort(), `${label}: variables in scope`);
  for (const v of site.variables) {
    const oursOut = v.storage === "optimized-out";
    if (oursOut) assert.ok(v.why && v.why.length > 10, `${label}: ${v.name} says why`);
    if (gdb.optimizedOut.has(v.name)) {
      assert.ok(oursOut, `${label}: gdb shows ${v.name} optimized out, vars says ${v.storage}`);
    } else if (oursOut) {
      assert.ok(
        entryValueOk && /DW_OP_entry_value/.test(v.why ?? ""),
        `${label}: vars says ${v.name} is optimized out (${v.why}), gdb shows a value`,
      );
    }
  }
  // The unit's globals are offered.
  const globals = new Set(site.globals.map((g) => g.name));
  for (const g of ["g_counter", "g_total", "g_conn"]) assert.ok(globals.has(g), `${label}: ${g}`);
}

const line = `vars.c:${varsLine("PROBE: deepest")}`;

for (const variant of VARIANTS) {
  e2eTest(`vars agrees with gdb on the variables in scope (${variant.label})`, async () => {
    const bin = buildVars(variant.flags);
    for (const location of [line, "process"]) {
      const ours = await vars([location, "-t", bin]);
      compare(`${variant.label} ${location}`, ours, gdbScope(bin, location), true);
    }
  }, { root: false });
}

e2eTest("vars -p lists the same variables as -t (O2, a running process)", async () => {
  const bin = buildVars(VARIANTS[1].flags);
  const child = new Deno.Command(bin, {
    args: ["0", "2"],
    env: { GS_FIXTURE_WAIT: "1" },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const out = new LineStream(child.stdout);
  let byPid: VarsJson;
  try {
    const pid = Number((await out.waitFor(/^pid=\d+$/, 10_000)).slice(4));
    byPid = await vars([line, "-p", String(pid)]);
  } finally {
    child.kill("SIGKILL");
    await child.status;
    await out.done;
  }
  const byPath = await vars([line, "-t", bin]);
  assert.deepEqual(byPid.sites.map((s) => s.variables), byPath.sites.map((s) => s.variables));
  compare(`O2 -p ${line}`, byPid, gdbScope(bin, line), true);
});

/** gdb's `break vars.c:LINE`: the line it really stops at and its first address. */
function gdbBreak(binary: string, lineNo: number): { line: number; address: number } {
  const r = new Deno.Command("gdb", {
    args: [
      "-batch",
      "-nx",
      "-q",
      "-ex",
      `break vars.c:${lineNo}`,
      "-ex",
      "info breakpoints",
      binary,
    ],
    stdout: "piped",
    stderr: "piped",
    env: { LC_ALL: "C" },
  }).outputSync();
  const out = new TextDecoder().decode(r.stdout);
  const m = /^1\s+breakpoint\s+keep\s+y\s+(0x[0-9a-f]+) in \S+ at \S+:(\d+)/m.exec(out);
  if (!m) throw new Error(`gdb: no breakpoint for vars.c:${lineNo}:\n${out}`);
  return { address: Number(m[1]), line: Number(m[2]) };
}

for (const variant of [VARIANTS[0], VARIANTS[1]]) {
  e2eTest(
    `lines lists the lines gdb can break on, at gdb's addresses (${variant.label})`,
    async () => {
      const bin = buildVars(variant.flags);
      const r = await runGhostscope(["lines", "vars.c", "-t", bin, "--json"]);
      assert.equal(r.code, 0, r.stderr);
      const report: { lines: { line: number; addresses: number[] }[] } = JSON.parse(r.stdout);
      const listed = new Map(report.lines.map((l) => [l.line, l.addresses]));
      const first = varsLine("int process(");
      const last = first + 16;
      for (let n = first; n <= last; n++) {
        const gdb = gdbBreak(bin, n);
        if (listed.has(n)) {
          // (gdb names the line after the prologue for the function's opening line)
          assert.equal(listed.get(n)![0], gdb.address, `${variant.label}: address of line ${n}`);
        } else {
          assert.notEqual(gdb.line, n, `${variant.label}: gdb breaks on line ${n}, we omit it`);
        }
      }
    },
    { root: false },
  );
}
