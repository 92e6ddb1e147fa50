import { assertEquals } from "./assert.ts";
import { buildPidPlan } from "../lib/pid/plan.ts";
import { formatPidInfo, pidInfoJson } from "../lib/pid/report.ts";
import {
  caps,
  env,
  FORCED_OFF,
  hostToContainerViews,
  nestedViews,
  views,
} from "./fixtures/proc/pid_builders.ts";

function valueOf(text: string, key: string): string {
  const line = text.split("\n").find((l) => l.startsWith(`${key}:`));
  if (line === undefined) throw new Error(`no '${key}:' line in\n${text}`);
  return line.slice(key.length + 1).trim();
}

Deno.test("report: aligned key: value lines for scenario 3", () => {
  const text = formatPidInfo(buildPidPlan(hostToContainerViews(), env(), caps()));
  const lines = text.split("\n");
  // Values start in one column.
  const columns = new Set(
    lines.filter((l) => !l.startsWith(" ")).map((l) => l.search(/(?<=:\s+)\S/)),
  );
  assertEquals(columns.size, 1);
  assertEquals(valueOf(text, "input PID"), "81234");
  assertEquals(valueOf(text, "host PID"), "81234");
  assertEquals(valueOf(text, "container PID"), "17");
  assertEquals(valueOf(text, "TGID chain"), "81234 -> 17 (from NStgid)");
  assertEquals(valueOf(text, "target PID ns"), "dev 4, ino 4026532178 (via stat)");
  assertEquals(valueOf(text, "self PID ns"), "dev 4, ino 4026531836 (via stat, initial)");
  assertEquals(valueOf(text, "ns pid helper"), "available");
  assertEquals(valueOf(text, "filter"), "host-tgid: bpf_get_current_pid_tgid() >> 32 == 81234");
  assertEquals(valueOf(text, "$pid/$tid view"), "namespace dev 4, ino 4026532178");
  assertEquals(valueOf(text, "scenario"), "3 (host -> private PID-namespace container)");
  assertEquals(valueOf(text, "support"), "supported");
  assertEquals(valueOf(text, "evidence"), "none");
});

Deno.test("report: refused plan, forced-off helper, multi-line evidence, thread notice", () => {
  const plan = buildPidPlan(
    nestedViews({
      threadOf: 531,
      inputPid: 533,
      notices: ["PID 533 is a thread of process 531 (app); tracing process 531 (all its threads)"],
    }),
    env({ evidence: ["first", "second"] }),
    FORCED_OFF,
  );
  const text = formatPidInfo(plan);
  assertEquals(valueOf(text, "host PID").startsWith("unknown"), true);
  assertEquals(valueOf(text, "process (TGID)"), "531 (input is one of its threads)");
  assertEquals(
    valueOf(text, "ns pid helper"),
    "forced off by GHOSTSCOPE_FORCE_NO_NS_HELPER (the kernel has it)",
  );
  assertEquals(valueOf(text, "filter"), "none (refused)");
  assertEquals(valueOf(text, "support"), "refused");
  assertEquals(valueOf(text, "reason").startsWith("cannot filter PID 533 reliably"), true);
  const evidence = text.split("\n").findIndex((l) => l.startsWith("evidence:"));
  assertEquals(text.split("\n")[evidence + 1].trim(), "second");
  assertEquals(valueOf(text, "notice").includes("thread of process 531"), true);
});

Deno.test("report: JSON has stable keys, strings for bigints, null for unknowns", () => {
  const json = pidInfoJson(buildPidPlan(nestedViews(), env(), caps()));
  assertEquals(Object.keys(json), [
    "inputPid",
    "procPid",
    "threadOf",
    "comm",
    "hostPid",
    "containerPid",
    "nsTgidChain",
    "chainSource",
    "targetNs",
    "selfNs",
    "selfInInitialPidNs",
    "targetInInitialPidNs",
    "relation",
    "relationNote",
    "procView",
    "environment",
    "caps",
    "filter",
    "pidView",
    "perfPid",
    "offsetsKeyPid",
    "scenario",
    "scenarioName",
    "decision",
    "support",
    "reason",
    "notices",
  ]);
  assertEquals(json.hostPid, null);
  assertEquals(json.threadOf, null);
  assertEquals(json.filter, { kind: "ns-tgid", tgid: 1, ns: { dev: "4", ino: "4026532290" } });
  assertEquals(json.targetNs, { dev: "4", ino: "4026532290", source: "stat" });
  assertEquals(json.scenario, 6);
  // Round-trips through JSON.stringify (no bigint left).
  assertEquals(JSON.parse(JSON.stringify(json)), json);
});

Deno.test("report: JSON of a refused plan has null filter and view", () => {
  const json = pidInfoJson(buildPidPlan(nestedViews(), env(), FORCED_OFF));
  assertEquals([json.filter, json.pidView, json.support], [null, null, "refused"]);
  assertEquals((json.caps as Record<string, unknown>).nsHelperForcedOff, true);
  const host = pidInfoJson(buildPidPlan(views(), env(), caps()));
  assertEquals(host.pidView, { kind: "host" });
});
