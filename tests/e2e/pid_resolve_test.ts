/**
 * Real-kernel checks of the PID resolver and plan: real PID namespaces made with
 * `unshare --pid --fork --mount-proc`, real nsfs inodes, the real helper probe.
 */
import { assertEquals } from "../assert.ts";
import { e2eTest, REPO_ROOT, unshareRun, unshareSpawn } from "./harness.ts";
import { INITIAL_PID_NS_INO } from "../../lib/proc/ns.ts";
import { NsRelation, resolvePidViews } from "../../lib/pid/resolve.ts";
import { planForPid } from "../../lib/pid/plan_for_pid.ts";
import { DecisionId, Scenario, Support } from "../../lib/pid/plan.ts";

const PROBE = `${REPO_ROOT}/tests/fixtures/proc/plan_probe.ts`;
const DENO = Deno.execPath();
const noEnv = () => undefined;

type Json = Record<string, unknown>;

/** Runs `script` (sh) inside one or more PID namespaces and parses the probe's JSON lines. */
async function probeInside(
  script: string,
  pidns: number,
  env: Record<string, string> = {},
): Promise<Json[]> {
  const result = await unshareRun(
    ["/bin/sh", "-c", script],
    { pidns },
    { env: { GS_DENO: DENO, GS_PROBE: PROBE, ...env }, timeoutMs: 60_000 },
  );
  const lines = result.stdout.split("\n").filter((l) => l.startsWith("{"));
  if (lines.length === 0) {
    throw new Error(`no probe output (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  }
  return lines.map((l) => JSON.parse(l));
}

e2eTest("pid e2e: host view of a process in a private PID namespace (scenario 3)", async () => {
  const target = await unshareSpawn(["sleep", "30"], { pidns: 1 });
  const v = resolvePidViews(target.pid);
  assertEquals(v.procPid, target.pid);
  assertEquals(v.nsTgidChain.length, 2);
  assertEquals(v.nsTgidChain[0], target.pid);
  assertEquals(v.containerPid, 1);
  assertEquals(v.relation, NsRelation.Descendant);
  if (v.selfInInitialPidNs) {
    assertEquals(v.hostPid, target.pid);
    assertEquals(v.selfNs.ino, INITIAL_PID_NS_INO);
  } else {
    assertEquals(v.hostPid, undefined);
  }
  assertEquals(v.targetNs.ino !== v.selfNs.ino, true);
  assertEquals(v.targetNs.dev, v.selfNs.dev);
  assertEquals(v.targetNs.dev !== undefined, true);
  const plan = planForPid(target.pid, { getEnv: noEnv });
  if (v.selfInInitialPidNs) {
    assertEquals(plan.scenario, Scenario.HostToPrivateContainer);
    assertEquals(plan.filter, { kind: "host-tgid", tgid: target.pid });
    assertEquals(plan.pidView, { kind: "ns", ns: { dev: v.targetNs.dev!, ino: v.targetNs.ino } });
    assertEquals(plan.support, Support.Supported);
  }
});

e2eTest("pid e2e: ghostscope and target in the same private namespace (scenario 5)", async () => {
  const script = 'sleep 30 & T=$!; "$GS_DENO" run -A "$GS_PROBE" $T; ' +
    'GHOSTSCOPE_FORCE_NO_NS_HELPER=1 "$GS_DENO" run -A "$GS_PROBE" $T; kill $T';
  const [withHelper, forced] = await probeInside(script, 1);
  assertEquals(withHelper.scenario, Scenario.ContainerToSameNs);
  assertEquals(withHelper.hostPid, null);
  assertEquals(withHelper.selfInInitialPidNs, false);
  assertEquals(withHelper.relation, "same");
  const filter = withHelper.filter as Json;
  assertEquals(filter.kind, "ns-tgid");
  assertEquals(filter.tgid, withHelper.procPid);
  assertEquals((filter.ns as Json).ino, (withHelper.selfNs as Json).ino);
  assertEquals(withHelper.support, "conditional");
  assertEquals(forced.support, "refused");
  assertEquals(forced.decision, DecisionId.NsWithoutHelper);
  assertEquals(String(forced.reason).includes("forced off by GHOSTSCOPE_FORCE_NO_NS_HELPER"), true);
});

e2eTest("pid e2e: target in a namespace nested below ghostscope's (scenario 6)", async () => {
  const script = "unshare --pid --fork --mount-proc --kill-child sleep 30 & U=$!; " +
    'for i in 1 2 3 4 5 6 7 8 9 10; do T=$(pgrep -x sleep); [ -n "$T" ] && break; sleep 0.2; done; ' +
    '"$GS_DENO" run -A "$GS_PROBE" $T; kill $U';
  const [plan] = await probeInside(script, 1);
  assertEquals(plan.scenario, Scenario.ContainerToNestedNs);
  assertEquals(plan.relation, "descendant");
  assertEquals((plan.nsTgidChain as number[]).length, 2);
  assertEquals(plan.containerPid, 1);
  assertEquals(plan.hostPid, null);
  const filter = plan.filter as Json;
  assertEquals(filter.kind, "ns-tgid");
  assertEquals(filter.tgid, 1);
  // The filter names the CHILD namespace, not ghostscope's.
  assertEquals((filter.ns as Json).ino, (plan.targetNs as Json).ino);
  assertEquals((plan.targetNs as Json).ino !== (plan.selfNs as Json).ino, true);
  assertEquals(plan.perfPid, plan.procPid);
});

e2eTest("pid e2e: a PID of another namespace is not visible from inside", async () => {
  // The test runner's own (host-side) PID does not exist in a fresh namespace.
  const [result] = await probeInside(`"$GS_DENO" run -A "$GS_PROBE" ${Deno.pid}`, 1);
  assertEquals(result.name, "UsageError");
  assertEquals(
    String(result.error).includes("most likely it lives outside this PID namespace"),
    true,
  );
});

e2eTest(
  "pid e2e: /proc from another namespace (unshare without --mount-proc) is refused",
  async () => {
    const target = await unshareSpawn(["sleep", "30"], { pidns: 0 });
    const out = await new Deno.Command("unshare", {
      args: ["--pid", "--fork", "--kill-child", DENO, "run", "-A", PROBE, String(target.pid)],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const plan = JSON.parse(new TextDecoder().decode(out.stdout).trim()) as Json;
    assertEquals(plan.decision, DecisionId.ProcViewMismatch);
    assertEquals(plan.support, "refused");
    assertEquals(plan.scenario, Scenario.ContainerToOutside);
  },
);

e2eTest("pid e2e: a thread id resolves to its process", () => {
  const tids = [...Deno.readDirSync("/proc/self/task")].map((e) => Number(e.name));
  const tid = tids.find((t) => t !== Deno.pid);
  if (tid === undefined) throw new Error("expected deno to have more than one thread");
  const v = resolvePidViews(tid);
  assertEquals(v.procPid, Deno.pid);
  assertEquals(v.threadOf, Deno.pid);
  assertEquals(v.notices.length, 1);
}, { root: false });
