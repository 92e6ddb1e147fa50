/**
 * `ghostscope vars|funcs|lines ARG (-p PID | -t PATH) [--json]`: what a probe could read and
 * where probes can go, from the same locate and DWARF code the tracer uses. Nothing is attached.
 * @module
 */
import type { Settings } from "../config/settings.ts";
import { DebugInfoLoader, NO_PROGRESS, useDebugInfo } from "../debuginfo/mod.ts";
import { ExitCode, UsageError } from "../errors.ts";
import { planTraceablePid } from "../session/pid_target.ts";
import { fileModule, type ProcessModule, processModules } from "../session/process_modules.ts";
import { functionsMatching } from "./funcs.ts";
import { linesWithCode } from "./lines.ts";
import { renderFuncs, renderLines, renderVars } from "./render.ts";
import { varsAt } from "./vars.ts";

/** Which discovery command and its argument, as typed. */
export interface DiscoverRequest {
  command: "vars" | "funcs" | "lines";
  arg: string;
  pidText?: string;
  targetPath?: string;
  json: boolean;
}

/** Runs one discovery command; prints the report on stdout. */
export function runDiscover(request: DiscoverRequest, settings: Settings): ExitCode {
  const debugInfo = useDebugInfo(
    new DebugInfoLoader({
      debugFile: settings.debugFile,
      allowMismatch: settings.allowDebugMismatch,
      notice: (text) => console.error(`ghostscope: ${text}`),
      progress: settings.status ? undefined : () => NO_PROGRESS,
    }),
  );
  const modules = discoverModules(request);
  let report: unknown;
  let text: string;
  switch (request.command) {
    case "vars": {
      const r = varsAt(request.arg, modules, debugInfo);
      report = r;
      text = renderVars(r);
      break;
    }
    case "funcs": {
      const r = functionsMatching(request.arg, modules, debugInfo);
      report = { pattern: request.arg, functions: r };
      text = renderFuncs(request.arg, r);
      break;
    }
    case "lines": {
      const r = linesWithCode(request.arg, modules, debugInfo);
      report = r;
      text = renderLines(r);
      break;
    }
  }
  console.log(request.json ? JSON.stringify(report, null, 2) : text);
  return ExitCode.Ok;
}

/** `-t PATH`: that file alone; `-p PID`: the process's modules, executable first. */
function discoverModules(request: DiscoverRequest): ProcessModule[] {
  if (request.targetPath !== undefined) {
    const path = request.targetPath;
    try {
      if (!Deno.statSync(path).isFile) throw new UsageError(`-t ${path}: not a regular file`);
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new UsageError(
        `-t ${path}: ${
          err instanceof Deno.errors.NotFound ? "no such file" : (err as Error).message
        }`,
      );
    }
    return [fileModule(path)];
  }
  const plan = planTraceablePid(request.pidText ?? "");
  return processModules(plan.views.procPid);
}
