/**
 * `if` on a comparison compiles to one negated conditional jump (no 0/1 made in a register).
 * Checked against the real kernel: for every operator, signed and unsigned, with plain and
 * fallible (memory-read) operands, the branch taken agrees with the comparison's value printed in
 * the same event. Root-only (skipped visibly otherwise; failing instead when CI=true).
 */
import assert from "node:assert/strict";
import { e2eTest, spawnTarget, startGhostscope, waitForExit } from "./harness.ts";

const OPS = ["==", "!=", "<", "<=", ">", ">="];

/** One `if`/`else` pair per case: the branch prints T or F and the comparison's own value. */
function branches(label: string, left: string, right: string): string {
  return OPS.map((op) => {
    const cmp = `${left} ${op} ${right}`;
    return `if ${cmp} { print "${label}${op} T {}", ${cmp}; } ` +
      `else { print "${label}${op} F {}", ${cmp}; }`;
  }).join("\n  ");
}

const SCRIPT = `
trace add {
  ${branches("int ", "a", "3")}
  ${branches("neg ", "a - 4", "-1")}
  ${branches("pid ", "$pid", "0")}
}
trace point_sum {
  ${branches("mem ", "p->y", "-4")}
}`;

e2eTest("if on a comparison takes the branch the comparison's value says", async () => {
  const target = await spawnTarget("target", ["10", "6"], { wait: true });
  const gs = await startGhostscope([
    "-p",
    String(target.pid),
    "-s",
    SCRIPT,
    "--output",
    "plain",
    "--emit-ready-marker",
    "READY",
  ]);
  await gs.stdout.waitFor(/^READY$/, 20_000);
  target.go();
  const result = await waitForExit(gs, 20_000);
  assert.equal(result.code, 0, result.stderr);
  const lines = result.stdout.split("\n").filter((l) => l !== "" && l !== "READY");
  // 6 calls x (3 x 6 cases on add + 6 on point_sum)
  assert.equal(lines.length, 6 * 24, result.stdout);
  const seen = new Set<string>();
  for (const line of lines) {
    const m = line.match(/^(\w+) (\S+) ([TF]) (true|false)$/);
    assert.ok(m, `unexpected line '${line}'`);
    assert.equal(m[4], m[3] === "T" ? "true" : "false", `branch and value disagree: '${line}'`);
    seen.add(`${m[1]}${m[2]} ${m[3]}`);
  }
  // a = 1..6 and y = -2..-12 straddle every constant: each operator took both branches
  for (const label of ["int", "neg", "mem"]) {
    for (const op of OPS) {
      assert.ok(seen.has(`${label}${op} T`) && seen.has(`${label}${op} F`), `${label}${op}`);
    }
  }
});
