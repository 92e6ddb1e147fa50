/**
 * gdb as the oracle: the vars.c fixture built at -O0 and -O2, DWARF 5 and 4, is traced by
 * ghostscope (`-p PID`) at the same places gdb stops (`break vars.c:<line>`, `break process`),
 * and every printed expression — parameters, locals in nested blocks (one shadowing), static and
 * extern globals, struct members through pointers, arrays, enums, bit-fields, strings, whole
 * structs — must show the value gdb shows there at the same iteration. A variable gdb shows as
 * `<optimized out>` must show as optimized out. Pointers are compared as null / non-null (gdb
 * runs without ASLR). Needs root (skipped with a message otherwise, failing when CI=true).
 */
import assert from "node:assert/strict";
import {
  buildVars,
  gdbBreakAddress,
  gdbValues,
  normalizeGdb,
  normalizeOurs,
  VARIANTS,
  varsLine,
} from "../dwarf_vars_fixture_test.ts";
import { moduleDwarf } from "../../lib/debuginfo/mod.ts";
import { openElf } from "../../lib/elf/mod.ts";
import { e2eTest, LineStream, startGhostscope, waitForExit } from "./harness.ts";

const AT_LINE = [
  "req->len",
  "factor",
  "limit",
  "result",
  "inner",
  "acc",
  "g_counter",
  "g_total",
  "g_banner",
  "g_table",
  "g_state",
  "g_label",
  "g_big",
  "g_conn.fd",
  "g_conn.name",
  "g_conn.state",
  "g_conn.next",
  "req->tag",
  "req->port",
  "req->total",
  "req.len",
  "(*req).len",
  "req->conn->name",
  "req->conn->flags",
  "req->conn->bytes",
  "req->conn->state",
  "req->conn->in",
  "req->conn->in.b",
  "req->conn->hist",
  "req->conn->hist[2]",
  "req->conn->mode",
  "req->conn->level",
  "req->conn->open",
  "req->conn->grade",
  "req->conn->w",
  "req->conn->ratio",
  "req->conn->temp",
  "req->conn->next->fd",
  "req->conn->peer",
  "*req->conn",
  "*req",
  "g_table[3]",
  "*g_banner",
  "*&g_table[1]",
  "g_null",
  "g_null->fd",
  "g_bad->bytes",
];

/** At the function's entry; `__progname` and `stdout` are libc globals (libc6-dbg). */
const AT_FUNCTION = [
  "factor",
  "limit",
  "req->len",
  "*req",
  "req->conn->name",
  "g_counter",
  "__progname",
  "stdout",
  "stdout->_fileno",
];

/**
 * What gdb's answer means in our terms: a value it refuses as optimized out is
 * `<optimized out>`; memory it cannot access is a null pointer (address 0) or a read error
 * with the address.
 */
function expected(gdb: string): string {
  if (/^<error: value has been optimized out/.test(gdb)) return "<optimized out>";
  const m = /^<error: Cannot access memory at address (0x[0-9a-f]+)/.exec(gdb);
  if (m) return BigInt(m[1]) === 0n ? "<null pointer>" : `<read error at ${m[1]}>`;
  return normalizeGdb(gdb);
}

/**
 * Variables located by DW_OP_entry_value at `pc`: gdb recovers some of them from the caller's
 * call-site parameters; ghostscope cannot (it shows `<optimized out>`), a known gap.
 */
function entryValueVariables(binary: string, pc: number): Set<string> {
  const module = { path: binary, hostPath: binary, elf: () => openElf(binary) };
  const d = moduleDwarf(module);
  const out = new Set<string>();
  if (!d.ok) return out;
  const scope = d.dwarf.variablesAt(pc);
  if (!scope.ok) return out;
  for (const v of scope.variables) {
    if (/DW_OP_entry_value/.test(v.location.text)) out.add(v.name);
  }
  return out;
}

/** A fixture started paused (GS_FIXTURE_WAIT=1): its pid and a way to let it run. */
async function startVars(binary: string): Promise<{
  pid: number;
  go: () => void;
  stop: () => Promise<void>;
}> {
  const child = new Deno.Command(binary, {
    args: ["0", "2"],
    env: { GS_FIXTURE_WAIT: "1" },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const out = new LineStream(child.stdout);
  const line = await out.waitFor(/^pid=\d+$/, 10_000);
  const pid = Number(line.slice(4));
  return {
    pid,
    go: () => Deno.kill(pid, "SIGUSR1"),
    stop: async () => {
      try {
        child.kill("SIGKILL");
      } catch {
        // already gone
      }
      await child.status;
      await out.done;
    },
  };
}

for (const variant of VARIANTS) {
  e2eTest(`program variables match gdb (${variant.label})`, async () => {
    const bin = buildVars(variant.flags);
    const lineLoc = `vars.c:${varsLine("PROBE: deepest")}`;
    const lineAddr = gdbBreakAddress(bin, lineLoc);
    const gdbLine = gdbValues(bin, lineLoc, AT_LINE);
    const gdbFn = gdbValues(bin, "process", AT_FUNCTION);

    const script = [
      `trace process { ${AT_FUNCTION.map((e) => `print ${e};`).join(" ")} }`,
      `trace 0x${lineAddr.toString(16)} { ${AT_LINE.map((e) => `print ${e};`).join(" ")} }`,
    ].join("\n");
    const target = await startVars(bin);
    let stdout: string[];
    let stderr: string;
    try {
      const gs = await startGhostscope([
        "-p",
        String(target.pid),
        "--output",
        "plain",
        "--emit-ready-marker",
        "READY",
        "--max-events",
        String(AT_FUNCTION.length + AT_LINE.length),
        "-s",
        script,
      ]);
      await gs.stdout.waitFor("READY", 30_000).catch(async (e) => {
        const r = await waitForExit(gs, 1000);
        throw new Error(`${e}\n${r.stderr}`);
      });
      target.go();
      const r = await waitForExit(gs, 20_000);
      stdout = r.stdout.split("\n");
      stderr = r.stderr;
      assert.equal(r.code, 0, `ghostscope failed:\n${r.stderr}`);
    } finally {
      await target.stop();
    }

    const after = stdout.slice(stdout.indexOf("READY") + 1);
    const mismatches: string[] = [];
    const gaps: string[] = [];
    const check = (
      exprs: string[],
      gdb: Map<string, string>,
      from: number,
      entryValues: Set<string>,
    ) => {
      for (const e of exprs) {
        const line = after.slice(from).find((l) => l.startsWith(`${e} = `));
        const ours = line === undefined ? "<missing>" : line.slice(e.length + 3);
        const want = expected(gdb.get(e) ?? "<not asked>");
        if (normalizeOurs(ours) === want) continue;
        if (ours === "<optimized out>" && entryValues.has(e)) {
          gaps.push(`${e} (gdb: ${gdb.get(e)})`);
          continue;
        }
        mismatches.push(`  ${e}:\n    gdb:  ${gdb.get(e)}\n    ours: ${ours}`);
      }
    };
    check(AT_FUNCTION, gdbFn, 0, new Set());
    check(AT_LINE, gdbLine, AT_FUNCTION.length, entryValueVariables(bin, lineAddr));
    if (gaps.length) {
      console.error(
        `${variant.label}: entry values gdb recovers from call sites: ${gaps.join(", ")}`,
      );
    }
    assert.equal(
      mismatches.length,
      0,
      `${variant.label}: values differ from gdb's:\n${mismatches.join("\n")}\n` +
        `ghostscope stdout:\n${after.join("\n")}\n${stderr}`,
    );
  });
}
