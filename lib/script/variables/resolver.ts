/**
 * The DWARF {@link VariableResolver}: a name at a trace point resolves, in order, to
 *
 * 1. a parameter or local in scope at the probe pc (innermost block first; an inner name hides
 *    outer ones), then a global of the pc's compile unit (static or extern);
 * 2. a global of another compile unit of the probed module;
 * 3. a global defined in another module of the process (e.g. a libc global), rebased with a
 *    bias known at compile time (-p) or unavailable.
 *
 * Globals of the probed module are rebased in the kernel from the probe's own instruction
 * pointer (`moduleBias`), so they are right in any process running the module.
 * @module
 */

import { type DwarfInfo, type DwarfType, stripType, type VariableInfo } from "../../dwarf/index.ts";
import { returnValuePlan } from "./return_value.ts";
import type { IrExpr } from "../../../bpf/ir.ts";
import { ptRegsOffset } from "../../dwarf/expr.ts";
import {
  type ResolvedVariable,
  type TypeLookup,
  type VariableContext,
  VariableError,
  type VariableResolver,
} from "../resolver.ts";
import type { TypeSpelling } from "../cast_type.ts";
import { ValueStatus } from "../../../bpf/wire.ts";
import type { DwarfLoad } from "./load.ts";
import { type Bias, PROBE_MODULE_BIAS, type TlsBlock, valueFromPlan } from "./location.ts";
import { type DValue, irConst, ValueError } from "./values.ts";

/** A module whose debug info may be searched. */
export interface VariableModule {
  /** Path as the target sees it (messages). */
  path: string;
  /** Its DWARF, or why there is none (called lazily, at most once per resolver). */
  dwarf(): DwarfLoad;
  /** Where its thread-local variables are (the executable's static TLS), when it has some. */
  tls?(): TlsBlock | undefined;
}

/** Where a trace block probes. */
export interface ProbeLocation {
  module: VariableModule;
  /** Link-time address of the probed instruction. */
  pc: number;
  /** The function the site is in (what `$func` shows), when known. */
  function?: string;
}

/** Inputs of {@link DwarfVariableResolver}. */
export interface DwarfResolverOptions {
  /**
   * Where the trace block `ctx` probes: one location per site (asked once per block, when a
   * variable is needed; never empty).
   */
  locate(ctx: VariableContext): ProbeLocation[];
  /** Other modules of the process, searched for globals the probed module does not define. */
  modules?: readonly VariableModule[];
  /**
   * How addresses of another module are rebased (-p: a constant from /proc/PID/maps; the
   * `proc_module_offsets` map of -t mode plugs in here). Default: unavailable.
   */
  biasOf?(module: VariableModule): Bias;
}

/** Resolves program variables through DWARF (see the module doc). */
export class DwarfVariableResolver implements VariableResolver {
  readonly #opts: DwarfResolverOptions;
  readonly #probes = new Map<number, ProbeLocation[]>();
  readonly #loads = new Map<VariableModule, DwarfLoad>();

  constructor(opts: DwarfResolverOptions) {
    this.#opts = opts;
  }

  #sites(ctx: VariableContext): ProbeLocation[] {
    let p = this.#probes.get(ctx.traceId);
    if (!p) {
      p = this.#opts.locate(ctx);
      if (p.length === 0) throw new VariableError(`trace ${ctx.targetText ?? ""}: no probe site`);
      this.#probes.set(ctx.traceId, p);
    }
    return p;
  }

  #probe(ctx: VariableContext): ProbeLocation {
    const sites = this.#sites(ctx);
    return sites[ctx.site ?? 0] ?? sites[0];
  }

  siteCount(ctx: VariableContext): number {
    return this.#sites(ctx).length;
  }

  #dwarf(m: VariableModule): DwarfLoad {
    let d = this.#loads.get(m);
    if (!d) {
      d = m.dwarf();
      this.#loads.set(m, d);
    }
    return d;
  }

  probeAddress(ctx: VariableContext): number {
    return this.#probe(ctx).pc;
  }

  resolve(name: string, ctx: VariableContext): ResolvedVariable | undefined {
    if (name === "$func") return { value: functionNameValue(this.#sites(ctx), ctx.site ?? 0) };
    const probe = this.#probe(ctx);
    if (name === "$retval") return { value: this.#returnValue(probe) };
    const load = this.#dwarf(probe.module);
    if (!load.ok) throw new VariableError(`cannot look up '${name}': ${load.message}`);
    const own = findInModule(load.dwarf, name, probe.pc);
    if (own) return { value: this.#value(own, name, PROBE_MODULE_BIAS, probe.module.tls?.()) };
    const declared = load.dwarf.globalVariable(name);
    // an enumerator of a type in scope (`RUNNING`) before globals of other modules, like C
    const enumerator = findEnumerator(load.dwarf, name, probe.pc);
    if (enumerator) return { value: enumerator };
    for (const m of this.#opts.modules ?? []) {
      if (m === probe.module || m.path === probe.module.path) continue;
      const d = this.#dwarf(m);
      if (!d.ok) continue;
      const g = d.dwarf.globalVariable(name);
      if (!g.ok) continue;
      const v = pickGlobal(g.variables);
      const bias = this.#opts.biasOf?.(m) ??
        { kind: "unavailable", why: `the load address of ${m.path} is not known` } as const;
      return { value: this.#value(v, name, bias) };
    }
    if (!declared.ok && declared.reason === "declaration-only") {
      // Known to the module's DWARF but with no location anywhere: a static the compiler
      // optimized away (gdb: `<optimized out>`), or an extern defined in a module without
      // debug info.
      return {
        value: {
          kind: "unavailable",
          type: { kind: "void", dieOffset: 0 },
          status: ValueStatus.OptimizedOut,
          why: `'${name}' has no location in the debug info`,
        },
      };
    }
    return undefined;
  }

  /**
   * `$retval` at a return site: the function's return type, where the ABI puts it. Without
   * DWARF (a stripped module) it is `rax` as a `long`, like bpftrace's `retval`.
   */
  #returnValue(probe: ProbeLocation): DValue {
    const load = this.#dwarf(probe.module);
    if (!load.ok) return { kind: "scalar", type: RAX_LONG, expr: { kind: "ctx", offset: 80 } };
    const type = load.dwarf.returnTypeAt(probe.pc);
    if (type === undefined) {
      throw new VariableError(`cannot type '$retval': no DWARF function covers this address`);
    }
    const plan = returnValuePlan(type);
    if ("error" in plan) throw new VariableError(`'$retval': ${plan.error}`);
    try {
      return valueFromPlan(plan, type, PROBE_MODULE_BIAS);
    } catch (e) {
      if (e instanceof ValueError) throw new VariableError(`cannot read '$retval': ${e.message}`);
      throw e;
    }
  }

  /** Whether `name` is a parameter, a local or a global at the site (undefined: unknown). */
  variableKind(name: string, ctx: VariableContext): "parameter" | "local" | "global" | undefined {
    const probe = this.#probe(ctx);
    const load = this.#dwarf(probe.module);
    if (!load.ok) return undefined;
    const scope = scopeAt(load.dwarf, probe.pc);
    if (!scope.ok) return undefined;
    const v = scope.variables.find((x) => x.name === name);
    if (v) return v.kind === "static-local" ? "global" : v.kind;
    return findInModule(load.dwarf, name, probe.pc) ? "global" : undefined;
  }

  frameAddress(ctx: VariableContext): IrExpr | undefined {
    const probe = this.#probe(ctx);
    const load = this.#dwarf(probe.module);
    if (!load.ok) return undefined;
    const r = load.dwarf.cfaAt(probe.pc);
    if (!r.ok || r.row.cfa.kind !== "reg-offset") return undefined;
    const offset = ptRegsOffset(r.row.cfa.reg);
    if (offset < 0) return undefined;
    return {
      kind: "arith",
      op: "add",
      signed: false,
      left: { kind: "ctx", offset },
      right: irConst(BigInt(r.row.cfa.offset)),
    };
  }

  /** The out-of-line function of the site (for messages). */
  functionName(ctx: VariableContext): string | undefined {
    const probe = this.#probe(ctx);
    if (probe.function) return probe.function;
    const load = this.#dwarf(probe.module);
    return load.ok ? load.dwarf.functionAt(probe.pc)?.name : undefined;
  }

  #value(v: VariableInfo, name: string, bias: Bias, tls?: TlsBlock): DValue {
    try {
      return valueFromPlan(v.location, v.type, bias, tls);
    } catch (e) {
      if (e instanceof ValueError) {
        throw new VariableError(`cannot read '${name}' here: ${e.message}`);
      }
      throw e;
    }
  }

  findType(spelling: TypeSpelling, ctx: VariableContext): TypeLookup {
    const kind = spelling.tag ?? "any";
    const probe = this.#probe(ctx);
    const own = this.#dwarf(probe.module);
    if (own.ok) {
      const t = own.dwarf.typesNamed(spelling.name, kind);
      if (t.length > 0) return { ok: true, type: t[0] };
    }
    const hits: { path: string; type: DwarfType }[] = [];
    for (const m of this.#opts.modules ?? []) {
      if (m === probe.module || m.path === probe.module.path) continue;
      const d = this.#dwarf(m);
      if (!d.ok) continue;
      const t = d.dwarf.typesNamed(spelling.name, kind);
      if (t.length > 0) hits.push({ path: m.path, type: t[0] });
    }
    if (hits.length === 1) return { ok: true, type: hits[0].type };
    if (hits.length > 1) {
      return {
        ok: false,
        reason: "ambiguous",
        modules: hits.map((h) => h.path),
      };
    }
    return { ok: false, reason: "not-found" };
  }

  closeNames(name: string, ctx: VariableContext): string[] {
    const probe = this.#probe(ctx);
    const load = this.#dwarf(probe.module);
    return load.ok ? load.dwarf.closeVariableNames(probe.pc, name) : [];
  }

  candidates(ctx: VariableContext): string[] {
    const probe = this.#probe(ctx);
    const load = this.#dwarf(probe.module);
    if (!load.ok) return [];
    const scope = scopeAt(load.dwarf, probe.pc);
    if (!scope.ok) return [];
    return [...scope.variables.map((v) => v.name), ...scope.globals.map((v) => v.name)];
  }
}

/** The type `$retval` has without DWARF. */
const RAX_LONG: DwarfType = {
  kind: "base",
  name: "long",
  size: 8,
  encoding: "signed",
  signed: true,
  dieOffset: 0,
};

/**
 * `$func` at site `site`: the index of the site's function among the block's function names,
 * typed as an enum of those names (so every site has the same type and the name renders).
 */
function functionNameValue(sites: readonly ProbeLocation[], site: number): DValue {
  const names = [...new Set(sites.map((s) => s.function ?? `0x${s.pc.toString(16)}`))];
  const own = sites[site] ?? sites[0];
  const index = names.indexOf(own.function ?? `0x${own.pc.toString(16)}`);
  const type: DwarfType = {
    kind: "enum",
    name: "function",
    size: 4,
    signed: false,
    enumerators: names.map((name, value) => ({ name, value })),
    declaration: false,
    dieOffset: 0,
  };
  return { kind: "scalar", type, expr: irConst(BigInt(index)) };
}

/** Prefers an externally visible definition among same-named globals. */
function pickGlobal(vs: VariableInfo[]): VariableInfo {
  return vs.find((v) => v.external) ?? vs[0];
}

const scopeCache = new WeakMap<DwarfInfo, Map<number, ReturnType<DwarfInfo["variablesAt"]>>>();

/** `dwarf.variablesAt(pc)`, computed once per module and pc. */
function scopeAt(dwarf: DwarfInfo, pc: number): ReturnType<DwarfInfo["variablesAt"]> {
  let m = scopeCache.get(dwarf);
  if (!m) scopeCache.set(dwarf, m = new Map());
  let s = m.get(pc);
  if (!s) m.set(pc, s = dwarf.variablesAt(pc));
  return s;
}

/** `name` in scope at `pc` (locals, then unit globals), then as a global of the module. */
export function findInModule(dwarf: DwarfInfo, name: string, pc: number): VariableInfo | undefined {
  const scope = scopeAt(dwarf, pc);
  if (scope.ok) {
    const v = scope.variables.find((x) => x.name === name) ??
      scope.globals.find((x) => x.name === name);
    if (v) return v;
  }
  const g = dwarf.globalVariable(name);
  return g.ok ? pickGlobal(g.variables) : undefined;
}

/** Types visited at most when looking for an enumerator. */
const ENUM_SEARCH_LIMIT = 20_000;

/**
 * An enumerator `name` (`RUNNING`) of an enum reachable from the types of the variables visible
 * at `pc`, as a constant of that enum type; undefined when none.
 */
export function findEnumerator(dwarf: DwarfInfo, name: string, pc: number): DValue | undefined {
  const scope = scopeAt(dwarf, pc);
  if (!scope.ok) return undefined;
  const seen = new Set<DwarfType>();
  const stack: DwarfType[] = [...scope.variables, ...scope.globals].map((v) => v.type);
  while (stack.length > 0 && seen.size < ENUM_SEARCH_LIMIT) {
    const t = stack.pop()!;
    if (seen.has(t)) continue;
    seen.add(t);
    const s = stripType(t);
    if (s !== t) stack.push(s);
    switch (s.kind) {
      case "enum": {
        const e = s.enumerators.find((x) => x.name === name);
        if (e) return { kind: "scalar", type: t, expr: irConst(e.value) };
        break;
      }
      case "pointer":
        stack.push(s.target);
        break;
      case "array":
        stack.push(s.element);
        break;
      case "struct":
      case "union":
        for (const m of s.members) stack.push(m.type);
        break;
    }
  }
  return undefined;
}
