/**
 * Which tasks a session's programs see, in which PID view, and where its uprobes are scoped: the
 * part of a session that `-p PID` decides (the pid plan) and that standalone `-t PATH` decides for
 * itself (every process but ghostscope's own).
 * @module
 */
import { probeHelper, ProgType } from "../../ffi/bpf.ts";
import { BpfHelper } from "../../bpf/helpers.ts";
import type { PidNsRef, PidView, TaskFilter } from "../../bpf/task_filter.ts";
import type { TraceablePidPlan } from "../pid/mod.ts";
import { isInitialPidNs, readPidNs } from "../proc/ns.ts";
import type { Status } from "./status.ts";

/** Which tasks and PID view the programs use, and where the uprobes are scoped. */
export interface Scope {
  filter: TaskFilter;
  pidView: PidView;
  inputPid?: number;
  /** Scope of every uprobe (a PID in our namespace); undefined: every process. */
  perfPid?: number;
  /** The `-p` process (`-p`, `-t -p`). */
  plan?: TraceablePidPlan;
}

/** `-p` (alone or with `-t`): the pid plan decides; its notices are shown. */
export function pidScope(plan: TraceablePidPlan, status: Status): Scope {
  for (const notice of plan.views.notices) status.notice(notice);
  return {
    filter: plan.filter,
    pidView: plan.pidView,
    inputPid: plan.inputPid,
    perfPid: plan.perfPid,
    plan,
  };
}

/**
 * Standalone -t: every process but ghostscope's own (it may map the traced library itself),
 * `$pid` in ghostscope's own namespace.
 */
export function ownScope(status: Status): Scope {
  const ns = readPidNs("self");
  if (isInitialPidNs(ns)) {
    return { filter: { kind: "exclude-tgid", tgid: Deno.pid }, pidView: { kind: "host" } };
  }
  if (ns.dev === undefined || !probeHelper(ProgType.Kprobe, BpfHelper.GetNsCurrentPidTgid)) {
    status.notice(
      "this kernel cannot report PIDs in ghostscope's PID namespace: $pid/$tid show host PIDs",
    );
    return { filter: { kind: "none" }, pidView: { kind: "host" } };
  }
  const self: PidNsRef = { dev: ns.dev, ino: ns.ino };
  return {
    filter: { kind: "exclude-tgid", tgid: Deno.pid, ns: self },
    pidView: { kind: "ns", ns: self },
  };
}
