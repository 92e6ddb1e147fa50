/**
 * The `-p` process as both session kinds (`-p`, `-t -p`) use it: planned with the privileges
 * error first when that is the real cause, watched through a pidfd, and "it is gone" said in the
 * user's words.
 */
import { pidfdOpen } from "../../ffi/process.ts";
import { BpfError, Errno } from "../../ffi/errors.ts";
import { RuntimeFailure, UsageError } from "../errors.ts";
import { type PidPlan, planForPid, requireTraceable, type TraceablePidPlan } from "../pid/mod.ts";
import { ensurePrivileges } from "./privileges.ts";

/**
 * Plans `-p PID` and requires a traceable plan. Without privileges, reading another user's /proc
 * files fails first; the missing privileges are then the cause worth reporting (usage errors
 * such as a bad PID still win).
 */
export function planTraceablePid(pidText: string): TraceablePidPlan {
  let plan: PidPlan;
  try {
    plan = planForPid(pidText);
  } catch (err) {
    if (!(err instanceof UsageError)) ensurePrivileges();
    throw err;
  }
  return requireTraceable(plan);
}

/** A pidfd for the target, or the message a user expects when it is already gone. */
export function openTargetPidfd(plan: TraceablePidPlan): number {
  try {
    return pidfdOpen(plan.views.procPid);
  } catch (err) {
    throw explainVanishedTarget(err, plan);
  }
}

/** ESRCH from the kernel means the target is gone: say so in the user's words. */
export function explainVanishedTarget(err: unknown, plan: TraceablePidPlan): unknown {
  if (err instanceof BpfError && err.errno === Errno.ESRCH) {
    return new RuntimeFailure(`target PID ${plan.inputPid} exited before the probes were attached`);
  }
  return err;
}
