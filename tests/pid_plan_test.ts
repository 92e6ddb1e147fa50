import { assertEquals, assertThrows } from "./assert.ts";
import { RuntimeFailure } from "../lib/errors.ts";
import { EnvironmentKind } from "../lib/pid/environment.ts";
import {
  buildPidPlan,
  classifyScenario,
  decide,
  DECISION_TABLE,
  type DecisionFacts,
  DecisionId,
  FilterChoice,
  PidViewChoice,
  requireTraceable,
  Scenario,
  Support,
} from "../lib/pid/plan.ts";
import { NsRelation } from "../lib/pid/resolve.ts";
import {
  caps,
  CONTAINER_NS,
  env,
  FORCED_OFF,
  hostToContainerViews,
  NESTED_NS,
  nestedViews,
  NO_HELPER,
  nsIdNoDev,
  sameContainerViews,
  views,
} from "./fixtures/proc/pid_builders.ts";
import { CONTAINER_NS_INO, NESTED_NS_INO } from "./fixtures/proc/fake_proc.ts";

const DEV = 4n;

// ---- the table itself -------------------------------------------------------------------------

const FACT_KEYS: (keyof DecisionFacts)[] = [
  "wsl",
  "procViewMatches",
  "selfInInitialNs",
  "targetInInitialNs",
  "relationKnown",
  "helper",
  "targetDevKnown",
];

function allFacts(): DecisionFacts[] {
  const out: DecisionFacts[] = [];
  for (let bits = 0; bits < 1 << FACT_KEYS.length; bits++) {
    const f = {} as DecisionFacts;
    FACT_KEYS.forEach((k, i) => (f[k] = (bits & (1 << i)) !== 0));
    out.push(f);
  }
  return out;
}

Deno.test("plan table: every fact combination hits a row, and invariants hold", () => {
  const hit = new Set<DecisionId>();
  for (const f of allFacts()) {
    const row = decide(f);
    hit.add(row.id);
    // A host-tgid filter is only ever installed when /proc speaks the initial namespace.
    if (row.filter === FilterChoice.HostTgidProcPid) {
      assertEquals(f.selfInInitialNs && f.procViewMatches && !f.wsl, true);
    }
    // The namespace filter needs the helper, the target's dev and its own PID.
    if (row.filter === FilterChoice.NsTgidTarget) {
      assertEquals(f.helper && f.targetDevKnown && f.relationKnown && !f.selfInInitialNs, true);
    }
    // A target-namespace $pid view needs the helper and the dev too.
    if (row.pidView === PidViewChoice.TargetNs) assertEquals(f.helper && f.targetDevKnown, true);
    // Refusal <=> no filter.
    assertEquals(row.support === Support.Refused, row.filter === FilterChoice.Refuse);
    // From the initial namespace (with a sane /proc, no WSL) ghostscope never refuses.
    if (f.selfInInitialNs && f.procViewMatches && !f.wsl) {
      assertEquals(row.support !== Support.Refused, true);
    }
    if (f.wsl) assertEquals(row.id, DecisionId.Wsl);
  }
  assertEquals(hit.size, DECISION_TABLE.length, "every row is reachable");
});

// ---- every row through buildPidPlan ------------------------------------------------------------

Deno.test("plan: host -> host (scenario 1): host-tgid, host view, supported", () => {
  const plan = buildPidPlan(views(), env(), caps(), { inputPid: 1234 });
  assertEquals(plan.decision, DecisionId.HostSeesInitialTarget);
  assertEquals(plan.filter, { kind: "host-tgid", tgid: 1234 });
  assertEquals(plan.pidView, { kind: "host" });
  assertEquals(plan.support, Support.Supported);
  assertEquals(plan.scenario, Scenario.HostToHost);
  assertEquals(plan.scenarioName, "host -> host");
  assertEquals([plan.perfPid, plan.offsetsKeyPid], [1234, 1234]);
  // The helper is irrelevant here.
  assertEquals(buildPidPlan(views(), env(), NO_HELPER).filter, plan.filter);
});

Deno.test("plan: host -> --pid=host container target is labelled 2", () => {
  const plan = buildPidPlan(
    views({ targetContainerEvidence: ["target cgroup path '/docker/x' contains 'docker'"] }),
    env(),
    caps(),
  );
  assertEquals(plan.scenario, Scenario.HostToSharedPidContainer);
  assertEquals(plan.filter, { kind: "host-tgid", tgid: 1234 });
});

Deno.test("plan: --pid=host container (scenario 4) behaves as 1 even without the helper", () => {
  const e = env({ kind: EnvironmentKind.ContainerLikely, evidence: ["/.dockerenv exists"] });
  const plan = buildPidPlan(views(), e, FORCED_OFF);
  assertEquals(plan.scenario, Scenario.SharedPidContainerToHost);
  assertEquals(plan.filter, { kind: "host-tgid", tgid: 1234 });
  assertEquals(plan.pidView, { kind: "host" });
  assertEquals(plan.support, Support.Supported);
  assertEquals(plan.reason.includes("looks containerized"), true);
});

Deno.test("plan: host -> private container (scenario 3) with helper: $pid in target ns", () => {
  const plan = buildPidPlan(hostToContainerViews(), env(), caps());
  assertEquals(plan.decision, DecisionId.HostSeesNsTargetWithHelper);
  assertEquals(plan.filter, { kind: "host-tgid", tgid: 81234 });
  assertEquals(plan.pidView, { kind: "ns", ns: { dev: DEV, ino: CONTAINER_NS_INO } });
  assertEquals(plan.support, Support.Supported);
  assertEquals(plan.scenario, Scenario.HostToPrivateContainer);
  assertEquals(plan.perfPid, 81234);
});

Deno.test("plan: scenario 3 without helper (or forced off): exact filter, host $pid, conditional", () => {
  for (const c of [NO_HELPER, FORCED_OFF]) {
    const plan = buildPidPlan(hostToContainerViews(), env(), c);
    assertEquals(plan.decision, DecisionId.HostSeesNsTargetNoHelper);
    assertEquals(plan.filter, { kind: "host-tgid", tgid: 81234 });
    assertEquals(plan.pidView, { kind: "host" });
    assertEquals(plan.support, Support.Conditional);
    assertEquals(plan.reason.includes("report host PIDs, not the target's own PID 17"), true);
  }
  assertEquals(
    buildPidPlan(hostToContainerViews(), env(), FORCED_OFF).reason.includes(
      "forced off by GHOSTSCOPE_FORCE_NO_NS_HELPER",
    ),
    true,
  );
});

Deno.test("plan: scenario 3 with the target's dev unknown: host $pid, conditional", () => {
  const plan = buildPidPlan(
    hostToContainerViews({ targetNs: nsIdNoDev(CONTAINER_NS_INO) }),
    env(),
    caps(),
  );
  assertEquals(plan.decision, DecisionId.HostSeesNsTargetNoHelper);
  assertEquals(plan.pidView, { kind: "host" });
  assertEquals(
    plan.reason.includes("device number of the target's PID namespace is unknown"),
    true,
  );
});

Deno.test("plan: same private namespace (scenario 5) with helper: ns-tgid on target ns", () => {
  const e = env({ selfInInitialPidNs: false, kind: EnvironmentKind.ContainerLikely });
  const plan = buildPidPlan(sameContainerViews(), e, caps());
  assertEquals(plan.decision, DecisionId.NsWithHelper);
  assertEquals(plan.filter, { kind: "ns-tgid", ns: { dev: DEV, ino: CONTAINER_NS_INO }, tgid: 17 });
  assertEquals(plan.pidView, { kind: "ns", ns: { dev: DEV, ino: CONTAINER_NS_INO } });
  assertEquals(plan.support, Support.Conditional);
  assertEquals(plan.scenario, Scenario.ContainerToSameNs);
  assertEquals([plan.perfPid, plan.offsetsKeyPid], [17, 17]);
});

Deno.test("plan: cgroup-v2 pod without markers (upstream's 'host-likely' bug) still ns-tgid", () => {
  const plan = buildPidPlan(
    sameContainerViews(),
    env({ kind: EnvironmentKind.HostLikely }),
    caps(),
  );
  assertEquals(plan.filter?.kind, "ns-tgid");
  assertEquals(plan.scenario, Scenario.ContainerToSameNs);
});

Deno.test("plan: nested namespace (scenario 6): filter on the CHILD ns and the chain tail", () => {
  const plan = buildPidPlan(nestedViews(), env({ selfInInitialPidNs: false }), caps());
  assertEquals(plan.decision, DecisionId.NsWithHelper);
  assertEquals(plan.filter, { kind: "ns-tgid", ns: { dev: DEV, ino: NESTED_NS_INO }, tgid: 1 });
  assertEquals(plan.pidView, { kind: "ns", ns: { dev: DEV, ino: NESTED_NS.ino } });
  assertEquals(plan.scenario, Scenario.ContainerToNestedNs);
  // perf_event_open and the offsets key stay on the /proc PID of ghostscope's own view.
  assertEquals([plan.perfPid, plan.offsetsKeyPid], [531, 531]);
  assertEquals(plan.reason.includes("its own TGID 1 differs from the /proc PID 531"), true);
});

Deno.test("plan: private namespace without helper refuses (never NSpid[0] as host PID)", () => {
  const plan = buildPidPlan(nestedViews(), env({ selfInInitialPidNs: false }), FORCED_OFF);
  assertEquals(plan.decision, DecisionId.NsWithoutHelper);
  assertEquals(plan.support, Support.Refused);
  assertEquals(plan.filter, undefined);
  assertEquals(plan.pidView, undefined);
  assertEquals(plan.scenario, Scenario.ContainerToNestedNs);
  assertEquals(
    plan.reason,
    "cannot filter PID 531 reliably: ghostscope runs inside a PID namespace (ino 4026532178) " +
      "and the kernel helper bpf_get_ns_current_pid_tgid is unavailable (forced off by " +
      "GHOSTSCOPE_FORCE_NO_NS_HELPER), so the host PID of the target is unknowable from here; " +
      "run ghostscope on the host or use -t PATH",
  );
  const err = assertThrows(() => requireTraceable(plan), RuntimeFailure);
  assertEquals(err.message, plan.reason);

  const missing = buildPidPlan(sameContainerViews(), env(), NO_HELPER);
  assertEquals(missing.support, Support.Refused);
  assertEquals(missing.reason.includes("unavailable on this kernel"), true);
  const unprobed = buildPidPlan(
    sameContainerViews(),
    env(),
    caps({ nsPidHelper: false, nsPidHelperProbed: undefined, probeErrors: ["EPERM"] }),
  );
  assertEquals(unprobed.reason.includes("could not be probed (EPERM)"), true);
});

Deno.test("plan: private namespace with target dev unknown refuses", () => {
  const plan = buildPidPlan(
    nestedViews({ targetNs: nsIdNoDev(NESTED_NS_INO) }),
    env(),
    caps(),
  );
  assertEquals(plan.decision, DecisionId.NsTargetDevUnknown);
  assertEquals(plan.support, Support.Refused);
  assertEquals(plan.reason.startsWith("cannot filter PID 531 reliably"), true);
  assertEquals(plan.reason.includes("device number of the target's PID namespace"), true);
});

Deno.test("plan: private namespace with an unknown relation refuses (scenario 7)", () => {
  const plan = buildPidPlan(
    sameContainerViews({
      relation: NsRelation.Unknown,
      containerPid: undefined,
      relationNote: "the kernel shows no NStgid/NSpid lines, so the target's own PID is unknown",
    }),
    env(),
    caps(),
  );
  assertEquals(plan.decision, DecisionId.NsUnknownRelation);
  assertEquals(plan.support, Support.Refused);
  assertEquals(plan.scenario, Scenario.ContainerToOutside);
  assertEquals(plan.reason.includes("no NStgid/NSpid lines"), true);
});

Deno.test("plan: /proc of another namespace refuses (scenario 7)", () => {
  const plan = buildPidPlan(
    views({
      hostPid: undefined,
      selfNs: CONTAINER_NS,
      selfInInitialPidNs: false,
      procView: { selfPid: 2, selfPidInProc: 8701, matches: false },
      relation: NsRelation.Unknown,
    }),
    env(),
    caps(),
  );
  assertEquals(plan.decision, DecisionId.ProcViewMismatch);
  assertEquals(plan.support, Support.Refused);
  assertEquals(plan.scenario, Scenario.ContainerToOutside);
  assertEquals(plan.reason.includes("/proc/self is 8701, getpid() is 2"), true);
});

Deno.test("plan: WSL refuses first, whatever else holds", () => {
  const plan = buildPidPlan(
    views(),
    env({ wsl: true, osrelease: "5.15.153.1-microsoft-standard-WSL2" }),
    caps(),
  );
  assertEquals(plan.decision, DecisionId.Wsl);
  assertEquals(plan.support, Support.Refused);
  const err = assertThrows(() => requireTraceable(plan), RuntimeFailure, "does not support WSL");
  assertEquals(err.message.includes("5.15.153.1-microsoft-standard-WSL2"), true);
});

Deno.test("plan: requireTraceable passes traceable plans through", () => {
  const plan = buildPidPlan(views(), env(), caps());
  assertEquals(requireTraceable(plan), plan);
});

Deno.test("plan: every reason is one line", () => {
  const cases = [
    buildPidPlan(views(), env(), caps()),
    buildPidPlan(hostToContainerViews(), env(), NO_HELPER),
    buildPidPlan(nestedViews(), env(), caps()),
    buildPidPlan(nestedViews(), env(), FORCED_OFF),
  ];
  for (const p of cases) assertEquals(p.reason.includes("\n"), false);
});

Deno.test("plan: classifyScenario follows the facts", () => {
  assertEquals(classifyScenario(views(), env()), Scenario.HostToHost);
  assertEquals(classifyScenario(hostToContainerViews(), env()), Scenario.HostToPrivateContainer);
  assertEquals(
    classifyScenario(hostToContainerViews(), env({ kind: EnvironmentKind.ContainerLikely })),
    Scenario.HostToPrivateContainer,
  );
  assertEquals(classifyScenario(sameContainerViews(), env()), Scenario.ContainerToSameNs);
  assertEquals(classifyScenario(nestedViews(), env()), Scenario.ContainerToNestedNs);
});
