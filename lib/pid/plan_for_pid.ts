/**
 * The single code path from a -p argument to a {@link PidPlan}, shared by `ghostscope pid-info`
 * and the tracer: resolve → environment → kernel capabilities → plan.
 *
 * @module
 */

import type { NsFileAccess } from "../proc/ns.ts";
import { type CapsProbe, lazyKernelCaps } from "./caps.ts";
import { detectEnvironment } from "./environment.ts";
import { buildPidPlan, type PidPlan } from "./plan.ts";
import { resolvePidViews } from "./resolve.ts";
import { mark } from "../timing.ts";

/** Options of {@link planForPid}; every field has a production default. */
export interface PlanForPidOptions {
  /** Where procfs is mounted (default "/proc"). */
  procRoot?: string;
  /** File-system root for container markers (default "/"). */
  root?: string;
  /** nsfs access (default: the real file system). */
  nsAccess?: NsFileAccess;
  /** ghostscope's getpid() (default `Deno.pid`). */
  selfPid?: number;
  /** Kernel probe (default: libbpf through ffi/bpf.ts). */
  capsProbe?: CapsProbe;
  /** Environment lookup (default `Deno.env.get`). */
  getEnv?: (name: string) => string | undefined;
}

/**
 * Resolves `-p <inputPid>` into the plan. A refusal is returned as a plan with
 * `support: "refused"` (call `requireTraceable` before tracing).
 *
 * @throws UsageError for a malformed or invisible PID (see resolvePidViews)
 * @throws RuntimeFailure when /proc cannot be read
 */
export function planForPid(inputPid: string | number, options: PlanForPidOptions = {}): PidPlan {
  const views = resolvePidViews(inputPid, {
    procRoot: options.procRoot,
    nsAccess: options.nsAccess,
    selfPid: options.selfPid,
  });
  const environment = detectEnvironment({
    root: options.root,
    procRoot: options.procRoot,
    nsAccess: options.nsAccess,
  });
  // Probed only if the decision needs the helper (see lazyKernelCaps).
  const caps = lazyKernelCaps({ probe: options.capsProbe, getEnv: options.getEnv });
  const plan = buildPidPlan(views, environment, caps, { inputPid: views.inputPid });
  mark("pid plan");
  return plan;
}
