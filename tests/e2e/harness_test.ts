// Self-test of the e2e harness: fixtures, target processes, namespace sandboxes, leak checks.
import assert from "node:assert/strict";
import {
  assertNoLeaks,
  e2eTest,
  fixture,
  hostPidOf,
  type KernelObjects,
  kernelObjects,
  leakedObjects,
  LineStream,
  nsPidChain,
  rootGate,
  spawnTarget,
  unshareRun,
  unshareSpawn,
  waitForExit,
  waitForLine,
} from "./harness.ts";

Deno.test("harness: rootGate runs as root, skips elsewhere, fails in CI", () => {
  assert.equal(rootGate(0, false), "run");
  assert.equal(rootGate(0, true), "run");
  assert.equal(rootGate(1000, false), "skip");
  assert.equal(rootGate(1000, true), "fail");
  assert.equal(rootGate(null, true), "fail");
});

Deno.test("harness: LineStream splits lines across chunks and waits for a match", async () => {
  const enc = new TextEncoder();
  const stream = new ReadableStream<Uint8Array>({
    async start(c) {
      c.enqueue(enc.encode("pid=1"));
      c.enqueue(enc.encode("2\nhello wo"));
      await new Promise((r) => setTimeout(r, 20));
      c.enqueue(enc.encode("rld\ntail"));
      c.close();
    },
  });
  const ls = new LineStream(stream);
  assert.equal(await ls.waitFor(/world/, 1000), "hello world");
  await ls.done;
  assert.deepEqual(ls.lines, ["pid=12", "hello world", "tail"]);
  await assert.rejects(ls.waitFor("absent", 1000), /stream ended without a line/);
});

function objects(partial: Partial<KernelObjects>): KernelObjects {
  return {
    progs: new Set(),
    maps: new Set(),
    links: new Set(),
    uprobeEvents: "",
    progNames: new Map(),
    mapNames: new Map(),
    linkProgs: new Map(),
    ...partial,
  };
}

Deno.test("harness: leakedObjects names only new objects named like ours", () => {
  const before = objects({
    progs: new Set([1]),
    progNames: new Map([[1, "gs_old (kprobe)"]]),
    uprobeEvents: "p:uprobes/other /bin/x:0x10\n",
  });
  const after = objects({
    progs: new Set([1, 2, 3]),
    progNames: new Map([[1, "gs_old (kprobe)"], [2, "gs_add_0 (kprobe)"], [3, "sd_fw (cgroup)"]]),
    maps: new Set([10, 11]),
    mapNames: new Map([[10, "gs_events (ringbuf)"], [11, "other (hash)"]]),
    links: new Set([20, 21]),
    linkProgs: new Map([[20, 2], [21, 3]]),
    uprobeEvents: "p:uprobes/other /bin/x:0x10\np:ghostscope/gs_add /t:0x1179\n",
  });
  assert.deepEqual(leakedObjects(before, after), [
    "prog 2 gs_add_0 (kprobe)",
    "map 10 gs_events (ringbuf)",
    "link 20 -> prog 2 gs_add_0 (kprobe)",
    "uprobe_events: p:ghostscope/gs_add /t:0x1179",
  ]);
  assert.throws(() => assertNoLeaks(before, after), /leaked kernel objects \(4\)/);
  assertNoLeaks(after, after);
});

e2eTest("harness: fixtures print their pid and run", async () => {
  for (const name of ["demo", "target", "hotloop", "threads", "forker"]) {
    assert.ok(fixture(name).endsWith(`/tests/fixtures/build/${name}`));
  }
  const t = await spawnTarget("target", ["10", "3"]);
  assert.equal(t.pid, t.child.pid);
  assert.equal(t.nsPid, t.hostPid);
  await t.stdout.waitFor("done", 5000);
  assert.ok(t.stdoutLines.includes("add(3, 1000) = 1003"));
  const st = await t.kill();
  assert.equal(st.code, 0);

  const h = await spawnTarget("hotloop", ["1000"]);
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(!h.stdoutLines.some((l) => l.startsWith("elapsed_ns=")), "hotloop must wait");
  h.go();
  await h.stdout.waitFor(/^elapsed_ns=\d+ calls=1000$/, 5000);
  assert.equal((await h.kill()).code, 0);
}, { root: false });

e2eTest("harness: spawnTarget in a PID namespace maps the ns pid to the host pid", async () => {
  const t = await spawnTarget("target", ["20"], { ns: { pidns: 1 } });
  assert.equal(t.nsPid, 1, "the target is PID 1 of its namespace");
  assert.notEqual(t.hostPid, t.child.pid);
  assert.deepEqual(nsPidChain(t.hostPid), [t.hostPid, 1]);
  await t.stdout.waitFor("add(2, 1000) = 1002", 5000);
  await t.kill(200);
  assert.equal(nsPidChain(t.hostPid), null, "killed");
});

e2eTest("harness: init option keeps a shell as PID 1", async () => {
  const t = await spawnTarget("target", ["20"], { ns: { pidns: 1, init: true } });
  assert.equal(t.nsPid, 2);
  assert.deepEqual(nsPidChain(t.hostPid), [t.hostPid, 2]);
  await t.kill(200);
});

e2eTest("harness: nested PID namespaces", async () => {
  const r = await unshareRun(["sh", "-c", 'echo "$$"; grep NSpid /proc/self/status'], {
    pidns: 2,
  });
  assert.equal(r.code, 0, r.stderr);
  const [pidLine] = r.stdout.split("\n");
  assert.equal(pidLine, "1");

  const t = await spawnTarget("target", ["20"], { ns: { pidns: 2 } });
  const chain = nsPidChain(t.hostPid);
  assert.ok(chain && chain.length === 3, `NSpid chain ${chain}`);
  assert.equal(chain[2], 1);
  assert.equal(hostPidOf(1, t.child.pid), t.hostPid);
  await t.kill(200);
});

const markerCheck = [
  "sh",
  "-c",
  "for f in /.dockerenv /run/.containerenv; do if [ -e $f ]; then echo $f=yes; else echo $f=no; fi; done; echo pid=$$; pwd",
];

async function realMarkers(): Promise<string> {
  const r = await new Deno.Command(markerCheck[0], { args: markerCheck.slice(1) }).output();
  return new TextDecoder().decode(r.stdout).split("\n").slice(0, 2).join("\n");
}

e2eTest("harness: fake container root shows exactly the requested markers", async () => {
  const real = await realMarkers();
  for (const dockerenv of [false, true]) {
    for (const containerenv of [false, true]) {
      const r = await unshareRun(markerCheck, { pidns: 0, fakeRoot: { dockerenv, containerenv } });
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.split("\n");
      assert.equal(lines[0], `/.dockerenv=${dockerenv ? "yes" : "no"}`);
      assert.equal(lines[1], `/run/.containerenv=${containerenv ? "yes" : "no"}`);
      assert.ok(lines[3].endsWith("/main") || lines[3].length > 1, "cwd is the repo root");
    }
  }
  assert.equal(await realMarkers(), real, "the real / is untouched");
  const mounts = await Deno.readTextFile("/proc/self/mountinfo");
  assert.ok(!mounts.includes("gs-fakeroot"), "no mount leaked into our namespace");
});

e2eTest("harness: fake container + PID namespace + a fixture inside", async () => {
  const r = await unshareRun(markerCheck, {
    pidns: 1,
    fakeRoot: { dockerenv: true, containerenv: false },
  });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\/\.dockerenv=yes\n\/run\/\.containerenv=no\npid=1\n/);

  const t = await spawnTarget("target", ["20"], {
    ns: { pidns: 1, fakeRoot: { dockerenv: false, containerenv: true } },
  });
  assert.equal(t.nsPid, 1);
  const root = await Deno.readLink(`/proc/${t.hostPid}/root`);
  assert.match(root, /\.gs-fakeroot\/root$/, `target root is the overlay (${root})`);
  await t.stdout.waitFor("add(1, 1000) = 1001", 5000);
  await t.kill(200);
});

e2eTest("harness: unshareSpawn finds the program's host pid and signals reach it", async () => {
  const h = await unshareSpawn(
    ["sh", "-c", "trap 'echo got-usr1; exit 0' USR1; echo ready; while :; do sleep 0.05; done"],
    { pidns: 1, init: true },
  );
  await waitForLine(h, "ready", 5000);
  assert.deepEqual(nsPidChain(h.pid)?.slice(1), [2]);
  Deno.kill(h.pid, "SIGUSR1");
  await waitForLine(h, "got-usr1", 5000);
  const r = await waitForExit(h, 5000);
  assert.equal(r.timedOut, false);
});

e2eTest("harness: kernelObjects lists BPF objects and uprobe_events", async () => {
  const k = await kernelObjects();
  assert.ok(k.progs instanceof Set && k.maps instanceof Set && k.links instanceof Set);
  assert.equal(typeof k.uprobeEvents, "string");
  assertNoLeaks(k, await kernelObjects());
});
