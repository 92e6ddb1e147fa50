/**
 * `ghostscope pid-info` and the tracer agree: both come from the same plan object, so for one
 * topology the human report, the JSON report and what the trace events show must tell the same
 * story — the filter and the `$pid` namespace pid-info names are the ones events carry, and a
 * refusal's reason is the tracer's one-line error, word for word.
 *
 * (Every matrix cell also checks pid-info --json against its events; this test adds the human
 * report and spells the correspondence out on the topologies where the views differ most.)
 */
import { assertEquals, assertMatch } from "../assert.ts";
import { e2eTest, type RunResult } from "./harness.ts";
import { type Cell, cellName, CELLS } from "./pidns/cells.ts";
import {
  checkCell,
  helperVars,
  kernelHasHelper,
  matrixPreconditions,
  parseEvents,
  runCell,
  sameProcessText,
  stderrLines,
  typedPid,
} from "./pidns/run_cell.ts";
import { ghostscopeIn, type TargetName, World } from "./pidns/world.ts";

const NAME = "pid matrix: pid-info and the tracer report the same plan";

/** The cells compared: where the views differ most, plus a refusal and an invisible PID. */
const COMPARED: ReadonlyArray<{ id: string; helper: "on" | "off"; target: TargetName }> = [
  { id: "S3", helper: "on", target: "tPriv" },
  { id: "S3", helper: "off", target: "tPriv" },
  { id: "S6", helper: "on", target: "tNested" },
  { id: "S6", helper: "off", target: "tNested" },
  { id: "S7", helper: "on", target: "tHost" },
  { id: "X-thread", helper: "on", target: "thrHost" },
  { id: "X-thread", helper: "on", target: "thrNested" },
];

function cell(want: (typeof COMPARED)[number]): Cell {
  const found = CELLS.find((c) =>
    c.id === want.id && c.helper === want.helper && c.target === want.target
  );
  if (!found) throw new Error(`no cell ${want.id} [helper ${want.helper}] on ${want.target}`);
  return found;
}

/** Parses `pid-info`'s human report: `key: value` lines (continuation lines are skipped). */
function parseReport(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split("\n")) {
    const m = line.match(/^([^ :][^:]*):\s+(.*)$/);
    if (m && !out.has(m[1])) out.set(m[1], m[2]);
  }
  return out;
}

type Json = Record<string, unknown>;

function compare(c: Cell, text: RunResult, run: Awaited<ReturnType<typeof runCell>>): void {
  const ctx = `${
    cellName(c)
  }\npid-info (text):\n${text.stdout}${text.stderr}\ntrace:\n${run.trace.stdout}${run.trace.stderr}`;
  if (c.expect.outcome === "not-visible") {
    // Nothing to plan: both commands fail with the same line and exit code.
    assertEquals(text.code, c.expect.code, ctx);
    assertEquals(stderrLines(text), stderrLines(run.trace), ctx);
    return;
  }
  assertEquals(text.code, 0, ctx);
  const report = parseReport(text.stdout);
  const plan = JSON.parse(run.info.stdout) as Json;
  // The human and JSON reports are renderings of one plan.
  assertEquals(
    {
      support: report.get("support"),
      decision: report.get("decision"),
      reason: report.get("reason"),
      procPid: report.get("/proc PID"),
    },
    {
      support: String(plan.support),
      decision: String(plan.decision),
      reason: String(plan.reason),
      procPid: String(plan.procPid),
    },
    ctx,
  );
  if (c.expect.outcome === "refused") {
    assertEquals(report.get("filter"), "none (refused)", ctx);
    assertEquals(
      stderrLines(run.trace).map(sameProcessText),
      [`ghostscope: ${sameProcessText(report.get("reason") ?? "")}`],
      `the tracer's error is pid-info's reason\n${ctx}`,
    );
    return;
  }
  const events = parseEvents(run.trace.stdout);
  assertEquals(events.length > 0, true, ctx);
  const filter = plan.filter as Json;
  const filterLine = report.get("filter") ?? "";
  const viewLine = report.get("$pid/$tid view") ?? "";
  if (filter.kind === "host-tgid") {
    // The filter pid-info names is the TGID every event's $host_pid carries.
    assertEquals(filterLine, `host-tgid: bpf_get_current_pid_tgid() >> 32 == ${filter.tgid}`, ctx);
    for (const ev of events) assertEquals(ev.hostPid, filter.tgid, ctx);
  } else {
    const ns = filter.ns as Json;
    assertMatch(filterLine, new RegExp(`ino ${ns.ino}\\)\\.tgid == ${filter.tgid}$`), ctx);
    for (const ev of events) assertEquals(ev.pid, filter.tgid, ctx);
  }
  if (c.expect.pidView === "ns") {
    // pid-info names a namespace: from the host, that is the target's own namespace, and every
    // $pid is the target's TGID there (pid-info's "container PID").
    const ino = viewLine.match(/^namespace dev \d+, ino (\d+)$/)?.[1];
    assertEquals(ino, run.facts.nsIno, ctx);
    assertEquals(report.get("container PID"), String(run.facts.ownPid), ctx);
    for (const ev of events) assertEquals(ev.pid, run.facts.ownPid, ctx);
  } else {
    assertEquals(viewLine, "host (initial PID namespace)", ctx);
    for (const ev of events) assertEquals(ev.pid, run.facts.hostPid, ctx);
  }
  // What the user typed and what the event header shows as the process: pid-info's /proc PID.
  for (const ev of events) assertEquals(String(ev.header.pid), report.get("/proc PID"), ctx);
  const notices = plan.notices as string[];
  for (const notice of notices) {
    assertEquals(stderrLines(run.trace).includes(`ghostscope: ${notice}`), true, ctx);
  }
}

e2eTest(NAME, async (t) => {
  if (!matrixPreconditions(NAME)) return;
  const world = await World.build();
  try {
    const kernelHelper = await kernelHasHelper(world);
    await Promise.all(COMPARED.map((want) => {
      const c = cell(want);
      return t.step({
        name: cellName(c),
        ignore: c.helper === "on" && !kernelHelper,
        sanitizeOps: false,
        sanitizeResources: false,
        sanitizeExit: false,
        fn: async () => {
          const tool = world.env(c.tool);
          const [run, text] = await Promise.all([
            runCell(world, c),
            ghostscopeIn(
              tool,
              ["pid-info", String(typedPid(c, tool, world.target(c.target).facts()))],
              helperVars(c.helper),
              45_000,
            ),
          ]);
          checkCell(c, tool, run);
          compare(c, text, run);
        },
      });
    }));
  } finally {
    await world.destroy();
  }
});
