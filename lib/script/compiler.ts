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
import type { IrExpr, IrStmt, IrTrace } from "../../bpf/ir.ts";
import type { PidView, TaskFilter } from "../../bpf/task_filter.ts";
import { buildTraceProgram } from "../../bpf/trace_program.ts";
import type { Script, TraceTarget } from "./ast.ts";
import {
  type CExpr,
  type CheckedTrace,
  checkScript,
  type CStmt,
  type PrintInfo,
} from "./checker.ts";
import { Reporter } from "./diagnostics.ts";
import { parseScript } from "./parser.ts";
import { NO_VARIABLES, type VariableResolver } from "./resolver.ts";
import { wireType } from "./types.ts";

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
  /** The IR the program was built from. */
  ir: IrTrace;
  /** Program builder: `program.assemble({ events, lost })` gives the instructions. */
  program: Assembler;
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
  const checked = checkScript(script, reporter, {
    inputPid: opts.inputPid,
    resolveVariable: opts.resolveVariable ?? NO_VARIABLES,
  });
  const traces = checked.traces.map((t): CompiledTrace => {
    const ir = lowerTrace(t);
    let program: Assembler;
    try {
      program = buildTraceProgram(ir, {
        filter: opts.filter,
        pidView: opts.pidView,
        ringbufSize: opts.ringbufSize,
        wakeupThreshold: opts.wakeupThreshold,
      });
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      throw reporter.error(
        { start: t.span.start, end: t.span.start + 5 },
        `trace block '${t.targetText}' cannot be compiled: ${msg}`,
      );
    }
    return {
      traceId: t.traceId,
      name: ir.name,
      target: t.target,
      targetText: t.targetText,
      ir,
      program,
    };
  });
  return { traces, prints: checked.prints };
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
    body: t.body.map(lowerStmt),
  };
}

function lowerStmt(s: CStmt): IrStmt {
  switch (s.kind) {
    case "let":
      return { kind: "let", id: s.id, value: lowerExpr(s.value) };
    case "print":
      return {
        kind: "print",
        printId: s.printId,
        args: s.args.map((a) => ({ type: wireType(a.type), expr: lowerExpr(a) })),
      };
    case "if":
      return {
        kind: "if",
        cond: lowerExpr(s.cond),
        then: s.then.map(lowerStmt),
        else: s.else.map(lowerStmt),
      };
  }
}

/** Lower a checked expression to IR. */
export function lowerExpr(e: CExpr): IrExpr {
  switch (e.kind) {
    case "const":
      return { kind: "const", value: e.value };
    case "builtin":
      return { kind: "builtin", builtin: e.builtin };
    case "var":
      return { kind: "var", id: e.id };
    case "external":
      return e.resolved.expr;
    case "unary": {
      const operand = lowerExpr(e.operand);
      if (operand.kind === "const") {
        // fold `-5` and `!0` so literals cost one instruction
        const v = e.op === "neg"
          ? BigInt.asUintN(64, -operand.value)
          : operand.value === 0n
          ? 1n
          : 0n;
        return { kind: "const", value: v };
      }
      return { kind: "unary", op: e.op, operand };
    }
    case "arith":
      return {
        kind: "arith",
        op: e.op,
        signed: e.signed,
        left: lowerExpr(e.left),
        right: lowerExpr(e.right),
      };
    case "compare":
      return {
        kind: "compare",
        op: e.op,
        signed: e.signed,
        left: lowerExpr(e.left),
        right: lowerExpr(e.right),
      };
    case "logical":
      return { kind: "logical", op: e.op, left: lowerExpr(e.left), right: lowerExpr(e.right) };
  }
}
