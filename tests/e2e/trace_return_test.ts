/**
 * `trace f:return { ... }` on the returns fixture (known arguments, return values and sleeps):
 * `$retval` of an int, a negative int, a pointer (members through it), a `char *` (a string), a
 * 16-byte struct returned in rax:rdx (its members); `entry(x)` as it was at entry although the
 * function changes `x`; `$duration` ordered as the sleeps and within their bounds, and a
 * `$duration` filter printing only the slow calls; the recursive r_fact(5) pairing each return
 * with its own entry; `$func` in a wildcard return block. A `-t` run and a `-p` run. While the
 * `-t` session is still attached after the target's calls, the pairing map is dumped (bpftool)
 * and must be empty. Bad input: one error with a caret, exit 2.
 */
import assert from "node:assert/strict";
import {
  e2eTest,
  fixture,
  runGhostscope,
  spawnTarget,
  startGhostscope,
  waitForExit,
} from "./harness.ts";

const SCRIPT = `
trace r_int:return { print "int ret={} a={} b={}", $retval, entry(a), entry(b); }
trace r_neg:return { print "neg ret={}", $retval; }
trace r_ptr:return { print "ptr id={} name={} idx={}", $retval->id, $retval->name, entry(idx); }
trace r_str:return { print "str ret={}", $retval; }
trace r_pair:return { print "pair a={} b={}", $retval.a, $retval.b; }
trace r_modify:return { print "modify ret={} x={}", $retval, entry(x); }
trace r_sleep:return { print "sleep ms={} ret={} d={}", entry(ms), $retval, $duration; }
trace r_sleep:return { if $duration > 30000000 { print "slow ms={}", entry(ms); } }
trace r_fact:return { print "fact n={} ret={} d={}", entry(n), $retval, $duration; }
`;

/** Lines a round of the fixture prints through SCRIPT, in call order (sleep and fact apart). */
const FIXED = [
  "int ret=42 a=6 b=7",
  'ptr id=102 name="two" idx=2',
  'str ret="beta"',
  "pair a=5 b=50",
  "neg ret=-27",
  "modify ret=71 x=7",
];

const FACT = [1n, 1n, 2n, 6n, 24n, 120n];

function check(lines: string[], rounds: number): void {
  for (const want of FIXED) {
    assert.equal(lines.filter((l) => l === want).length, rounds, `${want}:\n${lines.join("\n")}`);
  }
  const sleeps = lines.filter((l) => l.startsWith("sleep "));
  assert.equal(sleeps.length, 3 * rounds, sleeps.join("\n"));
  for (let r = 0; r < rounds; r++) {
    const round = sleeps.slice(3 * r, 3 * r + 3).map((l) => {
      const m = /^sleep ms=(\d+) ret=(\d+) d=(\d+)$/.exec(l);
      assert.ok(m, l);
      return { ms: Number(m[1]), ret: Number(m[2]), d: BigInt(m[3]) };
    });
    assert.deepEqual(round.map((s) => s.ms), [10, 40, 80]);
    for (const s of round) {
      assert.equal(s.ret, 2 * s.ms);
      const ns = BigInt(s.ms) * 1_000_000n;
      assert.ok(s.d >= ns && s.d < ns + 500_000_000n, `sleep ${s.ms} ms took ${s.d} ns`);
    }
    assert.ok(round[0].d < round[1].d && round[1].d < round[2].d, "durations ordered as sleeps");
  }
  assert.deepEqual(
    lines.filter((l) => l.startsWith("slow ")),
    Array.from({ length: rounds }, () => ["slow ms=40", "slow ms=80"]).flat(),
  );
  const facts = lines.filter((l) => l.startsWith("fact ")).map((l) => {
    const m = /^fact n=(\d+) ret=(\d+) d=(\d+)$/.exec(l);
    assert.ok(m, l);
    return { n: Number(m[1]), ret: BigInt(m[2]), d: BigInt(m[3]) };
  });
  assert.equal(facts.length, 5 * rounds);
  facts.forEach((f, i) => {
    // innermost return first: n = 1, 2, ... 5, each with its own entry's n and duration
    assert.equal(f.n, (i % 5) + 1, `fact event ${i}`);
    assert.equal(f.ret, FACT[f.n], `r_fact(${f.n})`);
    if (i % 5 > 0) assert.ok(f.d > facts[i - 1].d, `r_fact(${f.n}) outlasts r_fact(${f.n - 1})`);
  });
}

/** Ids of the BPF maps process `pid` holds (from /proc/PID/fdinfo). */
function heldMapIds(pid: number): Set<number> {
  const ids = new Set<number>();
  for (const e of Deno.readDirSync(`/proc/${pid}/fdinfo`)) {
    try {
      const m = /^map_id:\s+(\d+)$/m.exec(Deno.readTextFileSync(`/proc/${pid}/fdinfo/${e.name}`));
      if (m) ids.add(Number(m[1]));
    } catch {
      // closed meanwhile
    }
  }
  return ids;
}

async function bpftool(args: string[]): Promise<unknown> {
  const out = await new Deno.Command("bpftool", { args: ["-j", ...args], stdout: "piped" })
    .output();
  assert.ok(out.success, `bpftool ${args.join(" ")} failed`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

/** The entries of ghostscope's pairing map (`gs_ret_calls`), by map name. */
async function pairingEntries(gsPid: number): Promise<Map<string, unknown[]>> {
  const held = heldMapIds(gsPid);
  const maps = await bpftool(["map", "show"]) as { id: number; name?: string }[];
  const out = new Map<string, unknown[]>();
  for (const m of maps) {
    if (!held.has(m.id) || !m.name?.startsWith("gs_ret_")) continue;
    out.set(m.name, await bpftool(["map", "dump", "id", String(m.id)]) as unknown[]);
  }
  return out;
}

e2eTest("return probes (-t): $retval, entry(x), $duration, recursion; maps empty", async () => {
  const gs = await startGhostscope([
    "-t",
    fixture("returns"),
    "--output",
    "plain",
    "--emit-ready-marker",
    "READY",
    "-s",
    SCRIPT,
  ]);
  try {
    await gs.stdout.waitFor("READY", 30_000);
    const target = await spawnTarget("returns", ["2", "10"]);
    await target.stdout.waitFor("done", 10_000);
    await target.status;
    // every event of the two rounds has arrived: 6 fixed + 3 sleeps + 2 slow + 5 fact, twice
    const deadline = Date.now() + 10_000;
    while (gs.stdout.lines.length < 1 + 2 * 16 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const maps = await pairingEntries(gs.pid);
    assert.deepEqual([...maps.keys()], ["gs_ret_calls"]);
    for (const [name, entries] of maps) {
      assert.deepEqual(entries, [], `${name} still holds entries after every call returned`);
    }
    check(gs.stdout.lines.filter((l) => l !== "READY"), 2);
  } finally {
    gs.child.kill("SIGINT");
    const r = await waitForExit(gs, 10_000);
    assert.equal(r.code, 0, r.stderr);
  }
});

e2eTest("return probes (-p): the same values from one process; $func in a wildcard", async () => {
  const target = await spawnTarget("returns", ["1", "10"], { wait: true });
  const gs = await startGhostscope([
    "-p",
    String(target.pid),
    "--output",
    "plain",
    "--emit-ready-marker",
    "READY",
    "-s",
    SCRIPT + 'trace r_s*:return { print "func {}", $func; }',
  ]);
  await gs.stdout.waitFor("READY", 30_000);
  target.go();
  const r = await waitForExit(gs, 20_000);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stderr, /target PID \d+ exited/);
  const lines = r.stdout.split("\n").filter((l) => l && l !== "READY");
  check(lines, 1);
  assert.deepEqual(lines.filter((l) => l.startsWith("func ")), [
    "func r_str",
    "func r_sleep",
    "func r_sleep",
    "func r_sleep",
  ]);
});

const BAD: [string, RegExp][] = [
  ['trace 0x1139:return { print "x"; }', /':return' needs a function name.*an address/],
  ['trace r_int { print "{}", $retval; }', /'\$retval' is only available in a return block/],
  ['trace r_int { print "{}", $duration; }', /'\$duration' is only available in a return block/],
  ['trace r_pair:return { print "{}", entry(p); }', /entry\(p\): 'p' is a local variable/],
  ['trace r_int { print "{}", entry(a); }', /'entry\(x\)' is only available in a return block/],
];

e2eTest("return probes: bad input is one error with a caret, exit 2", async () => {
  for (const [script, message] of BAD) {
    const r = await runGhostscope(["-t", fixture("returns"), "-s", script]);
    assert.equal(r.code, 2, `${script}: ${r.stderr}`);
    const err = r.stderr.trimEnd().split("\n");
    assert.equal(err.length, 3, `${script}: message, source line, caret:\n${r.stderr}`);
    assert.match(err[0], /^ghostscope: script:1:\d+: /);
    assert.match(err[0], message);
    assert.match(err[2], /^\s*\^+$/);
  }
});

e2eTest(
  "return probes without DWARF: $retval is rax as a long, $duration and $func work",
  async () => {
    const dir = Deno.makeTempDirSync({ prefix: "ghostscope-ret-" });
    try {
      const bin = `${dir}/returns`;
      Deno.copyFileSync(fixture("returns"), bin);
      const strip = new Deno.Command("strip", { args: ["--strip-debug", bin] }).outputSync();
      assert.ok(strip.success, "strip --strip-debug");
      const gs = await startGhostscope([
        "-t",
        bin,
        "--output",
        "plain",
        "--emit-ready-marker",
        "READY",
        "--max-events",
        "1",
        "-s",
        'trace r_int:return { print "{} ret={} d={}", $func, $retval, $duration; }',
      ]);
      await gs.stdout.waitFor("READY", 30_000);
      const run = new Deno.Command(bin, { args: ["1", "0"], stdout: "null" }).outputSync();
      assert.ok(run.success);
      const r = await waitForExit(gs, 10_000);
      assert.equal(r.code, 0, r.stderr);
      const line = r.stdout.split("\n").find((l) => l.startsWith("r_int "));
      assert.match(line ?? r.stdout, /^r_int ret=42 d=\d+$/);
    } finally {
      Deno.removeSync(dir, { recursive: true });
    }
  },
);

e2eTest(
  "return probes: recursion deeper than the kernel's 64 nested uretprobes pairs right",
  async () => {
    // The kernel hijacks the returns of the 64 outermost of r_deep(80)'s 81 calls only: each
    // return must still get its own entry (keyed by frame, not by depth), so entry(n) = $retval.
    const target = await spawnTarget("returns", ["1", "10"], { wait: true });
    const gs = await startGhostscope([
      "-p",
      String(target.pid),
      "--output",
      "plain",
      "--emit-ready-marker",
      "READY",
      "-s",
      'trace r_deep:return { print "n={} ret={}", entry(n), $retval; }',
    ]);
    await gs.stdout.waitFor("READY", 30_000);
    target.go();
    const r = await waitForExit(gs, 20_000);
    assert.equal(r.code, 0, r.stderr);
    const events = r.stdout.split("\n").filter((l) => l.startsWith("n="));
    assert.equal(events.length, 64, r.stdout);
    events.forEach((l, i) => {
      const m = /^n=(\d+) ret=(\d+)$/.exec(l);
      assert.ok(m, l);
      assert.equal(m[1], m[2], `event ${i}: ${l}`);
      assert.equal(Number(m[1]), 17 + i, `event ${i}: the innermost hijacked call returns first`);
    });
  },
);

e2eTest("return probes at -O2: parameters read at entry, values and durations right", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "ghostscope-ret-o2-" });
  try {
    const bin = `${dir}/returns`;
    const src = new URL("../fixtures/returns.c", import.meta.url).pathname;
    const cc = new Deno.Command("gcc", { args: ["-g", "-O2", "-o", bin, src] }).outputSync();
    assert.ok(cc.success, new TextDecoder().decode(cc.stderr));
    const gs = await startGhostscope([
      "-t",
      bin,
      "--output",
      "plain",
      "--emit-ready-marker",
      "READY",
      "--max-events",
      "9",
      "-s",
      SCRIPT.split("\n").filter((l) => !/r_fact|r_deep|slow/.test(l)).join("\n"),
    ]);
    await gs.stdout.waitFor("READY", 30_000);
    const run = new Deno.Command(bin, { args: ["1", "0"], stdout: "null" }).outputSync();
    assert.ok(run.success);
    const r = await waitForExit(gs, 10_000);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n").filter((l) => l && l !== "READY");
    for (const want of FIXED) assert.ok(lines.includes(want), `${want}:\n${r.stdout}`);
    const sleeps = lines.filter((l) => l.startsWith("sleep "));
    assert.deepEqual(sleeps.map((l) => l.replace(/ d=\d+$/, "")), [
      "sleep ms=10 ret=20",
      "sleep ms=40 ret=80",
      "sleep ms=80 ret=160",
    ]);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
