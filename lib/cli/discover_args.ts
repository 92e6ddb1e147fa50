/** The command lines of `ghostscope vars|funcs|lines ARG (-p PID | -t PATH) [--json]`. */
import { UsageError } from "../errors.ts";
import type { DiscoverRequest } from "../discover/run.ts";

/** The discovery subcommands. */
export const DISCOVER_COMMANDS: ReadonlySet<string> = new Set(["vars", "funcs", "lines"]);

const ARG_NAME: Record<DiscoverRequest["command"], string> = {
  vars: "TARGET",
  funcs: "PATTERN",
  lines: "FILE",
};

/** Builds the request from the positionals (`vars`, its argument) and the option values. */
export function discoverRequest(
  positionals: string[],
  values: { pid?: string; target?: string; json?: boolean; script?: string },
): DiscoverRequest {
  const command = positionals[0] as DiscoverRequest["command"];
  const usage = `usage: ghostscope ${command} ${ARG_NAME[command]} (-p PID | -t PATH) [--json]`;
  if (positionals.length !== 2) throw new UsageError(usage);
  if (values.pid === undefined && values.target === undefined) {
    throw new UsageError(`${command}: give -p PID or -t PATH (${usage})`);
  }
  if (values.pid !== undefined && values.target !== undefined) {
    throw new UsageError(`${command}: give -p PID or -t PATH, not both`);
  }
  if (values.script !== undefined) throw new UsageError(`${command} takes no script`);
  return {
    command,
    arg: positionals[1],
    pidText: values.pid,
    targetPath: values.target,
    json: values.json === true,
  };
}
