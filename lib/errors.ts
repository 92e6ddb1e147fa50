/**
 * Error classes that decide the exit code. Everything a user can get wrong is a
 * {@link UsageError} (exit 2); everything the machine refuses is a {@link RuntimeFailure} (exit 1).
 * `main.ts` prints either as one line on stderr.
 */

/** Bad flags, bad PID, bad script, non-ELF target, unknown function: exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** The kernel or the environment refused: no privileges, verifier rejection, missing helper: exit 1. */
export class RuntimeFailure extends Error {
  override name = "RuntimeFailure";
}

/** Exit codes of the CLI. */
export enum ExitCode {
  Ok = 0,
  Runtime = 1,
  Usage = 2,
}
