/**
 * variablesAt(pc) against gdb's `info scope *ADDR` at every instruction of the fixture's
 * functions, for -O0/-O2 and DWARF 4/5: same names, and a location plan of the kind gdb
 * describes (register, constant, frame/static memory, optimized out where no list entry covers
 * the pc or only an entry value is known).
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { type LocationPlan, type VariableInfo } from "../lib/dwarf/index.ts";
import { buildFixture, gdb, loadElfDwarf, VARIANTS } from "./dwarf_fixture_test.ts";

const FUNCTIONS = ["handle", "fill", "main", "util_twice", "on_request"];

/** Instruction addresses of `fn` from objdump, within the symbol's size (no padding). */
function instructions(binary: string, fn: string): number[] {
  const run = (cmd: string, args: string[]) =>
    new TextDecoder().decode(new Deno.Command(cmd, { args, stdout: "piped" }).outputSync().stdout);
  const sym = run("nm", ["-S", binary]).split("\n").map((l) => l.split(" "))
    .find((f) => f.length === 4 && f[3] === fn);
  if (!sym) throw new Error(`no symbol ${fn}`);
  const start = parseInt(sym[0], 16);
  const end = start + parseInt(sym[1], 16);
  const out: number[] = [];
  for (const line of run("objdump", ["-d", "--no-show-raw-insn", binary]).split("\n")) {
    const m = /^\s+([0-9a-f]+):/.exec(line);
    if (!m) continue;
    const a = parseInt(m[1], 16);
    if (a >= start && a < end) out.push(a);
  }
  return out;
}

/** What gdb says about one symbol at a pc. */
type GdbLoc =
  | { kind: "reg"; reg: string }
  | { kind: "const"; value: bigint }
  | { kind: "static"; address: number }
  | { kind: "fbreg"; offset: number }
  | { kind: "expr"; ops: string[] }
  | { kind: "optimized-out" };

/** Parses `info scope *ADDR` output into symbol → location description at ADDR. */
function parseScope(text: string, pc: number): Map<string, GdbLoc> {
  const out = new Map<string, GdbLoc>();
  const symbols = text.split(/\nSymbol /).slice(1);
  for (const s of symbols) {
    const name = s.slice(0, s.indexOf(" is "));
    const body = s.slice(name.length + 1);
    let loc: GdbLoc | undefined;
    if (body.startsWith("is multi-location:")) {
      loc = { kind: "optimized-out" };
      const ranges = body.split(/\n\s+(?:Base address 0x[0-9a-f]+\s+)?Range /).slice(1);
      for (const r of ranges) {
        const m = /^0x([0-9a-f]+)-0x([0-9a-f]+): ([\s\S]*)$/.exec(r);
        if (!m) continue;
        const lo = parseInt(m[1], 16);
        const hi = parseInt(m[2], 16);
        if (pc >= lo && pc < hi) loc = describe(m[3]);
      }
    } else if (/^is (a function at address|a typedef|a label)/.test(body)) {
      continue; // not a variable (inlined function's symbol, local typedef, ...)
    } else {
      loc = describe(body.replace(/^is /, ""));
    }
    if (!out.has(name)) out.set(name, loc);
  }
  return out;
}

function describe(d: string): GdbLoc {
  let m = /^a variable in \$(\w+)/.exec(d);
  if (m) return { kind: "reg", reg: m[1] };
  m = /^(?:the constant|a constant with value) (-?\d+)/.exec(d);
  if (m) return { kind: "const", value: BigInt(m[1]) };
  m = /^(?:in )?static storage at address 0x([0-9a-f]+)/.exec(d);
  if (m) return { kind: "static", address: parseInt(m[1], 16) };
  m = /^a variable at frame base reg \$\w+ offset \d+\+(-?\d+)/.exec(d);
  if (m) return { kind: "fbreg", offset: Number(m[1]) };
  if (/^optimized out/.test(d)) return { kind: "optimized-out" };
  if (d.startsWith("a complex DWARF expression:")) {
    const ops = [...d.matchAll(/\d+: (DW_OP_\w+)(?: (-?\d+))?/g)].map((x) =>
      x[1] + (x[2] ? " " + x[2] : "")
    );
    if (ops.length === 1 && ops[0].startsWith("DW_OP_fbreg")) {
      return { kind: "fbreg", offset: Number(ops[0].split(" ")[1]) };
    }
    return { kind: "expr", ops };
  }
  throw new Error(`unrecognized gdb location: ${d.slice(0, 80)}`);
}

function check(
  v: VariableInfo,
  g: GdbLoc,
  pc: number,
  entry: number,
  cfaOffset: number | undefined,
): void {
  const plan: LocationPlan = v.location;
  const where = `${v.name} at 0x${pc.toString(16)}: gdb ${
    JSON.stringify(g, (_, x) => typeof x === "bigint" ? x.toString() : x)
  } mine ${plan.text}`;
  switch (g.kind) {
    case "reg":
      equal(plan.kind, "regs", where);
      if (plan.kind === "regs") equal(plan.pieces[0].name, g.reg, where);
      break;
    case "const":
      equal(plan.kind, "value", where);
      if (plan.kind === "value") deepEqual(plan.steps, [{ op: "const", value: g.value }], where);
      break;
    case "static":
      equal(plan.kind, "memory", where);
      if (plan.kind === "memory") {
        deepEqual(plan.steps, [{ op: "addr", address: g.address }], where);
      }
      break;
    case "fbreg": {
      // Frame base is DW_OP_call_frame_cfa: the plan must be CFA + offset, CFA = reg + cfaOffset.
      equal(plan.kind, "memory", where);
      ok(cfaOffset !== undefined, where);
      if (plan.kind === "memory") {
        equal(plan.steps[0].op, "reg", where);
        const add = plan.steps.length === 1 ? { op: "add", value: 0 } : plan.steps[1];
        equal(plan.steps.length <= 2, true, where);
        deepEqual(add, { op: "add", value: cfaOffset! + g.offset }, where);
      }
      break;
    }
    case "expr":
      if (g.ops.includes("DW_OP_implicit_pointer")) equal(plan.kind, "optimized-out", where);
      else if (g.ops.includes("DW_OP_entry_value") || g.ops.includes("DW_OP_GNU_entry_value")) {
        // Entry values are only known at the function's first instruction.
        if (pc === entry) ok(plan.kind !== "optimized-out" && plan.kind !== "unsupported", where);
        else equal(plan.kind, "optimized-out", where);
      } else if (g.ops.includes("DW_OP_stack_value")) equal(plan.kind, "value", where);
      else if (g.ops.includes("DW_OP_piece")) {
        ok(plan.kind === "regs" || plan.kind === "unsupported", where);
      } else ok(plan.kind === "memory" || plan.kind === "value", where);
      break;
    case "optimized-out":
      equal(plan.kind, "optimized-out", where);
      break;
  }
}

for (const variant of VARIANTS) {
  Deno.test(`variablesAt matches gdb info scope at every instruction (${variant.label})`, () => {
    const bin = buildFixture(variant.flags);
    const dwarf = loadElfDwarf(bin);
    let checked = 0;
    const kinds = new Map<string, number>();
    for (const fn of FUNCTIONS) {
      const pcs = instructions(bin, fn);
      ok(pcs.length > 0, fn);
      const out = gdb(
        bin,
        ...pcs.flatMap((pc) => [`echo @@@${pc}\\n`, `info scope *0x${pc.toString(16)}`]),
      );
      const chunks = out.split("@@@").slice(1);
      equal(chunks.length, pcs.length);
      for (const chunk of chunks) {
        const pc = parseInt(chunk, 10);
        const expected = parseScope(chunk, pc);
        const scope = dwarf.variablesAt(pc);
        ok(scope.ok, `variablesAt(0x${pc.toString(16)}) in ${fn}`);
        if (!scope.ok) continue;
        const mine = new Map(scope.variables.map((v) => [v.name, v]));
        deepEqual(
          [...mine.keys()].sort(),
          [...expected.keys()].sort(),
          `names at 0x${pc.toString(16)} in ${fn}`,
        );
        const cfa = dwarf.cfaAt(pc);
        const cfaOffset = cfa.ok && cfa.row.cfa.kind === "reg-offset"
          ? cfa.row.cfa.offset
          : undefined;
        for (const [name, g] of expected) {
          check(mine.get(name)!, g, pc, scope.function.entry, cfaOffset);
          checked++;
          const k = mine.get(name)!.location.kind;
          kinds.set(k, (kinds.get(k) ?? 0) + 1);
        }
      }
    }
    ok(checked > 100, `checked ${checked} variable locations`);
    ok((kinds.get("memory") ?? 0) > 0);
    if (variant.flags.includes("-O2")) {
      // Location lists: registers, constants, and pcs where gdb (and we) say optimized out.
      ok((kinds.get("regs") ?? 0) > 20, JSON.stringify([...kinds]));
      ok((kinds.get("value") ?? 0) > 0, JSON.stringify([...kinds]));
      ok((kinds.get("optimized-out") ?? 0) > 5, JSON.stringify([...kinds]));
    }
  });
}

Deno.test("variablesAt: kinds, types, shadowing and globals at -O0", () => {
  const dwarf = loadElfDwarf(buildFixture(["-g", "-O0"]));
  const handle = dwarf.findFunction("handle");
  ok(handle.ok);
  // Inside the inner `{ long result = 5; ... }` block the inner `result` hides the outer one.
  const line = dwarf.lineAddresses("server.c", lineOfText("static_total += result;"));
  ok(line.ok);
  const scope = dwarf.variablesAt(line.addresses[0]);
  ok(scope.ok);
  const result = scope.variables.filter((v) => v.name === "result");
  equal(result.length, 1);
  equal(result[0].typeName, "long");
  equal(result[0].depth, 0);
  const req = scope.variables.find((v) => v.name === "req")!;
  equal(req.kind, "parameter");
  equal(req.typeName, "request_t *");
  const globals = new Map(scope.globals.map((g) => [g.name, g]));
  for (const g of ["global_counter", "static_total", "greeting", "global_req", "table", "ticks"]) {
    ok(globals.has(g), g);
    equal(globals.get(g)!.location.kind, "memory");
  }
  equal(globals.get("global_counter")!.external, true);
  equal(globals.get("static_total")!.external, undefined);
  equal(globals.get("greeting")!.typeName, "const char *");
  equal(globals.get("ticks")!.typeName, "volatile unsigned char");

  // fill's `static int calls` is a static local with an absolute address.
  const fill = dwarf.findFunction("fill");
  ok(fill.ok);
  const fs = dwarf.variablesAt(fill.functions[0].postPrologue);
  ok(fs.ok);
  const calls = fs.variables.find((v) => v.name === "calls")!;
  equal(calls.kind, "static-local");
  ok(calls.location.kind === "memory" && calls.location.rebase);
  equal(fs.variables.find((v) => v.name === "c")!.typeName, "enum color");

  deepEqual(dwarf.closeVariableNames(line.addresses[0], "reqq"), ["req"]);
  ok(dwarf.closeVariableNames(line.addresses[0], "global_countr").includes("global_counter"));
});

Deno.test("variablesAt inside inlined code sees the inlined function's variables (-O2)", () => {
  const dwarf = loadElfDwarf(buildFixture(["-g", "-O2"]));
  const sq = dwarf.findFunction("square");
  ok(sq.ok);
  ok(sq.inlined.length >= 1);
  for (const inst of sq.inlined) {
    const scope = dwarf.variablesAt(inst.entry);
    ok(scope.ok);
    deepEqual(scope.inlineChain, ["square"]);
    ok(scope.variables.some((v) => v.name === "x" && v.kind === "parameter"));
    ok(!scope.variables.some((v) => v.name === "req"), "caller's locals are not visible");
  }
});

Deno.test("globalVariable: extern and static, duplicates across units, not found", () => {
  for (const variant of VARIANTS) {
    const bin = buildFixture(variant.flags);
    const dwarf = loadElfDwarf(bin);
    const g = dwarf.globalVariable("global_counter");
    ok(g.ok, variant.label);
    equal(g.variables.length, 1);
    const addr = gdb(bin, "info address global_counter").match(/at address 0x([0-9a-f]+)/)![1];
    deepEqual(g.variables[0].location, {
      kind: "memory",
      steps: [{ op: "addr", address: parseInt(addr, 16) }],
      rebase: true,
      text: `[0x${addr}]`,
    });
    // `static int table[]` exists in both units with different sizes.
    const t = dwarf.globalVariable("table");
    ok(t.ok);
    deepEqual(t.variables.map((v) => v.typeName).sort(), ["int [10]", "int [4]"]);
    const missing = dwarf.globalVariable("global_countr");
    ok(!missing.ok && missing.reason === "not-found");
    ok(
      !missing.ok && missing.reason === "not-found" &&
        missing.suggestions.includes("global_counter"),
    );
  }
});

function lineOfText(text: string): number {
  const lines = Deno.readTextFileSync(new URL("./fixtures/dwarf/server.c", import.meta.url)).split(
    "\n",
  );
  return lines.findIndex((l) => l.includes(text)) + 1;
}
