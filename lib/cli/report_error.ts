/** Turns any thrown value into the one stderr line and exit code the CLI promises. */
import { ExitCode, RuntimeFailure, UsageError } from "../errors.ts";

/** Exit code for an error: 2 for usage/input errors, 1 for everything else. */
export function exitCodeFor(err: unknown): ExitCode {
  return err instanceof UsageError ? ExitCode.Usage : ExitCode.Runtime;
}

/**
 * The message to print after `ghostscope: `. Usage and runtime errors are written for users and
 * printed as is; anything else is an internal error and says so.
 */
export function describeError(err: unknown): string {
  if (err instanceof UsageError || err instanceof RuntimeFailure) return err.message;
  if (err instanceof Deno.errors.PermissionDenied || err instanceof Deno.errors.NotCapable) {
    return `permission denied: ${(err as Error).message} (run as root, with deno run -A)`;
  }
  if (err instanceof Error) {
    // Typed errors from ffi/ carry their operation and errno name in the message already.
    const internal = err.name === "Error" || err.name === "TypeError" || err.name === "RangeError";
    return internal
      ? `internal error: ${err.message} (rerun with GHOSTSCOPE_DEBUG=1)`
      : err.message;
  }
  return `internal error: ${String(err)}`;
}
