/**
 * The script compiler's public entry: source -> lexer/parser -> checker -> IR -> one BPF
 * program builder per `trace` block, plus the table userspace needs to render events.
 *
 * ```ts
 * const compiled = compileScript(source, { filter, pidView, inputPid });
 * for (const t of compiled.traces) {
 *   const insns = t.program.assemble({ events: eventsFd, lost: lostFd });
 *   // load as BPF_PROG_TYPE_KPROBE named t.name, attach at t.target
 * }
 * // in the ring buffer callback:
 * const line = renderEvent(compiled, decodeEvent(bytes));
 * ```
 * @module
 */

import type { Assembler } from "../../bpf/asm.ts";
import { type IrTrace, walkStmts } from "../../bpf/ir.ts";
import type { PidNsRef, PidView, TaskFilter } from "../../bpf/task_filter.ts";
import { buildTraceProgram } from "../../bpf/trace_program.ts";
import type { Script, TraceTarget } from "./ast.ts";
import {
  type CheckedTrace,
  type CheckOptions,
  checkScript,
  checkTrace,
  type PrintInfo,
} from "./checker.ts";
import { Reporter } from "./diagnostics.ts";
import { parseScript } from "./parser.ts";
import { NO_VARIABLES, type VariableResolver } from "./resolver.ts";
import { lowerStmts } from "./lower.ts";

export { lowerExpr, lowerStmts } from "./lower.ts";

/** Inputs of {@link compileScript}. */
export interface CompileOptions {
  /** Which tasks the programs keep (from the pid plan). */
  filter: TaskFilter;
  /** Which pid numbers `$pid` / `$tid` report. */
  pidView: PidView;
  /** Value of `$input_pid` (the -p argument); undefined makes `$input_pid` an error. */
  inputPid?: number;
  /** Resolver of program (DWARF) variables; default: none. */
  resolveVariable?: VariableResolver;
  /** Name shown in diagnostics (default `script`). */
  sourceName?: string;
  /** Size of the `events` ring in bytes (default 4 MiB), for the wake-up threshold. */
  ringbufSize?: number;
  /** Bytes waiting in the ring from which a submit wakes the consumer (default ring / 8). */
  wakeupThreshold?: number;
  /**
   * ghostscope's own PID namespace when it is not the initial one, for globals of other
   * modules looked up in `proc_module_offsets` (see `offsetsBias`).
   */
  offsetsSelfNs?: PidNsRef;
}

/** One compiled `trace` block. */
export interface CompiledTrace {
  /** Index of the block in the script; the `trace_id` of its events. */
  traceId: number;
  /** BPF program name (`gs_<id>_<target>`, at most 15 characters). */
  name: string;
  /** Where to attach (unresolved). */
  target: TraceTarget;
  /** The target as written. */
  targetText: string;
  /** The IR the program was built from (of site 0). */
  ir: IrTrace;
  /** Program builder: `program.assemble({ events, lost })` gives the instructions. */
  program: Assembler;
  /**
   * One program per probe site of the block when it reads program variables (their locations
   * differ per address): `programs[j]` goes to site `j`, in the order the resolver's sites come.
   * A block without program variables has one program, valid for every site. See
   * {@link programForSite}.
   */
  programs: Assembler[];
}

/** The program to attach at site `site` of a compiled trace block. */
export function programForSite(t: CompiledTrace, site: number): Assembler {
  return t.programs.length > 1 ? t.programs[site] ?? t.program : t.program;
}

/** A compiled script. */
export interface CompiledScript {
  traces: CompiledTrace[];
  /** Indexed by `printId`. */
  prints: PrintInfo[];
}

/** Compile a script; throws a {@link ScriptError} (a UsageError) with position and caret. */
export function compileScript(source: string, opts: CompileOptions): CompiledScript {
  const sourceName = opts.sourceName ?? "script";
  const reporter = new Reporter(source, sourceName);
  const script: Script = parseScript(source, sourceName);
  const resolver = opts.resolveVariable ?? NO_VARIABLES;
  const checkOpts = { inputPid: opts.inputPid, resolveVariable: resolver };
  const checked = checkScript(script, reporter, checkOpts);
  const traces = checked.traces.map((t): CompiledTrace => {
    const ctx = { traceId: t.traceId, target: t.target, targetText: t.targetText };
    const sites = t.programVariables ? Math.max(1, resolver.siteCount?.(ctx) ?? 1) : 1;
    const irs: IrTrace[] = [];
    const programs: Assembler[] = [];
    for (let site = 0; site < sites; site++) {
      const ct = site === 0 ? t : recheck(script, t, site, reporter, checkOpts, checked.prints);
      const ir = lowerTrace(ct);
      irs.push(ir);
      try {
        programs.push(buildTraceProgram(ir, {
          filter: opts.filter,
          pidView: opts.pidView,
          ringbufSize: opts.ringbufSize,
          wakeupThreshold: opts.wakeupThreshold,
          offsetsSelfNs: opts.offsetsSelfNs,
          probeLinkAddress: usesModuleBias(ir)
            ? resolver.probeAddress?.({ ...ctx, site })
            : undefined,
        }));
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        throw reporter.error(
          { start: t.span.start, end: t.span.start + 5 },
          `trace block '${t.targetText}' cannot be compiled: ${msg}`,
        );
      }
    }
    return {
      traceId: t.traceId,
      name: irs[0].name,
      target: t.target,
      targetText: t.targetText,
      ir: irs[0],
      program: programs[0],
      programs,
    };
  });
  return { traces, prints: checked.prints };
}

/**
 * Checks block `t` again for another probe site. Its prints reuse the ids of site 0; their
 * records must have the same types (a variable is the same C object at every site).
 */
function recheck(
  script: Script,
  t: CheckedTrace,
  site: number,
  reporter: Reporter,
  opts: CheckOptions,
  prints: readonly PrintInfo[],
): CheckedTrace {
  const own = prints.filter((p) => p.traceId === t.traceId);
  const base = own.length ? own[0].printId : prints.length;
  const fresh: PrintInfo[] = prints.slice(0, base);
  const ct = checkTrace(script, t.traceId, site, reporter, opts, fresh);
  for (const p of fresh.slice(base)) {
    const first = prints[p.printId];
    const same = first && first.argTypes.length === p.argTypes.length &&
      first.argTypes.every((type, i) => type === p.argTypes[i]);
    if (!same) {
      throw reporter.error(
        { start: t.span.start, end: t.span.start + 5 },
        `trace block '${t.targetText}': the values printed by '${p.text}' have different types ` +
          `at its probe site ${site + 1} than at site 1; trace one address instead`,
      );
    }
  }
  return ct;
}

/** BPF program name for a trace block: `gs_<id>_<target>` cut to 15 characters. */
export function programName(traceId: number, targetText: string): string {
  const clean = targetText.replace(/[^A-Za-z0-9_]/g, "_");
  return `gs_${traceId}_${clean}`.slice(0, 15);
}

/** Lower a checked trace block to IR. */
export function lowerTrace(t: CheckedTrace): IrTrace {
  return {
    traceId: t.traceId,
    name: programName(t.traceId, t.targetText),
    body: lowerStmts(t.body),
  };
}

/** True when the program rebases addresses of the probed module (needs the probe address). */
function usesModuleBias(ir: IrTrace): boolean {
  let found = false;
  walkStmts(ir.body, {
    expr: (e) => {
      if (e.kind === "moduleBias") found = true;
    },
  });
  return found;
}
