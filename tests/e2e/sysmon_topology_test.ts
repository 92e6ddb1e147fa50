/**
 * The lifecycle monitor across PID-namespace topologies (`unshare --pid --fork --mount-proc`):
 * ghostscope's side (tests/fixtures/sysmon/tracker_probe.ts) on the host or inside a private
 * namespace, the target in a private, the same, or a nested child namespace. Checks that the
 * probe's events arrive, that `proc_module_offsets` / `pid_aliases` / `allowed_pids` are keyed as
 * designed (bpf/sysmon_maps.ts), that a trace program's lookup through those keys finds the
 * right bias, and that everything is removed once the target exits.
 * Root only (skipped visibly otherwise; failing when CI=true).
 */
import assert from "node:assert/strict";
import { e2eTest, hostPidOf, LineStream } from "./harness.ts";
import { sysmonFixtures } from "../fixtures/sysmon/build.ts";
import {
  type Dump,
  hitBias,
  type ProbeClient,
  type ProbeMessage,
  startProbe,
} from "../fixtures/sysmon/probe_client.ts";

const INITIAL_NS = "0xeffffffc";
const HITS = 30;
const PERIOD_MS = "60";

const isEmpty = (d: Dump) => d.offsets.length + d.aliases.length + d.allowed.length === 0;

/** Hits of one host TGID. */
const hitsOf = (probe: ProbeClient, host: number) =>
  probe.of("hit").filter((h) => h.hostTgid === host);

/** The found hits agree with ip - link, and the last ones were all found. */
function assertRebased(hits: ProbeMessage[]): void {
  assert.ok(hits.length >= HITS - 1, `only ${hits.length} hits`);
  for (const h of hits) if (h.found) assert.equal(BigInt(h.bias), hitBias(h));
  assert.ok(hits.slice(-5).every((h) => h.found), JSON.stringify(hits.slice(-5)));
}

async function finish(probe: ProbeClient): Promise<void> {
  const d = await probe.dumpUntil(isEmpty, 5000);
  assert.deepEqual(
    { offsets: d.offsets, aliases: d.aliases, allowed: d.allowed },
    { offsets: [], aliases: [], allowed: [] },
    "entries left after the target exited",
  );
}

e2eTest("sysmon topology: host -> private PID namespace target", async () => {
  const { target } = sysmonFixtures();
  const probe = await startProbe(target, "sm_probe");
  try {
    const child = new Deno.Command("unshare", {
      args: [
        "--pid",
        "--fork",
        "--mount-proc",
        "--kill-child",
        target,
        "hit",
        String(HITS),
        PERIOD_MS,
      ],
      stdout: "piped",
    }).spawn();
    const out = new LineStream(child.stdout);
    assert.equal(await out.waitFor(/^pid=\d+$/), "pid=1");
    let host: number | null = null;
    for (let i = 0; i < 50 && host === null; i++) {
      host = hostPidOf(1, child.pid);
      if (host === null) await new Promise((r) => setTimeout(r, 20));
    }
    assert.ok(host !== null);
    const d = await probe.dumpUntil((d) => d.offsets.some((o) => o.procPid === host));
    // ghostscope in the initial namespace: keyed by host TGID, no alias needed.
    assert.deepEqual(d.offsets.map((o) => o.procPid), [host]);
    assert.deepEqual(d.allowed, [host]);
    assert.deepEqual(d.aliases, []);
    await child.status;
    const hits = hitsOf(probe, host);
    assert.ok(hits.every((h) => h.viewTgid === host));
    assertRebased(hits);
    await finish(probe);
  } finally {
    await probe.close();
  }
});

e2eTest("sysmon topology: ghostscope and target in the same private namespace", async () => {
  const { target } = sysmonFixtures();
  const probe = await startProbe(target, "sm_probe", {
    pidns: 1,
    spawn: [target, "hit", String(HITS), PERIOD_MS],
  });
  try {
    const ready = probe.of("ready")[0];
    assert.equal(ready.initialNs, false);
    const selfIno: string = ready.selfNsIno;
    const line = await probe.waitFor((m) => m.type === "child" && /^pid=\d+$/.test(m.line));
    const nsPid = Number(line.line.slice(4));
    const d = await probe.dumpUntil((d) =>
      d.offsets.some((o) => o.procPid === nsPid) && d.aliases.length >= 2
    );
    // Keyed by the PID in ghostscope's /proc (the namespace PID), aliased from the host TGID
    // (learned from the exec event) and from (tgid, own namespace).
    assert.deepEqual(d.offsets.map((o) => o.procPid), [nsPid]);
    const host = d.processes.find((p) => p.procPid === nsPid)?.hostTgid;
    assert.ok(host !== undefined && host !== nsPid, JSON.stringify(d));
    assert.deepEqual(
      [...d.aliases].sort((a, b) => a.nsIno.localeCompare(b.nsIno)),
      [
        { tgid: host, nsIno: INITIAL_NS, procPid: nsPid },
        { tgid: nsPid, nsIno: selfIno, procPid: nsPid },
      ].sort((a, b) => a.nsIno.localeCompare(b.nsIno)),
    );
    assert.deepEqual(d.allowed, [host]);
    await probe.waitFor((m) => m.type === "child-exit", 10_000);
    const hits = hitsOf(probe, host);
    assert.ok(hits.every((h) => h.viewTgid === nsPid));
    assertRebased(hits);
    await finish(probe);
  } finally {
    await probe.close();
  }
});

e2eTest("sysmon topology: target in a nested child namespace of ghostscope's", async () => {
  const { target } = sysmonFixtures();
  const probe = await startProbe(target, "sm_probe", {
    pidns: 1,
    spawn: [
      "unshare",
      "--pid",
      "--fork",
      "--mount-proc",
      "--kill-child",
      target,
      "hit",
      String(HITS),
      PERIOD_MS,
    ],
  });
  try {
    const line = await probe.waitFor((m) => m.type === "child" && /^pid=\d+$/.test(m.line));
    assert.equal(line.line, "pid=1");
    const d = await probe.dumpUntil((d) => d.offsets.length === 1 && d.aliases.length >= 1);
    assert.equal(d.offsets.length, 1, JSON.stringify(d));
    const procPid = d.offsets[0].procPid;
    assert.ok(procPid > 1);
    // (tgid 1, the child namespace) -> the PID in ghostscope's /proc.
    const nested = d.aliases.filter((a) => a.nsIno !== INITIAL_NS);
    assert.equal(nested.length, 1, JSON.stringify(d.aliases));
    assert.equal(nested[0].tgid, 1);
    assert.equal(nested[0].procPid, procPid);
    assert.notEqual(nested[0].nsIno, probe.of("ready")[0].selfNsIno);
    await probe.waitFor((m) => m.type === "child-exit", 10_000);
    // The probe ran in the child namespace: its hits have no TGID in ghostscope's namespace.
    const hits = probe.of("hit");
    const host = hits.at(-1)!.hostTgid;
    assert.ok(hits.every((h) => h.viewTgid === 0 && h.hostTgid === host));
    assertRebased(hits);
    await finish(probe);
  } finally {
    await probe.close();
  }
});
