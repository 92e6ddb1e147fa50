/**
 * Compiling a `trace f:return { ... }` block. Its probe sites come in pairs (lib/session's
 * `locate_return.ts`): site `2k` is the return (a uretprobe at the function's entry), site
 * `2k + 1` the entry (after the prologue). The entry program is only the push of
 * bpf/return_pairing.ts: the entry time, the `entry(x)` captures read at the entry site, and
 * the module's load bias when the body reads globals of the probed module (at a uretprobe,
 * `regs->ip` is the caller's return address, not the probed instruction). The return program
 * pops that record, binds `$duration` and the captures, and runs the body, whose `$retval` the
 * variable resolver types from the function's DWARF return type.
 * @module
 */
import type { Assembler } from "../../bpf/asm.ts";
import type { IrExpr, IrStmt, IrTrace } from "../../bpf/ir.ts";
import { PT_REGS_SP, type ReturnPairing } from "../../bpf/return_pairing.ts";
import { DURATION_VAR, ENTRY_VAR_BASE } from "./builtins.ts";
import type { Reporter } from "./diagnostics.ts";
import { bindCaptures, bindTrace } from "./passes/bind.ts";
import { lowerTrace, programName, usesModuleBias } from "./passes/lower.ts";
import type { ResolvedTrace } from "./passes/resolved.ts";
import type { PrintInfo } from "./print_table.ts";
import type { VariableResolver } from "./resolver.ts";

/** Variable id of the captured load bias (after the largest possible capture id). */
export const BIAS_VAR = ENTRY_VAR_BASE + 64;

/** Entry slots a script's return blocks need: the most captures of one block, plus the bias. */
export function returnSlots(traces: readonly ResolvedTrace[]): number | undefined {
  const blocks = traces.filter((t) => t.entryCaptures !== undefined);
  if (blocks.length === 0) return undefined;
  return Math.max(...blocks.map((t) => t.entryCaptures!.length)) + 1;
}

/** Builds one program from IR (the compiler's codegen call, with the pairing option). */
export type BuildProgram = (
  ir: IrTrace,
  pairing: ReturnPairing,
  probeAddress: number | bigint | undefined,
) => Assembler;

/** The programs of a return block, one per site (`programs[j]` for site `j`), and the IR. */
export function compileReturnSites(
  t: ResolvedTrace,
  reporter: Reporter,
  resolver: VariableResolver,
  prints: readonly PrintInfo[],
  slots: number,
  build: BuildProgram,
): { programs: Assembler[]; ir: IrTrace } {
  const ctx = { traceId: t.traceId, target: t.target, targetText: t.targetText };
  const sites = resolver.siteCount?.(ctx) ?? 2;
  const opts = { resolveVariable: resolver, prints };
  const captureIds = (t.entryCaptures ?? []).map((c) => c.id);
  const programs: Assembler[] = [];
  let first: IrTrace | undefined;
  for (let ret = 0; ret + 1 < sites || ret === 0; ret += 2) {
    const bound = bindTrace(t, ret, reporter, opts);
    const lowered = lowerTrace(bound);
    const needsBias = usesModuleBias(lowered);
    const ir: IrTrace = needsBias
      ? { ...lowered, body: replaceModuleBias(lowered.body) as IrStmt[] }
      : lowered;
    first ??= ir;
    programs.push(build(ir, {
      role: "return",
      durationVar: DURATION_VAR,
      entryVars: needsBias
        ? [...captureIds, ...pad(slots - 1 - captureIds.length), BIAS_VAR]
        : captureIds,
    }, undefined));
    const entrySite = ret + 1;
    const frame = frameAddress(t, resolver, ret, entrySite, reporter);
    const captures: IrExpr[] = bindCaptures(t, entrySite, reporter, opts);
    if (needsBias) {
      while (captures.length < slots - 1) captures.push({ kind: "const", value: 0n });
      captures.push({ kind: "moduleBias" });
    }
    const entryIr: IrTrace = {
      traceId: t.traceId,
      name: programName(t.traceId, t.targetText),
      body: [],
    };
    programs.push(build(
      entryIr,
      { role: "entry", frame, captures, slots },
      needsBias ? resolver.probeAddress?.({ ...ctx, site: entrySite }) : undefined,
    ));
  }
  return { programs, ir: first! };
}

/**
 * The call's frame address at the entry site, which `regs->sp` equals at the uretprobe: from
 * the call frame information, or `rsp + 8` when the entry site is the function's first
 * instruction (a module without DWARF is probed there).
 */
function frameAddress(
  t: ResolvedTrace,
  resolver: VariableResolver,
  ret: number,
  entry: number,
  reporter: Reporter,
): IrExpr {
  const ctx = { traceId: t.traceId, target: t.target, targetText: t.targetText };
  const fromCfi = resolver.frameAddress?.({ ...ctx, site: entry });
  if (fromCfi) return fromCfi;
  const at = (site: number) => resolver.probeAddress?.({ ...ctx, site });
  const entryPc = at(entry);
  if (entryPc === undefined || entryPc === at(ret)) {
    return {
      kind: "arith",
      op: "add",
      signed: false,
      left: { kind: "ctx", offset: PT_REGS_SP },
      right: { kind: "const", value: 8n },
    };
  }
  throw reporter.error(
    { start: t.span.start, end: t.span.start + 5 },
    `trace block '${t.targetText}': no call frame information at 0x${
      entryPc.toString(16)
    } to pair its returns with their entries`,
  );
}

/** Unused variable ids for padding slots (never read). */
function pad(n: number): number[] {
  return Array.from({ length: Math.max(0, n) }, (_, i) => ENTRY_VAR_BASE + 32 + i);
}

/** The IR with every `moduleBias` read from the captured bias instead. */
function replaceModuleBias(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(replaceModuleBias);
  if (node === null || typeof node !== "object" || node instanceof Uint8Array) return node;
  const o = node as Record<string, unknown>;
  if (o.kind === "moduleBias") return { kind: "var", id: BIAS_VAR };
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = replaceModuleBias(v);
  return out;
}
