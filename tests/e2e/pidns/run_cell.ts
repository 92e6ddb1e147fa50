/**
 * Runs matrix cells: for each cell, `ghostscope pid-info N --json` and a trace run
 * (`-p N`, the four PID builtins printed, `--output json`) in the cell's tool environment, then
 * checks both against facts read from the host and against each other (same plan object:
 * filter, pidView, support, decision, reason).
 *
 * @module
 */

import { assertEquals, assertMatch } from "../../assert.ts";
import { e2eTest, IN_CI, type RunResult } from "../harness.ts";
import {
  type Cell,
  cellName,
  cellsOf,
  type Expectation,
  type Group,
  GROUP_TESTS,
} from "./cells.ts";
import { type HostFacts, runnerInInitialPidNs } from "./host_facts.ts";
import { type Env, ghostscopeIn, World } from "./world.ts";

/** The script every cell traces: the four PID builtins, in this order. */
export const PID_SCRIPT =
  'trace add { print "pid={} tid={} host={} input={}", $pid, $tid, $host_pid, $input_pid; }';
/** Events each traced cell waits for (threaded targets: enough to see several threads). */
const MAX_EVENTS = 3;
const MAX_EVENTS_THREADS = 12;
/** ghostscope's own stop if events never come (a wrong filter): fail, do not hang. */
const TRACE_DURATION_S = 20;
const RUN_TIMEOUT_MS = 45_000;
/** Cells run at once (2-vCPU VMs: a few Deno processes at a time). */
const CONCURRENCY = 4;

type Json = Record<string, unknown>;

/** One decoded event line of `--output json`. */
export interface MatrixEvent {
  header: { pid: number; tid: number; host_pid: number; host_tid: number };
  pid: number;
  tid: number;
  hostPid: number;
  inputPid: number;
}

/** What one cell produced. */
export interface CellRun {
  typed: number;
  facts: HostFacts;
  info: RunResult;
  trace: RunResult;
}

/** Environment variables of a run in a helper mode ("0" also overrides an inherited "1"). */
export function helperVars(helper: "on" | "off"): Record<string, string> {
  return { GHOSTSCOPE_FORCE_NO_NS_HELPER: helper === "off" ? "1" : "0" };
}

/** The -p value of a cell, computed from host-side facts. */
export function typedPid(cell: Cell, tool: Env, facts: HostFacts): number {
  switch (cell.typed) {
    case "host-pid":
      return facts.chain[0];
    case "tool-view":
      if (facts.chain.length <= tool.level) {
        throw new Error(`${cell.target} is not visible from ${tool.name}`);
      }
      return facts.chain[tool.level];
    case "thread-tool-view": {
      const thread = facts.threads.find((th) => th.hostTid !== facts.hostPid);
      if (!thread) throw new Error(`${cell.target} has no second thread`);
      return thread.chain[tool.level];
    }
  }
}

/** Runs pid-info and the tracer for one cell (concurrently: they are independent). */
export async function runCell(world: World, cell: Cell): Promise<CellRun> {
  const tool = world.env(cell.tool);
  const facts = world.target(cell.target).facts();
  const typed = typedPid(cell, tool, facts);
  const vars = helperVars(cell.helper);
  const maxEvents = cell.expect.outcome === "trace" && cell.expect.minThreads
    ? MAX_EVENTS_THREADS
    : MAX_EVENTS;
  const [info, trace] = await Promise.all([
    ghostscopeIn(tool, ["pid-info", String(typed), "--json"], vars, RUN_TIMEOUT_MS),
    ghostscopeIn(
      tool,
      [
        "-p",
        String(typed),
        "-s",
        PID_SCRIPT,
        "--max-events",
        String(maxEvents),
        "--duration",
        String(TRACE_DURATION_S),
        "--output",
        "json",
      ],
      vars,
      RUN_TIMEOUT_MS,
    ),
  ]);
  return { typed, facts, info, trace };
}

/** Parses the event lines of a `--output json` run. */
export function parseEvents(stdout: string): MatrixEvent[] {
  return stdout.split("\n").filter((l) => l.startsWith("{")).map((line) => {
    const obj = JSON.parse(line) as Json;
    const values = obj.values as number[];
    return {
      header: {
        pid: obj.pid as number,
        tid: obj.tid as number,
        host_pid: obj.host_pid as number,
        host_tid: obj.host_tid as number,
      },
      pid: values[0],
      tid: values[1],
      hostPid: values[2],
      inputPid: values[3],
    };
  });
}

function describe(what: string, r: RunResult): string {
  return `${what}: exit ${r.code}${r.timedOut ? " (timed out)" : ""}\n  stdout: ${
    r.stdout.split("\n").slice(-6).join("\n          ")
  }\n  stderr: ${r.stderr.split("\n").slice(-6).join("\n          ")}`;
}

/**
 * A reason with the one value that legitimately differs between two ghostscope processes masked:
 * the proc-view-mismatch reason quotes the process' own /proc/self.
 */
export function sameProcessText(text: string): string {
  return text.replace(/\/proc\/self is \d+/g, "/proc/self is N");
}

/** The non-empty lines of a run's stderr. */
export function stderrLines(r: RunResult): string[] {
  return r.stderr.split("\n").filter((l) => l.trim() !== "");
}

/** Checks one cell's run against its expectation and the host-side facts. */
export function checkCell(cell: Cell, tool: Env, run: CellRun): void {
  const ctx = `${cellName(cell)} (-p ${run.typed}, target host pid ${run.facts.hostPid}, ` +
    `chain ${run.facts.chain.join(" ")})\n${describe("pid-info", run.info)}\n${
      describe("trace", run.trace)
    }`;
  const exp = cell.expect;
  switch (exp.outcome) {
    case "trace":
      return checkTraced(exp, tool, run, ctx);
    case "refused":
      return checkRefused(exp, run, ctx);
    case "not-visible":
      return checkNotVisible(exp, run, ctx);
  }
}

function checkTraced(
  exp: Extract<Expectation, { outcome: "trace" }>,
  tool: Env,
  run: CellRun,
  ctx: string,
): void {
  const { facts, typed } = run;
  // ---- pid-info: the plan
  assertEquals(run.info.code, 0, `pid-info failed\n${ctx}`);
  const plan = JSON.parse(run.info.stdout) as Json;
  const filter = plan.filter as Json;
  const pidView = plan.pidView as Json;
  assertEquals(
    {
      inputPid: plan.inputPid,
      procPid: plan.procPid,
      containerPid: plan.containerPid,
      hostPid: plan.hostPid,
      support: plan.support,
      decision: plan.decision,
      scenario: plan.scenario,
      filter: filter?.kind,
      pidView: pidView?.kind,
    },
    {
      inputPid: typed,
      procPid: facts.chain[tool.level],
      containerPid: facts.ownPid,
      // Only ghostscope in the initial namespace can know the host PID.
      hostPid: tool.level === 0 ? facts.hostPid : null,
      support: exp.support,
      decision: exp.decision,
      scenario: exp.scenario,
      filter: exp.filter,
      pidView: exp.pidView,
    },
    `pid-info plan\n${ctx}`,
  );
  if (exp.filter === "host-tgid") {
    assertEquals(filter.tgid, facts.hostPid, `host-tgid filter value\n${ctx}`);
  } else {
    assertEquals(
      { tgid: filter.tgid, ino: (filter.ns as Json).ino },
      { tgid: facts.ownPid, ino: facts.nsIno },
      `ns-tgid filter: the target's own namespace and TGID\n${ctx}`,
    );
  }
  if (exp.pidView === "ns") {
    assertEquals((pidView.ns as Json).ino, facts.nsIno, `pidView namespace\n${ctx}`);
  }

  // ---- the tracer: events
  assertEquals(run.trace.code, 0, `trace exit code\n${ctx}`);
  const events = parseEvents(run.trace.stdout);
  const wanted = exp.minThreads ? MAX_EVENTS_THREADS : MAX_EVENTS;
  assertEquals(events.length, wanted, `number of events\n${ctx}`);
  const ownView = exp.pidView === "ns";
  const expectedPid = ownView ? facts.ownPid : facts.hostPid;
  const tidOf = (chain: number[]) => ownView ? chain[chain.length - 1] : chain[0];
  const tids = new Set<number>();
  for (const ev of events) {
    const thread = facts.threads.find((th) => tidOf(th.chain) === ev.tid);
    assertEquals(
      {
        pid: ev.pid,
        hostPid: ev.hostPid,
        inputPid: ev.inputPid,
        tidIsATargetThread: thread !== undefined,
      },
      { pid: expectedPid, hostPid: facts.hostPid, inputPid: typed, tidIsATargetThread: true },
      `event values [$pid $tid $host_pid $input_pid] = ` +
        `[${ev.pid} ${ev.tid} ${ev.hostPid} ${ev.inputPid}]\n${ctx}`,
    );
    tids.add(ev.tid);
    // The JSON header shows the ids as ps shows them where ghostscope runs, for the same task as
    // $tid: host ids in the initial namespace; inside a namespace the ids in its /proc. The
    // host ids are the kernel's, wherever ghostscope runs (what $host_pid prints).
    assertEquals(
      ev.header,
      {
        pid: facts.chain[tool.level],
        tid: thread!.chain[tool.level],
        host_pid: facts.hostPid,
        host_tid: thread!.hostTid,
      },
      `event header\n${ctx}`,
    );
  }
  if (exp.minThreads) {
    assertEquals(tids.size >= exp.minThreads, true, `events from ${tids.size} threads\n${ctx}`);
  }
  if (exp.notice) {
    const notice = stderrLines(run.trace).find((l) => exp.notice!.test(l));
    assertEquals(notice !== undefined, true, `notice on stderr\n${ctx}`);
    assertEquals(
      (plan.notices as string[]).includes(notice!.replace(/^ghostscope: /, "")),
      true,
      `pid-info lists the tracer's notice\n${ctx}`,
    );
  }
}

function checkRefused(
  exp: Extract<Expectation, { outcome: "refused" }>,
  run: CellRun,
  ctx: string,
): void {
  assertEquals(run.info.code, 0, `pid-info exits 0 for a refused plan\n${ctx}`);
  const plan = JSON.parse(run.info.stdout) as Json;
  assertEquals(
    {
      support: plan.support,
      decision: plan.decision,
      scenario: plan.scenario,
      filter: plan.filter,
      pidView: plan.pidView,
    },
    {
      support: "refused",
      decision: exp.decision,
      scenario: exp.scenario,
      filter: null,
      pidView: null,
    },
    `pid-info plan\n${ctx}`,
  );
  assertMatch(String(plan.reason), exp.message, `refusal reason\n${ctx}`);
  assertEquals(run.trace.code, exp.code, `trace exit code\n${ctx}`);
  assertEquals(
    stderrLines(run.trace).map(sameProcessText),
    [`ghostscope: ${sameProcessText(String(plan.reason))}`],
    `the tracer prints pid-info's reason as its one-line error\n${ctx}`,
  );
  assertEquals(parseEvents(run.trace.stdout).length, 0, `no events\n${ctx}`);
}

function checkNotVisible(
  exp: Extract<Expectation, { outcome: "not-visible" }>,
  run: CellRun,
  ctx: string,
): void {
  assertEquals([run.info.code, run.trace.code], [exp.code, exp.code], `exit codes\n${ctx}`);
  const lines = stderrLines(run.trace);
  assertEquals(lines.length, 1, `one-line error\n${ctx}`);
  assertMatch(lines[0].replace(/^ghostscope: /, ""), exp.message, `error text\n${ctx}`);
  assertEquals(stderrLines(run.info), lines, `pid-info says the same\n${ctx}`);
  assertEquals(parseEvents(run.trace.stdout).length, 0, `no events\n${ctx}`);
}

/** Asks pid-info on the host whether the kernel has bpf_get_ns_current_pid_tgid. */
export async function kernelHasHelper(world: World): Promise<boolean> {
  const r = await ghostscopeIn(
    world.env("host"),
    ["pid-info", String(world.target("tHost").hostPid), "--json"],
    helperVars("on"),
    RUN_TIMEOUT_MS,
  );
  if (r.code !== 0) throw new Error(`pid-info failed: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { caps: { nsPidHelperProbed: boolean } }).caps
    .nsPidHelperProbed === true;
}

/**
 * Preconditions of every matrix test beyond root: the runner must read host PIDs from its /proc.
 * Returns false (after a visible SKIP line) when it cannot; throws instead under CI=true.
 */
export function matrixPreconditions(name: string): boolean {
  if (runnerInInitialPidNs()) return true;
  const why = `${name}: the test runner must run in the initial PID namespace`;
  if (IN_CI) throw new Error(why);
  console.error(`SKIP ${why}`);
  return false;
}

/**
 * Runs `cells` as concurrent steps of `t` (at most {@link CONCURRENCY} at a time) against one
 * shared world. On a kernel without the helper the helper-on cells are ignored, visibly.
 */
export async function runCells(
  t: Deno.TestContext,
  world: World,
  cells: readonly Cell[],
): Promise<void> {
  const helper = await kernelHasHelper(world);
  if (!helper) {
    console.error(
      "SKIP helper-on cells: this kernel has no bpf_get_ns_current_pid_tgid (they would " +
        "behave as the helper-off cells)",
    );
  }
  const queue = [...cells];
  const worker = async () => {
    for (let cell = queue.shift(); cell; cell = queue.shift()) {
      const c = cell;
      await t.step({
        name: cellName(c),
        ignore: c.helper === "on" && !helper,
        sanitizeOps: false,
        sanitizeResources: false,
        sanitizeExit: false,
        fn: async () => {
          const run = await runCell(world, c);
          checkCell(c, world.env(c.tool), run);
        },
      });
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
}

/** Registers the test of one group: build the world, run its cells, tear the world down. */
export function matrixTest(group: Group): void {
  const { test } = GROUP_TESTS[group];
  e2eTest(test, async (t) => {
    if (!matrixPreconditions(test)) return;
    const world = await World.build();
    try {
      await runCells(t, world, cellsOf(group));
    } finally {
      await world.destroy();
    }
  });
}
