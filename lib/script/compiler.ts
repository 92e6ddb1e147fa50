/**
 * The script compiler's public entry, a pipeline of passes (each in `passes/`, each with a typed
 * output):
 *
 * ```
 * source --parse--> Script --resolve--> ResolvedScript (names, types, print table; once per
 *   trace block) --bind--> BoundTrace (locations, per probe site) --lower--> IrTrace
 *   --codegen (bpf/trace_program.ts)--> Assembler
 * ```
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
import type { IrTrace } from "../../bpf/ir.ts";
import type { PidNsRef, PidView, TaskFilter } from "../../bpf/task_filter.ts";
import { buildTraceProgram } from "../../bpf/trace_program.ts";
import { DEFAULT_BACKTRACE_DEPTH, stackCopyBytes } from "../../bpf/stack_capture.ts";
import type { TraceTarget } from "./ast.ts";
import { Reporter } from "./diagnostics.ts";
import { parseScript } from "./parser.ts";
import { bindTrace, siteCount } from "./passes/bind.ts";
import { lowerTrace, usesModuleBias } from "./passes/lower.ts";
import { resolveScript } from "./passes/resolve.ts";
import type { ResolvedTrace } from "./passes/resolved.ts";
import type { PrintInfo } from "./print_table.ts";
import { NO_VARIABLES, type VariableResolver } from "./resolver.ts";
import { compileReturnSites, returnSlots } from "./return_block.ts";

export { lowerExpr, lowerStmts, programName } from "./passes/lower.ts";

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
  /** Frames a `bt` may show (`--backtrace-depth`, 1..128; default 128): sizes its stack copy. */
  backtraceDepth?: number;
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
  /**
   * Set when the script has `trace f:return` blocks: the capture slots of the `ret_calls` map
   * (bpf/return_pairing.ts) the session creates.
   */
  returnSlots?: number;
  /** Indexed by `printId`. */
  prints: PrintInfo[];
}

/** Compile a script; throws a {@link ScriptError} (a UsageError) with position and caret. */
export function compileScript(source: string, opts: CompileOptions): CompiledScript {
  const sourceName = opts.sourceName ?? "script";
  const reporter = new Reporter(source, sourceName);
  const script = parseScript(source, sourceName);
  const resolver = opts.resolveVariable ?? NO_VARIABLES;
  const resolved = resolveScript(script, reporter, {
    inputPid: opts.inputPid,
    resolveVariable: resolver,
  });
  const slots = returnSlots(resolved.traces);
  const traces = resolved.traces.map((t) =>
    compileTrace(t, reporter, resolver, resolved.prints, opts, slots ?? 0)
  );
  return { traces, prints: resolved.prints, returnSlots: slots };
}

/** Binds, lowers and generates the program of each probe site of a resolved block. */
function compileTrace(
  t: ResolvedTrace,
  reporter: Reporter,
  resolver: VariableResolver,
  prints: readonly PrintInfo[],
  opts: CompileOptions,
  slots: number,
): CompiledTrace {
  if (t.entryCaptures !== undefined) {
    return compileReturnTrace(t, reporter, resolver, prints, opts, slots);
  }
  const sites = siteCount(t, resolver);
  const irs: IrTrace[] = [];
  const programs: Assembler[] = [];
  for (let site = 0; site < sites; site++) {
    const bound = bindTrace(t, site, reporter, { resolveVariable: resolver, prints });
    const ir = lowerTrace(bound);
    irs.push(ir);
    try {
      programs.push(buildTraceProgram(ir, {
        filter: opts.filter,
        pidView: opts.pidView,
        ringbufSize: opts.ringbufSize,
        wakeupThreshold: opts.wakeupThreshold,
        offsetsSelfNs: opts.offsetsSelfNs,
        stackCopyBytes: stackCopyBytes(opts.backtraceDepth ?? DEFAULT_BACKTRACE_DEPTH),
        probeLinkAddress: usesModuleBias(ir) ? bound.probeAddress : undefined,
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
}

/** A `trace f:return` block: a return and an entry program per function (`return_block.ts`). */
function compileReturnTrace(
  t: ResolvedTrace,
  reporter: Reporter,
  resolver: VariableResolver,
  prints: readonly PrintInfo[],
  opts: CompileOptions,
  slots: number,
): CompiledTrace {
  const { programs, ir } = compileReturnSites(
    t,
    reporter,
    resolver,
    prints,
    slots,
    (ir, pairing, probeAddress) => {
      try {
        return buildTraceProgram(ir, {
          filter: opts.filter,
          pidView: opts.pidView,
          ringbufSize: opts.ringbufSize,
          wakeupThreshold: opts.wakeupThreshold,
          offsetsSelfNs: opts.offsetsSelfNs,
          probeLinkAddress: probeAddress,
          pairing,
        });
      } catch (e) {
        const msg = e instanceof Error ? e.message : String(e);
        throw reporter.error(
          { start: t.span.start, end: t.span.start + 5 },
          `trace block '${t.targetText}' cannot be compiled: ${msg}`,
        );
      }
    },
  );
  return {
    traceId: t.traceId,
    name: ir.name,
    target: t.target,
    targetText: t.targetText,
    ir,
    program: programs[0],
    programs,
  };
}
