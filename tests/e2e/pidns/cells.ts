/**
 * The `-p` container-topology matrix as DATA: one {@link Cell} per (topology, helper on/off),
 * with the exact behaviour ghostscope must show. The test files run these cells against the
 * {@link World} topology and MATRIX.md is generated from this table (matrix_md.ts), so the document
 * and the tests cannot drift apart.
 *
 * Semantics checked for every traced cell (values read with --output json `values`):
 * - `$input_pid` = the number given to -p;
 * - `$host_pid` = the target's real host TGID (the first NStgid entry seen from the host);
 * - `$pid`/`$tid` = the ids in the target's OWN PID namespace when the plan's pidView is `ns`,
 *   host ids when it is `host`;
 * - no event comes from another process (every world has copies of the same binary running).
 *
 * @module
 */

import { DecisionId, Scenario, Support } from "../../../lib/pid/plan.ts";
import type { EnvName, TargetName } from "./world.ts";

/** Helper mode of a run: `off` sets GHOSTSCOPE_FORCE_NO_NS_HELPER=1. */
export type Helper = "on" | "off";

/** Which number the cell passes to -p. */
export type Typed =
  /** The target's TGID as the tool's own /proc shows it (the user contract). */
  | "tool-view"
  /** The target's host PID, even though the tool is in another namespace (S7). */
  | "host-pid"
  /** A thread id (not the main thread) of the target, as the tool's /proc shows it. */
  | "thread-tool-view";

/** What a cell must produce. */
export type Expectation =
  | {
    outcome: "trace";
    scenario: Scenario;
    decision: DecisionId;
    support: Support.Supported | Support.Conditional;
    /** The filter kind pid-info reports and the tracer installs. */
    filter: "host-tgid" | "ns-tgid";
    /** Namespace of `$pid`/`$tid`: `ns` = the target's own namespace. */
    pidView: "host" | "ns";
    /** A line the tracer must print on stderr (and pid-info list among its notices). */
    notice?: RegExp;
    /** Events must come from at least this many distinct threads. */
    minThreads?: number;
  }
  | {
    outcome: "refused";
    scenario: Scenario;
    decision: DecisionId;
    /** Exit code of the tracer (pid-info exits 0 and shows `support: refused`). */
    code: 1;
    message: RegExp;
  }
  | {
    outcome: "not-visible";
    /** Exit code of both the tracer and pid-info. */
    code: 2;
    message: RegExp;
  };

/** Groups = test files. */
export type Group = "host" | "ns" | "edge";

/** One cell of the matrix. */
export interface Cell {
  /** Short id shown in MATRIX.md: S1..S7, or X-... for the extra cases. */
  id: string;
  title: string;
  helper: Helper;
  tool: EnvName;
  target: TargetName;
  typed: Typed;
  expect: Expectation;
  group: Group;
  /** Extra sentence for MATRIX.md. */
  note?: string;
}

/** Test file and test name of each group (MATRIX.md cites them). */
export const GROUP_TESTS: Readonly<Record<Group, { file: string; test: string }>> = {
  host: {
    file: "tests/e2e/pid_matrix_host_test.ts",
    test: "pid matrix: ghostscope in the initial PID namespace (S1-S4)",
  },
  ns: {
    file: "tests/e2e/pid_matrix_ns_test.ts",
    test: "pid matrix: ghostscope in a private PID namespace (S5-S7)",
  },
  edge: {
    file: "tests/e2e/pid_matrix_edge_test.ts",
    test: "pid matrix: colliding PIDs, twin namespaces, thread ids",
  },
};

/** Short name and description of each environment (MATRIX.md). */
export const ENV_TEXT: Readonly<Record<EnvName, { short: string; long: string }>> = {
  host: { short: "host", long: "initial PID ns, a root without container markers" },
  ctr: {
    short: "pid=host ctr",
    long: "`--pid=host` container: initial PID ns, a root with /.dockerenv",
  },
  priv: { short: "private ns", long: "private PID ns: `unshare --pid --fork --mount-proc`" },
  nested: { short: "nested ns", long: "a PID ns created inside the private one (child container)" },
  twin: { short: "other ns", long: "a second, unrelated private PID ns" },
  noproc: {
    short: "private ns, host /proc",
    long: "`unshare --pid --fork` WITHOUT --mount-proc: private PID ns, the host's /proc",
  },
};

/** The environment each target runs in (see World.build). */
export function targetEnv(target: TargetName): EnvName {
  switch (target) {
    case "tHost":
    case "decoyHost":
    case "thrHost":
      return "host";
    case "tCtr":
      return "ctr";
    case "tNested":
    case "thrNested":
      return "nested";
    case "tTwin":
      return "twin";
    case "tPriv":
    case "decoyPriv":
    case "samePriv":
    case "thrPriv":
      return "priv";
  }
}

/** Step name of a cell inside its group's test. */
export function cellName(cell: Cell): string {
  return `${cell.id} [helper ${cell.helper}] ${cell.title}`;
}

const HELPERS: readonly Helper[] = ["on", "off"];

const REFUSE_NO_HELPER: RegExp =
  /^cannot filter PID \d+ reliably: ghostscope runs inside a PID namespace \(ino \d+\) and the kernel helper bpf_get_ns_current_pid_tgid is unavailable \(forced off by GHOSTSCOPE_FORCE_NO_NS_HELPER\), so the host PID of the target is unknowable from here; run ghostscope on the host or use -t PATH$/;
const NOT_VISIBLE: RegExp =
  /^no process with PID \d+ is visible here: most likely it lives outside this PID namespace, or it is not running \(ghostscope runs in PID namespace ino \d+, not the host's; -p expects a PID as ps shows it in this shell\)$/;
const PROC_MISMATCH: RegExp =
  /^cannot filter PID \d+ reliably: the \/proc mounted here belongs to another PID namespace than ghostscope .*run ghostscope on the host or use -t PATH$/;
const THREAD_NOTICE: RegExp =
  /^ghostscope: PID \d+ is a thread of process \d+ \(threads\); tracing process \d+ \(all its threads\)$/;

function both(make: (helper: Helper) => Cell): Cell[] {
  return HELPERS.map(make);
}

/** The whole matrix. */
export const CELLS: readonly Cell[] = [
  // ---------------------------------------------------------------- ghostscope in the host
  ...both((helper) => ({
    id: "S1",
    title: "host -> host",
    helper,
    tool: "host",
    target: "tHost",
    typed: "tool-view",
    group: "host",
    expect: {
      outcome: "trace",
      scenario: Scenario.HostToHost,
      decision: DecisionId.HostSeesInitialTarget,
      support: Support.Supported,
      filter: "host-tgid",
      pidView: "host",
    },
  })),
  ...both((helper) => ({
    id: "S2",
    title: "host -> container sharing the host PID ns",
    helper,
    tool: "host",
    target: "tCtr",
    typed: "tool-view",
    group: "host",
    expect: {
      outcome: "trace",
      scenario: Scenario.HostToSharedPidContainer,
      decision: DecisionId.HostSeesInitialTarget,
      support: Support.Supported,
      filter: "host-tgid",
      pidView: "host",
    },
    note: "labelled scenario 2 because the target's root (not ghostscope's) has /.dockerenv",
  })),
  {
    id: "S3",
    title: "host -> private PID ns",
    helper: "on",
    tool: "host",
    target: "tPriv",
    typed: "tool-view",
    group: "host",
    expect: {
      outcome: "trace",
      scenario: Scenario.HostToPrivateContainer,
      decision: DecisionId.HostSeesNsTargetWithHelper,
      support: Support.Supported,
      filter: "host-tgid",
      pidView: "ns",
    },
  },
  {
    id: "S3",
    title: "host -> private PID ns",
    helper: "off",
    tool: "host",
    target: "tPriv",
    typed: "tool-view",
    group: "host",
    expect: {
      outcome: "trace",
      scenario: Scenario.HostToPrivateContainer,
      decision: DecisionId.HostSeesNsTargetNoHelper,
      support: Support.Conditional,
      filter: "host-tgid",
      pidView: "host",
    },
    note: "still exact (host-tgid), but $pid/$tid are host ids: no helper to read the " +
      "container's",
  },
  ...both((helper) => ({
    id: "S4",
    title: "`--pid=host` container -> host",
    helper,
    tool: "ctr",
    target: "tHost",
    typed: "tool-view",
    group: "host",
    expect: {
      outcome: "trace",
      scenario: Scenario.SharedPidContainerToHost,
      decision: DecisionId.HostSeesInitialTarget,
      support: Support.Supported,
      filter: "host-tgid",
      pidView: "host",
    },
  })),
  // ---------------------------------------------------------------- ghostscope in a private ns
  {
    id: "S5",
    title: "private PID ns -> same ns",
    helper: "on",
    tool: "priv",
    target: "tPriv",
    typed: "tool-view",
    group: "ns",
    expect: {
      outcome: "trace",
      scenario: Scenario.ContainerToSameNs,
      decision: DecisionId.NsWithHelper,
      support: Support.Conditional,
      filter: "ns-tgid",
      pidView: "ns",
    },
  },
  {
    id: "S5",
    title: "private PID ns -> same ns",
    helper: "off",
    tool: "priv",
    target: "tPriv",
    typed: "tool-view",
    group: "ns",
    expect: {
      outcome: "refused",
      scenario: Scenario.ContainerToSameNs,
      decision: DecisionId.NsWithoutHelper,
      code: 1,
      message: REFUSE_NO_HELPER,
    },
  },
  {
    id: "S6",
    title: "private PID ns -> nested child ns",
    helper: "on",
    tool: "priv",
    target: "tNested",
    typed: "tool-view",
    group: "ns",
    expect: {
      outcome: "trace",
      scenario: Scenario.ContainerToNestedNs,
      decision: DecisionId.NsWithHelper,
      support: Support.Conditional,
      filter: "ns-tgid",
      pidView: "ns",
    },
    note: "-p gets the PID the outer ns shows; the filter and $pid use the CHILD ns " +
      "(its own TGID there)",
  },
  {
    id: "S6",
    title: "private PID ns -> nested child ns",
    helper: "off",
    tool: "priv",
    target: "tNested",
    typed: "tool-view",
    group: "ns",
    expect: {
      outcome: "refused",
      scenario: Scenario.ContainerToNestedNs,
      decision: DecisionId.NsWithoutHelper,
      code: 1,
      message: REFUSE_NO_HELPER,
    },
  },
  ...both((helper) => ({
    id: "S7",
    title: "private PID ns -> host process (host PID typed)",
    helper,
    tool: "priv",
    target: "tHost",
    typed: "host-pid",
    group: "ns",
    expect: { outcome: "not-visible", code: 2, message: NOT_VISIBLE },
  })),
  ...both((helper) => ({
    id: "S7b",
    title: "private PID ns seeing the host's /proc -> host process",
    helper,
    tool: "noproc",
    target: "tHost",
    typed: "host-pid",
    group: "ns",
    expect: {
      outcome: "refused",
      scenario: Scenario.ContainerToOutside,
      decision: DecisionId.ProcViewMismatch,
      code: 1,
      message: PROC_MISMATCH,
    },
    note: "the host's processes ARE visible in this /proc, but its PIDs are not ghostscope's",
  })),
  // ---------------------------------------------------------------- extra cases
  {
    id: "X-same-number",
    title: "private PID ns -> PID N, also the host PID of another copy",
    helper: "on",
    tool: "priv",
    target: "samePriv",
    typed: "tool-view",
    group: "edge",
    expect: {
      outcome: "trace",
      scenario: Scenario.ContainerToSameNs,
      decision: DecisionId.NsWithHelper,
      support: Support.Conditional,
      filter: "ns-tgid",
      pidView: "ns",
    },
    note: "traces the in-namespace process, never the host process with that number",
  },
  {
    id: "X-same-number",
    title: "private PID ns -> PID N, also the host PID of another copy",
    helper: "off",
    tool: "priv",
    target: "samePriv",
    typed: "tool-view",
    group: "edge",
    expect: {
      outcome: "refused",
      scenario: Scenario.ContainerToSameNs,
      decision: DecisionId.NsWithoutHelper,
      code: 1,
      message: REFUSE_NO_HELPER,
    },
    note: "refused rather than a host-tgid filter on N (which would trace the host copy)",
  },
  {
    id: "X-twins",
    title: "private PID ns -> its PID 2 (another ns has a PID-2 copy)",
    helper: "on",
    tool: "priv",
    target: "tPriv",
    typed: "tool-view",
    group: "edge",
    expect: {
      outcome: "trace",
      scenario: Scenario.ContainerToSameNs,
      decision: DecisionId.NsWithHelper,
      support: Support.Conditional,
      filter: "ns-tgid",
      pidView: "ns",
    },
    note: "every event's $host_pid is the chosen copy's, though both copies have $pid 2",
  },
  ...both((helper) => ({
    id: "X-twins",
    title: "host -> one of two PID-2 copies in two namespaces",
    helper,
    tool: "host",
    target: "tTwin",
    typed: "tool-view",
    group: "edge",
    expect: {
      outcome: "trace",
      scenario: Scenario.HostToPrivateContainer,
      decision: helper === "on"
        ? DecisionId.HostSeesNsTargetWithHelper
        : DecisionId.HostSeesNsTargetNoHelper,
      support: helper === "on" ? Support.Supported : Support.Conditional,
      filter: "host-tgid",
      pidView: helper === "on" ? "ns" : "host",
    },
    note: "only the chosen copy is traced (checked through $host_pid)",
  })),
  ...both((helper) => ({
    id: "X-thread",
    title: "host -> a thread id of a host process",
    helper,
    tool: "host",
    target: "thrHost",
    typed: "thread-tool-view",
    group: "edge",
    expect: {
      outcome: "trace",
      scenario: Scenario.HostToHost,
      decision: DecisionId.HostSeesInitialTarget,
      support: Support.Supported,
      filter: "host-tgid",
      pidView: "host",
      notice: THREAD_NOTICE,
      minThreads: 2,
    },
  })),
  {
    id: "X-thread",
    title: "private PID ns -> a thread id in the same ns",
    helper: "on",
    tool: "priv",
    target: "thrPriv",
    typed: "thread-tool-view",
    group: "edge",
    expect: {
      outcome: "trace",
      scenario: Scenario.ContainerToSameNs,
      decision: DecisionId.NsWithHelper,
      support: Support.Conditional,
      filter: "ns-tgid",
      pidView: "ns",
      notice: THREAD_NOTICE,
      minThreads: 2,
    },
  },
  {
    id: "X-thread",
    title: "private PID ns -> a thread id (outer view) in a nested ns",
    helper: "on",
    tool: "priv",
    target: "thrNested",
    typed: "thread-tool-view",
    group: "edge",
    expect: {
      outcome: "trace",
      scenario: Scenario.ContainerToNestedNs,
      decision: DecisionId.NsWithHelper,
      support: Support.Conditional,
      filter: "ns-tgid",
      pidView: "ns",
      notice: THREAD_NOTICE,
      minThreads: 2,
    },
  },
];

/** The cells of one group. */
export function cellsOf(group: Group): Cell[] {
  return CELLS.filter((c) => c.group === group);
}
