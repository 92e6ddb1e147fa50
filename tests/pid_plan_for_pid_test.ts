import { assertEquals, assertThrows } from "./assert.ts";
import { UsageError } from "../lib/errors.ts";
import type { CapsProbe } from "../lib/pid/caps.ts";
import { DecisionId, Scenario, Support } from "../lib/pid/plan.ts";
import { planForPid } from "../lib/pid/plan_for_pid.ts";
import { CONTAINER_NS_INO, makeFakeProc, NESTED_NS_INO } from "./fixtures/proc/fake_proc.ts";

const HELPER: CapsProbe = { ringbuf: () => true, nsPidHelper: () => true };
const noEnv = () => undefined;
const forced = (name: string) => name === "GHOSTSCOPE_FORCE_NO_NS_HELPER" ? "1" : undefined;

Deno.test("planForPid: nested target from inside a container, with and without helper", () => {
  const containerNs = { mode: "stat" as const, ino: CONTAINER_NS_INO };
  const tree = makeFakeProc({
    selfPid: 7,
    selfNs: containerNs,
    rootFiles: [".dockerenv"],
    processes: [
      { pid: 1, name: "init", ns: containerNs, cgroup: "0::/\n" },
      { pid: 531, name: "child", nsTgid: [531, 1], ns: { mode: "stat", ino: NESTED_NS_INO } },
    ],
  });
  try {
    const opts = {
      procRoot: tree.procRoot,
      root: tree.root,
      nsAccess: tree.nsAccess,
      selfPid: 7,
      capsProbe: HELPER,
    };
    const plan = planForPid("531", { ...opts, getEnv: noEnv });
    assertEquals(plan.scenario, Scenario.ContainerToNestedNs);
    assertEquals(plan.filter, { kind: "ns-tgid", ns: { dev: 4n, ino: NESTED_NS_INO }, tgid: 1 });
    assertEquals(plan.environment.evidence.length, 3);
    const refused = planForPid("531", { ...opts, getEnv: forced });
    assertEquals(refused.support, Support.Refused);
    assertEquals(refused.decision, DecisionId.NsWithoutHelper);
    assertThrows(() => planForPid("1234", { ...opts, getEnv: noEnv }), UsageError, "most likely");
  } finally {
    tree.cleanup();
  }
});

Deno.test("planForPid: ghostscope itself on the real machine", () => {
  const plan = planForPid(Deno.pid, { capsProbe: HELPER, getEnv: noEnv });
  assertEquals(plan.views.procPid, Deno.pid);
  assertEquals(plan.perfPid, Deno.pid);
  if (plan.views.selfInInitialPidNs) {
    assertEquals(plan.filter, { kind: "host-tgid", tgid: Deno.pid });
    assertEquals(plan.views.hostPid, Deno.pid);
  } else {
    assertEquals(plan.filter?.kind, "ns-tgid");
    assertEquals(plan.views.hostPid, undefined);
  }
});
