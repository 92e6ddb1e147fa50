/**
 * ghostscope CLI entry: parse the command line, load settings, hand off. Every error becomes one
 * line on stderr and an exit code (see lib/errors.ts); GHOSTSCOPE_DEBUG=1 shows stack traces.
 */
import { parseCli } from "./lib/cli/args.ts";
import { USAGE, VERSION } from "./lib/cli/usage.ts";
import { loadSettings } from "./lib/config/load.ts";
import { describeError, exitCodeFor } from "./lib/cli/report_error.ts";
import { runPidInfo } from "./lib/session/pid_info.ts";
import { runTrace } from "./lib/session/run.ts";
import { startUprobeWarmup } from "./lib/session/uprobe_warmup.ts";
import { mark } from "./lib/timing.ts";
import { libbpfVersionLine } from "./lib/session/version_report.ts";
import { ensureProc } from "./lib/session/container_requirements.ts";

async function main(argv: string[]): Promise<number> {
  mark("modules loaded");
  const request = parseCli(argv);
  switch (request.kind) {
    case "help":
      console.log(USAGE);
      return 0;
    case "version":
      console.log(`ghostscope ${VERSION}`);
      console.log(libbpfVersionLine());
      return 0;
    case "pid-info":
      ensureProc();
      return runPidInfo(request.pidText, request.json);
    case "discover": {
      const { settings } = await loadSettings({
        cli: request.settings,
        configPath: request.configPath,
      });
      const { runDiscover } = await import("./lib/discover/run.ts");
      return runDiscover(request.discover, settings);
    }
    case "trace": {
      ensureProc();
      startUprobeWarmup(import.meta.url);
      const { settings } = await loadSettings({
        cli: request.trace.settings,
        configPath: request.trace.configPath,
      });
      mark("command line and settings");
      return await runTrace(request.trace, settings);
    }
  }
}

/** Runs {@link main}; resolves to the exit code, reporting any error on one line. */
async function run(argv: string[]): Promise<number> {
  try {
    return await main(argv);
  } catch (err) {
    console.error(`ghostscope: ${describeError(err)}`);
    if (Deno.env.get("GHOSTSCOPE_DEBUG") === "1") console.error(err);
    return exitCodeFor(err);
  }
}

if (import.meta.main) {
  // Started from a microtask, not from this module's top level: in the bundle the top level is the
  // whole file, and the first exception thrown with it on the stack (a failed stat while looking
  // for a config file) makes V8 re-parse all of it for source positions (~15 ms).
  Deno.exit(await new Promise<number>((resolve) => queueMicrotask(() => resolve(run(Deno.args)))));
}
