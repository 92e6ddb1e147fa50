/** `ghostscope pid-info PID [--json]`: prints the plan the tracer would use, from the same code. */
import { formatPidInfo, pidInfoJson, planForPid } from "../pid/mod.ts";
import { ExitCode } from "../errors.ts";

/** Prints the PID plan; exits 0 even for a refused plan (the report says why it is refused). */
export function runPidInfo(pidText: string, json: boolean): ExitCode {
  const plan = planForPid(pidText);
  console.log(json ? JSON.stringify(pidInfoJson(plan), null, 2) : formatPidInfo(plan));
  return ExitCode.Ok;
}
