/**
 * Command-line parsing. Produces a {@link CliRequest}: what the user asked for, with only the
 * options they actually typed (defaults are applied later by lib/config, which owns precedence).
 */
import { type OptionSpec, parseCommandLine } from "./parse_args.ts";
import { UsageError } from "../errors.ts";
import type { PartialSettings } from "../config/settings.ts";
import { parseOutputMode } from "../config/settings.ts";
import { parseDuration, parsePositiveInt } from "./numbers.ts";
import type { DiscoverRequest } from "../discover/run.ts";
import { DISCOVER_COMMANDS, discoverRequest } from "./discover_args.ts";

/** What the command line asks ghostscope to do. */
export type CliRequest =
  | { kind: "help" }
  | { kind: "version" }
  | { kind: "pid-info"; pidText: string; json: boolean }
  | { kind: "discover"; discover: DiscoverRequest; settings: PartialSettings; configPath?: string }
  | { kind: "trace"; trace: TraceRequest };

/** A tracing run as typed on the command line. */
export interface TraceRequest {
  /** The `-p` value exactly as typed (validated by the PID resolver, which owns the wording). */
  pidText?: string;
  /** `-t PATH`: the module to trace in every process that maps it. */
  targetPath?: string;
  /**
   * `--module PATH`: another module whose globals scripts may read (e.g. a library the target
   * dlopen's after ghostscope attached).
   */
  modulePath?: string;
  /** The script source and where it came from (for error messages). */
  script: { source: string; origin: string };
  /** `--config FILE`, if given. */
  configPath?: string;
  /** Only the settings the user typed; lib/config merges them over env, file and defaults. */
  settings: PartialSettings;
}

const OPTIONS = {
  pid: { type: "string", short: "p" },
  target: { type: "string", short: "t" },
  script: { type: "string", short: "s" },
  "script-file": { type: "string" },
  output: { type: "string" },
  "max-events": { type: "string" },
  duration: { type: "string" },
  "emit-ready-marker": { type: "string" },
  "no-status": { type: "boolean" },
  "ringbuf-size": { type: "string" },
  "backtrace-depth": { type: "string" },
  "no-sysmon": { type: "boolean" },
  "debug-file": { type: "string" },
  module: { type: "string" },
  "allow-debug-mismatch": { type: "boolean" },
  config: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const satisfies Record<string, OptionSpec>;

/** Parses argv (without the program name). Throws {@link UsageError} for anything malformed. */
export function parseCli(argv: string[]): CliRequest {
  let parsed;
  try {
    parsed = parseCommandLine(argv, OPTIONS);
  } catch (err) {
    throw new UsageError(cleanParseError(err));
  }
  const values = parsed.values as Values;
  const positionals = parsed.positionals;
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };

  if (positionals[0] === "pid-info") {
    if (positionals.length !== 2) {
      throw new UsageError("usage: ghostscope pid-info PID [--json]");
    }
    return { kind: "pid-info", pidText: positionals[1], json: values.json === true };
  }
  if (DISCOVER_COMMANDS.has(positionals[0])) {
    return {
      kind: "discover",
      discover: discoverRequest(positionals, values),
      settings: traceSettings(values),
      configPath: values.config,
    };
  }
  if (positionals.length > 0) {
    throw new UsageError(
      `unexpected argument '${positionals[0]}' (scripts go in -s '...' or --script-file FILE)`,
    );
  }
  if (values.json) {
    throw new UsageError(
      "--json is an option of 'ghostscope pid-info', 'vars', 'funcs' and 'lines'",
    );
  }
  if (values.pid === undefined && values.target === undefined) {
    throw new UsageError("nothing to trace: give -p PID or -t PATH (see --help)");
  }
  return { kind: "trace", trace: traceRequest(values) };
}

/** Option values by long name: strings for string options, `true` for flags given. */
type Values = {
  [K in keyof typeof OPTIONS]?: (typeof OPTIONS)[K]["type"] extends "string" ? string : boolean;
};

function traceRequest(values: Values): TraceRequest {
  return {
    pidText: values.pid,
    targetPath: values.target,
    modulePath: values.module,
    script: readScript(values.script, values["script-file"]),
    configPath: values.config,
    settings: traceSettings(values),
  };
}

function traceSettings(values: Values): PartialSettings {
  const settings: PartialSettings = {};
  if (values.output !== undefined) settings.output = parseOutputMode(values.output, "--output");
  if (values["max-events"] !== undefined) {
    settings.maxEvents = parsePositiveInt(values["max-events"], "--max-events");
  }
  if (values.duration !== undefined) {
    settings.durationSeconds = parseDuration(values.duration, "--duration");
  }
  if (values["ringbuf-size"] !== undefined) {
    settings.ringbufSize = parsePositiveInt(values["ringbuf-size"], "--ringbuf-size");
  }
  if (values["backtrace-depth"] !== undefined) {
    settings.backtraceDepth = parsePositiveInt(values["backtrace-depth"], "--backtrace-depth");
    if (settings.backtraceDepth > 128) {
      throw new UsageError(`--backtrace-depth: must be 1..128, got ${settings.backtraceDepth}`);
    }
  }
  if (values["emit-ready-marker"] !== undefined) {
    settings.readyMarker = values["emit-ready-marker"];
  }
  if (values["no-status"]) settings.status = false;
  if (values["no-sysmon"]) settings.enableSysmonForTarget = false;
  if (values["debug-file"] !== undefined) settings.debugFile = values["debug-file"];
  if (values["allow-debug-mismatch"]) settings.allowDebugMismatch = true;
  return settings;
}

function readScript(inline?: string, file?: string): { source: string; origin: string } {
  if (inline !== undefined && file !== undefined) {
    throw new UsageError("give either -s SCRIPT or --script-file FILE, not both");
  }
  if (inline !== undefined) return { source: inline, origin: "script" };
  if (file === undefined) throw new UsageError("no script: give -s SCRIPT or --script-file FILE");
  try {
    return { source: Deno.readTextFileSync(file), origin: file };
  } catch (err) {
    const why = err instanceof Deno.errors.NotFound ? "no such file" : (err as Error).message;
    throw new UsageError(`cannot read script file ${file}: ${why}`);
  }
}

/** parseArgs's messages (node:util's wording) are long; keep the useful part only. */
function cleanParseError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const unknown = message.match(/Unknown option '([^']+)'/);
  if (unknown) return `unknown option '${unknown[1]}' (see --help)`;
  const missing = message.match(/Option '([^']+)' argument missing/);
  if (missing) return `option '${missing[1].split(",").pop()?.trim()}' needs a value`;
  // "--max-events -3": parseArgs refuses values that look like options.
  const ambiguous = message.match(/Option '([^']+)' argument is ambiguous/);
  if (ambiguous) return `option '${ambiguous[1]}' needs a value that does not start with '-'`;
  return message.replace(/\. To specify.*$/s, "");
}
