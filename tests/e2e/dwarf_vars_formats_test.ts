/**
 * Format conversions, dumps and C semantics on program variables, run for real on the vars.c
 * fixture (-O0, at its deepest line, iteration 1): `{:s}`, `{:s.N}`, `{:x.N}`, `{:X.N}`,
 * `{:x.*}`, `{:s.name$}`, `{:x}` / `{:X}` / `{:p}` of program values, escapes, C integer
 * comparisons (unsigned int against -1, unsigned against a long literal), `let` of a pointer and
 * of a struct, run-time array indexes (checked against the bound), and the statuses a value
 * can carry (null pointer, read error with its address, zero length, index out of bounds).
 * Needs root (skipped with a message otherwise, failing when CI=true).
 */
import assert from "node:assert/strict";
import { buildVars, gdbBreakAddress, varsLine } from "../dwarf_vars_fixture_test.ts";
import { e2eTest, LineStream, startGhostscope, waitForExit } from "./harness.ts";

/** Script line → the exact output line expected at iteration 1. */
const CASES: [string, string][] = [
  [
    `print "s={:s} s4={:s.4} banner={:s}", req->tag, req->tag, g_banner;`,
    "s=req-1 s4=req- banner=ghostscope-vars",
  ],
  [
    `print "x4={:x.4} X2={:X.2} xs={:x.*}", &req->conn->w, req->conn->w.bytes, 3, req->conn->name;`,
    "x4=04030201 X2=0403 xs=636f6e",
  ],
  [`let n = 6; print "n={:s.n$}", req->conn->name;`, "n=conn-1"],
  [`let z = 0; print "z={:x.z$}", req->tag;`, "z=<zero length>"],
  [
    `print "hex={:x} HEX={:X} p={:p} in={:x} {{lit}}", req->conn->flags, g_big, g_null, req->conn->in;`,
    "hex=80000001 HEX=EE6B2800 p=0x0 in=ffffc900 {lit}",
  ],
  [
    `print "grade={} open={} state={} level={}", req->conn->grade, req->conn->open, req->conn->state, req->conn->level;`,
    "grade=66 'B' open=true state=RUNNING level=-1",
  ],
  [
    `if req->conn->flags > -1 { print "flags > -1"; } else { print "flags <= -1 (unsigned int vs int)"; }`,
    "flags <= -1 (unsigned int vs int)",
  ],
  [`if g_big > 3000000000 { print "g_big > 3e9 (long)"; }`, "g_big > 3e9 (long)"],
  [`if req->conn->in.a < 0 && req->conn->bytes < -999 { print "negatives"; }`, "negatives"],
  [
    `if req->conn->state == 3 && req->conn->next != 0 { print "running with next"; }`,
    "running with next",
  ],
  [`print req->conn->hist[1] + req->len * 2;`, "req->conn->hist[1] + req->len * 2 = 13"],
  [`let k = 2; print req->conn->hist[k];`, "req->conn->hist[k] = 12"],
  [`let big = 9; print req->conn->hist[big];`, "req->conn->hist[big] = <access error>"],
  [`let c = req->conn; print c->next->fd;`, "c->next->fd = 101"],
  [`let w = req->conn->w; print w.i;`, "w.i = 16909060"],
  [
    `print "null={} bad={} str={:s}", g_null->fd, g_bad->fd, g_null->peer;`,
    "null=<null pointer> bad=<read error at 0x10> str=<null pointer>",
  ],
  [`print *(g_table + 2);`, "*(g_table + 2) = 30"],
  [`if req->conn->state == RUNNING && g_conn.state != DONE { print "{}", DONE; }`, "DONE"],
  [`print &g_table[4] - &g_table[1];`, "&g_table[4] - &g_table[1] = 3"],
  [`print "{:s} {}", req->tag + 2, *(req->conn->hist + 3);`, "q-1 13"],
  [
    `print &req->conn->hist[1] == &req->conn->hist[1];`,
    "&req->conn->hist[1] == &req->conn->hist[1] = true",
  ],
];

e2eTest("formats, dumps, C comparisons and statuses on program variables", async () => {
  const bin = buildVars(["-g", "-O0"]);
  const addr = gdbBreakAddress(bin, `vars.c:${varsLine("PROBE: deepest")}`);
  const script = `trace 0x${addr.toString(16)} {\n${CASES.map(([s]) => `  ${s}`).join("\n")}\n}`;
  const child = new Deno.Command(bin, {
    args: ["0", "2"],
    env: { GS_FIXTURE_WAIT: "1" },
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const out = new LineStream(child.stdout);
  const pid = Number((await out.waitFor(/^pid=\d+$/)).slice(4));
  let lines: string[];
  try {
    const gs = await startGhostscope([
      "-p",
      String(pid),
      "--output",
      "plain",
      "--emit-ready-marker",
      "READY",
      "--max-events",
      String(CASES.length),
      "-s",
      script,
    ]);
    await gs.stdout.waitFor("READY", 30_000).catch(async (e) => {
      const r = await waitForExit(gs, 1000);
      throw new Error(`${e}\n${r.stderr}`);
    });
    Deno.kill(pid, "SIGUSR1");
    const r = await waitForExit(gs, 20_000);
    assert.equal(r.code, 0, r.stderr);
    lines = r.stdout.split("\n");
    lines = lines.slice(lines.indexOf("READY") + 1).filter((l) => l !== "");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // gone
    }
    await child.status;
    await out.done;
  }
  assert.deepEqual(lines, CASES.map(([, want]) => want), `script:\n${script}`);
});
