/**
 * Renderings of a {@link PidPlan} for `ghostscope pid-info`: aligned human text and a JSON object
 * with stable keys (absent values are `null`, bigints are decimal strings).
 *
 * @module
 */

import type { PidView, TaskFilter } from "../../bpf/task_filter.ts";
import { INITIAL_PID_NS_INO, type PidNsId } from "../proc/ns.ts";
import { describeHelper } from "./caps.ts";
import type { PidPlan } from "./plan.ts";

/** Separator between the PIDs of a namespace chain, outermost first. */
const CHAIN_ARROW = " -> ";

function nsText(ns: PidNsId): string {
  const dev = ns.dev === undefined ? "dev unknown" : `dev ${ns.dev}`;
  const initial = ns.ino === INITIAL_PID_NS_INO ? ", initial" : "";
  return `${dev}, ino ${ns.ino} (via ${ns.source}${initial})`;
}

function filterText(filter: TaskFilter | undefined): string {
  if (filter === undefined) return "none (refused)";
  switch (filter.kind) {
    case "none":
      return "none (every task)";
    case "host-tgid":
      return `host-tgid: bpf_get_current_pid_tgid() >> 32 == ${filter.tgid}`;
    case "ns-tgid":
      return `ns-tgid: bpf_get_ns_current_pid_tgid(dev ${filter.ns.dev}, ino ${filter.ns.ino})` +
        `.tgid == ${filter.tgid}`;
    case "exclude-tgid":
      return `every task except tgid ${filter.tgid}` +
        (filter.ns ? ` in namespace ino ${filter.ns.ino}` : " (host view)");
  }
}

function pidViewText(view: PidView | undefined): string {
  if (view === undefined) return "none (refused)";
  return view.kind === "host"
    ? "host (initial PID namespace)"
    : `namespace dev ${view.ns.dev}, ino ${view.ns.ino}`;
}

/** Formats the plan as aligned `key: value` lines (multi-value keys continue indented). */
export function formatPidInfo(plan: PidPlan): string {
  const v = plan.views;
  const env = plan.environment;
  const rows: Array<[string, string | string[]]> = [
    ["input PID", String(plan.inputPid)],
    [
      "process (TGID)",
      v.threadOf === undefined ? String(v.procPid) : `${v.procPid} (input is one of its threads)`,
    ],
    ["command", v.comm],
    ["/proc PID", String(v.procPid)],
    [
      "host PID",
      v.hostPid === undefined
        ? "unknown (ghostscope is not in the initial PID namespace with a matching /proc)"
        : String(v.hostPid),
    ],
    ["container PID", v.containerPid === undefined ? "unknown" : String(v.containerPid)],
    ["TGID chain", `${v.nsTgidChain.join(CHAIN_ARROW)} (from ${v.chainSource})`],
    ["target PID ns", nsText(v.targetNs)],
    ["self PID ns", nsText(v.selfNs)],
    ["relation", v.relationNote ? `${v.relation} (${v.relationNote})` : v.relation],
    [
      "/proc view",
      v.procView.matches
        ? `ghostscope's own (self = ${v.procView.selfPid})`
        : `another namespace's (/proc/self = ${v.procView.selfPidInProc ?? "missing"}, ` +
          `getpid() = ${v.procView.selfPid})`,
    ],
    ["environment", env.kind],
    ["evidence", env.evidence.length > 0 ? env.evidence : ["none"]],
    ["kernel", `${env.osrelease ?? "unknown"}${env.wsl ? " (WSL)" : ""}`],
    ["ring buffer", plan.caps.ringbuf ? "available" : "unavailable"],
    ["ns pid helper", describeHelper(plan.caps)],
  ];
  if (plan.caps.probeErrors.length > 0) rows.push(["probe errors", plan.caps.probeErrors]);
  rows.push(
    ["filter", filterText(plan.filter)],
    ["$pid/$tid view", pidViewText(plan.pidView)],
    ["perf pid", String(plan.perfPid)],
    ["offsets key PID", String(plan.offsetsKeyPid)],
    ["scenario", `${plan.scenario} (${plan.scenarioName})`],
    ["decision", plan.decision],
    ["support", plan.support],
    ["reason", plan.reason],
  );
  if (v.notices.length > 0) rows.push(["notice", v.notices]);

  const width = Math.max(...rows.map(([key]) => key.length)) + 1;
  const lines: string[] = [];
  for (const [key, value] of rows) {
    const values = Array.isArray(value) ? value : [value];
    values.forEach((text, i) => {
      const label = i === 0 ? `${key}:` : "";
      lines.push(`${label.padEnd(width)} ${text}`);
    });
  }
  return lines.join("\n");
}

/** JSON-safe value: bigints become decimal strings, undefined becomes null. */
type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

function nsJson(ns: PidNsId): Json {
  return {
    dev: ns.dev === undefined ? null : String(ns.dev),
    ino: String(ns.ino),
    source: ns.source,
  };
}

function filterJson(filter: TaskFilter | undefined): Json {
  if (filter === undefined) return null;
  switch (filter.kind) {
    case "none":
      return { kind: "none" };
    case "host-tgid":
      return { kind: "host-tgid", tgid: filter.tgid };
    case "ns-tgid":
      return {
        kind: "ns-tgid",
        tgid: filter.tgid,
        ns: { dev: String(filter.ns.dev), ino: String(filter.ns.ino) },
      };
    case "exclude-tgid":
      return {
        kind: "exclude-tgid",
        tgid: filter.tgid,
        ns: filter.ns ? { dev: String(filter.ns.dev), ino: String(filter.ns.ino) } : null,
      };
  }
}

function pidViewJson(view: PidView | undefined): Json {
  if (view === undefined) return null;
  return view.kind === "host"
    ? { kind: "host" }
    : { kind: "ns", ns: { dev: String(view.ns.dev), ino: String(view.ns.ino) } };
}

/** The plan as a JSON object with stable keys. */
export function pidInfoJson(plan: PidPlan): { [key: string]: Json } {
  const v = plan.views;
  const env = plan.environment;
  const caps = plan.caps;
  return {
    inputPid: plan.inputPid,
    procPid: v.procPid,
    threadOf: v.threadOf ?? null,
    comm: v.comm,
    hostPid: v.hostPid ?? null,
    containerPid: v.containerPid ?? null,
    nsTgidChain: v.nsTgidChain,
    chainSource: v.chainSource,
    targetNs: nsJson(v.targetNs),
    selfNs: nsJson(v.selfNs),
    selfInInitialPidNs: v.selfInInitialPidNs,
    targetInInitialPidNs: v.targetInInitialPidNs,
    relation: v.relation,
    relationNote: v.relationNote ?? null,
    procView: {
      selfPid: v.procView.selfPid,
      selfPidInProc: v.procView.selfPidInProc ?? null,
      matches: v.procView.matches,
    },
    environment: {
      kind: env.kind,
      evidence: env.evidence,
      osrelease: env.osrelease ?? null,
      wsl: env.wsl,
    },
    caps: {
      ringbuf: caps.ringbuf,
      nsPidHelper: caps.nsPidHelper,
      nsPidHelperProbed: caps.nsPidHelperProbed ?? null,
      nsHelperForcedOff: caps.nsHelperForcedOff,
      probeErrors: caps.probeErrors,
    },
    filter: filterJson(plan.filter),
    pidView: pidViewJson(plan.pidView),
    perfPid: plan.perfPid,
    offsetsKeyPid: plan.offsetsKeyPid,
    scenario: plan.scenario,
    scenarioName: plan.scenarioName,
    decision: plan.decision,
    support: plan.support,
    reason: plan.reason,
    notices: v.notices,
  };
}
