/**
 * The PID plan: from resolved {@link PidViews}, the {@link RuntimeEnvironment} and the
 * {@link KernelCaps}, decide HOW the kernel side recognises the target (TaskFilter), which
 * namespace `$pid`/`$tid` speak (PidView), and whether ghostscope should trace at all.
 * `ghostscope pid-info` prints this very object and the tracer consumes it.
 *
 * Reality over the seed document (see the kernel facts in resolve.ts and
 * /work/shared/reference/kernel-recipes.md Step 7):
 * - Upstream filters on `NSpid[0]` as "host PID". NSpid starts at the namespace of the /proc being
 *   read, so that value is the host PID ONLY when ghostscope runs in the initial PID namespace.
 *   Here a host-tgid filter is installed only in that case, and then it is always exact.
 * - `bpf_get_ns_current_pid_tgid(dev, ino)` does not translate: it answers only when the current
 *   task's OWN active namespace is `(dev, ino)`. So the namespace filter must use the TARGET's
 *   namespace and the target's innermost TGID (chain tail), which is right for the same namespace
 *   (scenario 5) and for a nested one (scenario 6). Using ghostscope's namespace would never match
 *   a nested target.
 * - Inside a private PID namespace without that helper, nothing we can read gives the host TGID,
 *   so we refuse instead of installing a filter that silently never matches.
 * - perf_event_open interprets its pid argument in the CALLER's namespace, so the /proc PID scopes
 *   the uprobe correctly in every supported row (verified, kernel-recipes S3c).
 * - Environment markers (/.dockerenv, cgroup names) never drive a decision; they only label the
 *   scenario (for example 4 vs 1), which upstream got wrong for cgroup-v2 pods.
 *
 * @module
 */

import type { PidNsRef, PidView, TaskFilter } from "../../bpf/task_filter.ts";
import { RuntimeFailure } from "../errors.ts";
import type { PidNsId } from "../proc/ns.ts";
import { FORCE_NO_NS_HELPER_ENV, type KernelCaps } from "./caps.ts";
import { EnvironmentKind, type RuntimeEnvironment } from "./environment.ts";
import { NsRelation, type PidViews } from "./resolve.ts";

/** Scenario numbers of the container-environments contract (seed document). */
export enum Scenario {
  HostToHost = 1,
  HostToSharedPidContainer = 2,
  HostToPrivateContainer = 3,
  SharedPidContainerToHost = 4,
  ContainerToSameNs = 5,
  ContainerToNestedNs = 6,
  ContainerToOutside = 7,
}

/** The seed's name of each scenario. */
export const SCENARIO_NAMES: Readonly<Record<Scenario, string>> = {
  [Scenario.HostToHost]: "host -> host",
  [Scenario.HostToSharedPidContainer]: "host -> --pid=host container",
  [Scenario.HostToPrivateContainer]: "host -> private PID-namespace container",
  [Scenario.SharedPidContainerToHost]: "--pid=host container -> host / shared-PID target",
  [Scenario.ContainerToSameNs]: "private PID-namespace container -> same private PID namespace",
  [Scenario.ContainerToNestedNs]:
    "private PID-namespace container -> descendant / nested private PID namespace",
  [Scenario.ContainerToOutside]: "private PID-namespace container -> target outside that namespace",
};

/** How well the plan can keep the -p contract. */
export enum Support {
  /** Exact filter and the expected `$pid` namespace. */
  Supported = "supported",
  /** Exact filter, but something depends on a condition (see the reason). */
  Conditional = "conditional",
  /** ghostscope will not trace: it would have to guess. */
  Refused = "refused",
}

/** Identifier of each decision-table row. */
export enum DecisionId {
  Wsl = "wsl",
  ProcViewMismatch = "proc-view-mismatch",
  HostSeesInitialTarget = "host-sees-initial-target",
  HostSeesNsTargetWithHelper = "host-sees-ns-target-with-helper",
  HostSeesNsTargetNoHelper = "host-sees-ns-target-without-helper",
  NsWithoutHelper = "ns-without-helper",
  NsUnknownRelation = "ns-unknown-relation",
  NsTargetDevUnknown = "ns-target-dev-unknown",
  NsWithHelper = "ns-with-helper",
}

/** Which filter a row installs. */
export enum FilterChoice {
  /** host-tgid filter on the /proc PID (only valid when /proc is the initial namespace's). */
  HostTgidProcPid = "host-tgid(procPid)",
  /** ns-tgid filter on the target's own namespace and innermost TGID. */
  NsTgidTarget = "ns-tgid(targetNs, containerPid)",
  /** Nothing: the row refuses. */
  Refuse = "refuse",
}

/** Which namespace `$pid`/`$tid` use. */
export enum PidViewChoice {
  Host = "host",
  TargetNs = "target-ns",
  /** Refused rows have no view. */
  None = "none",
}

/** The facts the decision table reads (all booleans, so the table is exhaustive to test). */
export interface DecisionFacts {
  /** The kernel is a WSL kernel. */
  wsl: boolean;
  /** `/proc/self` is ghostscope's own getpid(): /proc speaks ghostscope's namespace. */
  procViewMatches: boolean;
  /** ghostscope's PID namespace inode is 4026531836. */
  selfInInitialNs: boolean;
  /** The target's PID namespace inode is 4026531836. */
  targetInInitialNs: boolean;
  /** The target's namespace relation to ours is known (same or descendant). */
  relationKnown: boolean;
  /** bpf_get_ns_current_pid_tgid usable (probed and not forced off). */
  helper: boolean;
  /** The target namespace's device number is known (stat worked, not only readlink). */
  targetDevKnown: boolean;
}

/** One row of the decision table. */
export interface DecisionRow {
  id: DecisionId;
  /** Human condition, printed by tests and docs. */
  condition: string;
  when: (f: DecisionFacts) => boolean;
  filter: FilterChoice;
  pidView: PidViewChoice;
  support: Support;
}

/**
 * The decision table; the FIRST matching row wins. Rows for ghostscope in the initial namespace
 * come first and never refuse: there the /proc PID is the host TGID, so host-tgid is exact.
 */
export const DECISION_TABLE: readonly DecisionRow[] = [
  {
    id: DecisionId.Wsl,
    condition: "WSL kernel",
    when: (f) => f.wsl,
    filter: FilterChoice.Refuse,
    pidView: PidViewChoice.None,
    support: Support.Refused,
  },
  {
    id: DecisionId.ProcViewMismatch,
    condition: "/proc belongs to another PID namespace than ghostscope",
    when: (f) => !f.procViewMatches,
    filter: FilterChoice.Refuse,
    pidView: PidViewChoice.None,
    support: Support.Refused,
  },
  {
    id: DecisionId.HostSeesInitialTarget,
    condition: "self in initial ns, target in initial ns",
    when: (f) => f.selfInInitialNs && f.targetInInitialNs,
    filter: FilterChoice.HostTgidProcPid,
    pidView: PidViewChoice.Host,
    support: Support.Supported,
  },
  {
    id: DecisionId.HostSeesNsTargetWithHelper,
    condition: "self in initial ns, target in a nested ns, helper and target dev known",
    when: (f) => f.selfInInitialNs && f.helper && f.targetDevKnown,
    filter: FilterChoice.HostTgidProcPid,
    pidView: PidViewChoice.TargetNs,
    support: Support.Supported,
  },
  {
    id: DecisionId.HostSeesNsTargetNoHelper,
    condition: "self in initial ns, target in a nested ns, no helper or target dev unknown",
    when: (f) => f.selfInInitialNs,
    filter: FilterChoice.HostTgidProcPid,
    pidView: PidViewChoice.Host,
    support: Support.Conditional,
  },
  {
    id: DecisionId.NsWithoutHelper,
    condition: "self in a private ns, helper unavailable or forced off",
    when: (f) => !f.helper,
    filter: FilterChoice.Refuse,
    pidView: PidViewChoice.None,
    support: Support.Refused,
  },
  {
    id: DecisionId.NsUnknownRelation,
    condition: "self in a private ns, target's own PID not establishable",
    when: (f) => !f.relationKnown,
    filter: FilterChoice.Refuse,
    pidView: PidViewChoice.None,
    support: Support.Refused,
  },
  {
    id: DecisionId.NsTargetDevUnknown,
    condition: "self in a private ns, target namespace dev unknown",
    when: (f) => !f.targetDevKnown,
    filter: FilterChoice.Refuse,
    pidView: PidViewChoice.None,
    support: Support.Refused,
  },
  {
    id: DecisionId.NsWithHelper,
    condition: "self in a private ns, helper, target dev and own PID known",
    when: () => true,
    filter: FilterChoice.NsTgidTarget,
    pidView: PidViewChoice.TargetNs,
    support: Support.Conditional,
  },
];

/** Returns the first row whose condition holds (the last row matches everything). */
export function decide(facts: DecisionFacts): DecisionRow {
  const row = DECISION_TABLE.find((r) => r.when(facts));
  // Unreachable: the last row's condition is always true.
  if (!row) throw new Error("internal error: PID decision table is not exhaustive");
  return row;
}

/** Extracts the decision facts. */
export function decisionFacts(
  views: PidViews,
  env: RuntimeEnvironment,
  caps: KernelCaps,
): DecisionFacts {
  return {
    wsl: env.wsl,
    procViewMatches: views.procView.matches,
    selfInInitialNs: views.selfInInitialPidNs,
    targetInInitialNs: views.targetInInitialPidNs,
    relationKnown: views.relation !== NsRelation.Unknown && views.containerPid !== undefined,
    // A getter: caps may be probed lazily, and the rows that match first never ask.
    get helper() {
      return caps.nsPidHelper;
    },
    targetDevKnown: views.targetNs.dev !== undefined,
  };
}

/** Best scenario label from facts (markers only separate 1, 2 and 4, which behave alike). */
export function classifyScenario(views: PidViews, env: RuntimeEnvironment): Scenario {
  if (!views.procView.matches) return Scenario.ContainerToOutside;
  if (views.selfInInitialPidNs) {
    if (!views.targetInInitialPidNs) return Scenario.HostToPrivateContainer;
    if (env.kind === EnvironmentKind.ContainerLikely) return Scenario.SharedPidContainerToHost;
    if (views.targetContainerEvidence.length > 0) return Scenario.HostToSharedPidContainer;
    return Scenario.HostToHost;
  }
  if (views.relation === NsRelation.Same) return Scenario.ContainerToSameNs;
  if (views.relation === NsRelation.Descendant) return Scenario.ContainerToNestedNs;
  return Scenario.ContainerToOutside;
}

/** Fields every plan has. */
interface PidPlanBase {
  inputPid: number;
  views: PidViews;
  environment: RuntimeEnvironment;
  caps: KernelCaps;
  /** perf_event_open's pid argument: the /proc PID (interpreted in ghostscope's namespace). */
  perfPid: number;
  /** Key of proc_module_offsets: the /proc PID whose maps userspace reads. */
  offsetsKeyPid: number;
  scenario: Scenario;
  scenarioName: string;
  decision: DecisionId;
  /** One human sentence explaining the choice (for a refused plan: the error message). */
  reason: string;
}

/** A plan the tracer may run. */
export interface TraceablePidPlan extends PidPlanBase {
  support: Support.Supported | Support.Conditional;
  filter: TaskFilter;
  pidView: PidView;
}

/** A plan that refuses to trace; `reason` is the RuntimeFailure message. */
export interface RefusedPidPlan extends PidPlanBase {
  support: Support.Refused;
  filter: undefined;
  pidView: undefined;
}

/** The one plan shared by `pid-info` and the tracer. */
export type PidPlan = TraceablePidPlan | RefusedPidPlan;

/** Options of {@link buildPidPlan}. */
export interface BuildPlanOptions {
  /** The -p value (defaults to `views.inputPid`). */
  inputPid?: number;
}

function nsRef(ns: PidNsId): PidNsRef {
  if (ns.dev === undefined) {
    throw new Error("internal error: namespace reference without a device number");
  }
  return { dev: ns.dev, ino: ns.ino };
}

function describeNs(ns: PidNsId): string {
  return ns.dev === undefined ? `ino ${ns.ino}, dev unknown` : `dev ${ns.dev}, ino ${ns.ino}`;
}

/** Why the helper cannot be used, as a clause. */
function helperUnavailableClause(caps: KernelCaps): string {
  if (caps.nsHelperForcedOff) {
    return `the kernel helper bpf_get_ns_current_pid_tgid is unavailable (forced off by ` +
      `${FORCE_NO_NS_HELPER_ENV})`;
  }
  if (caps.nsPidHelperProbed === undefined) {
    return "the kernel helper bpf_get_ns_current_pid_tgid could not be probed " +
      `(${caps.probeErrors.join("; ") || "probe failed"})`;
  }
  return "the kernel helper bpf_get_ns_current_pid_tgid is unavailable on this kernel";
}

/** The advice that ends every refusal. */
const RUN_ELSEWHERE = "run ghostscope on the host or use -t PATH";

/** Builds the reason sentence of a row. */
function reasonFor(
  row: DecisionRow,
  views: PidViews,
  env: RuntimeEnvironment,
  caps: KernelCaps,
  inputPid: number,
): string {
  const p = views.procPid;
  const selfIno = views.selfNs.ino;
  const own = views.containerPid === undefined ? "unknown" : String(views.containerPid);
  switch (row.id) {
    case DecisionId.Wsl:
      return `ghostscope does not support WSL (kernel ${env.osrelease}): WSL reports PIDs to BPF ` +
        `that do not match the distribution's view, and bpf_get_ns_current_pid_tgid does not fix it`;
    case DecisionId.ProcViewMismatch:
      return `cannot filter PID ${inputPid} reliably: the /proc mounted here belongs to another ` +
        `PID namespace than ghostscope (/proc/self is ${
          views.procView.selfPidInProc ?? "missing"
        }, ` +
        `getpid() is ${views.procView.selfPid}), so its PIDs mean nothing to the kernel calls ` +
        `that take a PID; mount a /proc for this namespace (unshare --mount-proc), ${RUN_ELSEWHERE}`;
    case DecisionId.HostSeesInitialTarget: {
      const container = env.kind === EnvironmentKind.ContainerLikely
        ? " (ghostscope looks containerized but shares the host PID namespace)"
        : "";
      return `ghostscope and the target share the initial PID namespace${container}: ` +
        `PID ${p} is the host TGID, so the host-tgid filter is exact and $pid/$tid are host PIDs`;
    }
    case DecisionId.HostSeesNsTargetWithHelper:
      return `ghostscope runs in the initial PID namespace, so PID ${p} is the target's host TGID ` +
        `and the host-tgid filter is exact; the target lives in PID namespace ino ` +
        `${views.targetNs.ino} where its PID is ${own}, and $pid/$tid report that namespace's ` +
        `PIDs through bpf_get_ns_current_pid_tgid`;
    case DecisionId.HostSeesNsTargetNoHelper: {
      const why = caps.nsPidHelper
        ? "the device number of the target's PID namespace is unknown (only readlink worked)"
        : helperUnavailableClause(caps);
      return `ghostscope runs in the initial PID namespace, so PID ${p} is the target's host TGID ` +
        `and the host-tgid filter is exact; but $pid/$tid will report host PIDs, not the ` +
        `target's own PID ${own} in namespace ino ${views.targetNs.ino}, because ${why}`;
    }
    case DecisionId.NsWithoutHelper:
      return `cannot filter PID ${inputPid} reliably: ghostscope runs inside a PID namespace ` +
        `(ino ${selfIno}) and ${helperUnavailableClause(caps)}, so the host PID of the target ` +
        `is unknowable from here; ${RUN_ELSEWHERE}`;
    case DecisionId.NsUnknownRelation:
      return `cannot filter PID ${inputPid} reliably: ghostscope runs inside a PID namespace ` +
        `(ino ${selfIno}) and the target's PID in its own namespace cannot be established ` +
        `(${views.relationNote ?? "relation unknown"}); ${RUN_ELSEWHERE}`;
    case DecisionId.NsTargetDevUnknown:
      return `cannot filter PID ${inputPid} reliably: ghostscope runs inside a PID namespace ` +
        `(ino ${selfIno}), so the host PID of the target is unknowable from here, and the device ` +
        `number of the target's PID namespace is unknown (stat of /proc/${p}/ns/pid failed), ` +
        `which bpf_get_ns_current_pid_tgid needs; ${RUN_ELSEWHERE}`;
    case DecisionId.NsWithHelper: {
      const nested = views.relation === NsRelation.Descendant
        ? `the target lives in a nested namespace, so its own TGID ${own} differs from the /proc ` +
          `PID ${p} (which stays the key for maps and offsets)`
        : `the target shares ghostscope's namespace, so its own TGID is the /proc PID ${p}`;
      return `ghostscope runs inside a PID namespace (ino ${selfIno}), so the target's host PID ` +
        `is unknowable; the filter keeps tasks whose active PID namespace is the target's ` +
        `(${describeNs(views.targetNs)}) with TGID ${own} there, via ` +
        `bpf_get_ns_current_pid_tgid; ${nested}; conditional: this depends on that helper, and ` +
        `host PIDs stay unknowable here (events show host ids as 0; $host_pid prints the ` +
        `kernel's host TGID, which no process visible here has)`;
    }
  }
}

/**
 * Builds the plan. Never throws for a refusal: a refused plan is returned so `pid-info` can show
 * it; the tracer calls {@link requireTraceable}.
 */
export function buildPidPlan(
  views: PidViews,
  env: RuntimeEnvironment,
  caps: KernelCaps,
  options: BuildPlanOptions = {},
): PidPlan {
  const inputPid = options.inputPid ?? views.inputPid;
  const row = decide(decisionFacts(views, env, caps));
  const scenario = classifyScenario(views, env);
  const base: PidPlanBase = {
    inputPid,
    views,
    environment: env,
    caps,
    perfPid: views.procPid,
    offsetsKeyPid: views.procPid,
    scenario,
    scenarioName: SCENARIO_NAMES[scenario],
    decision: row.id,
    reason: reasonFor(row, views, env, caps, inputPid),
  };
  if (row.support === Support.Refused) {
    return { ...base, support: Support.Refused, filter: undefined, pidView: undefined };
  }
  const filter: TaskFilter = row.filter === FilterChoice.NsTgidTarget
    ? { kind: "ns-tgid", ns: nsRef(views.targetNs), tgid: views.containerPid as number }
    : { kind: "host-tgid", tgid: views.procPid };
  const pidView: PidView = row.pidView === PidViewChoice.TargetNs
    ? { kind: "ns", ns: nsRef(views.targetNs) }
    : { kind: "host" };
  return { ...base, support: row.support, filter, pidView };
}

/**
 * Returns the plan if it may be traced.
 *
 * @throws RuntimeFailure with the plan's reason when it is refused
 */
export function requireTraceable(plan: PidPlan): TraceablePidPlan {
  if (plan.support === Support.Refused) throw new RuntimeFailure(plan.reason);
  return plan;
}
