/**
 * findFunction / functionNames / functionAt against gdb: entry addresses (`info line func`),
 * post-prologue addresses (`break func`), inlined copies (`break func` locations).
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { buildFixture, gdb, loadElfDwarf, VARIANTS } from "./dwarf_fixture_test.ts";

const NAMES = ["main", "handle", "fill", "on_request", "square", "util_twice", "util_clamp"];

/** gdb's `break NAME` locations: address list (one per location). */
function gdbBreak(bin: string, name: string): number[] {
  const out = gdb(bin, `break ${name}`, "info breakpoints");
  const addrs: number[] = [];
  for (const line of out.split("\n")) {
    const m = /^\d+(?:\.\d+)?\s+(?:breakpoint\s+keep\s+)?y\s+0x([0-9a-f]+) in /.exec(line);
    if (m) addrs.push(parseInt(m[1], 16));
  }
  return addrs.sort((a, b) => a - b);
}

for (const variant of VARIANTS) {
  Deno.test(`findFunction entry and post-prologue match gdb (${variant.label})`, () => {
    const bin = buildFixture(variant.flags);
    const dwarf = loadElfDwarf(bin);
    let compared = 0;
    for (const name of NAMES) {
      const expected = gdbBreak(bin, name);
      const r = dwarf.findFunction(name);
      if (expected.length === 0) {
        // gdb does not know the function either (fully folded away at -O2).
        ok(!r.ok, `${name} should not be found`);
        continue;
      }
      ok(r.ok, `${name} found`);
      if (!r.ok) continue;
      const mine = [
        ...r.functions.map((f) => f.postPrologue),
        ...r.inlined.map((i) => i.entry),
      ].sort((a, b) => a - b);
      deepEqual(mine, expected, `break ${name}`);
      for (const f of r.functions) {
        // `info line *entry` names the function's first line, starting exactly at the entry.
        const info = gdb(bin, `info line *0x${f.entry.toString(16)}`);
        ok(
          new RegExp(`starts at address 0x${f.entry.toString(16)} <${name}>`).test(info),
          `${name} entry 0x${f.entry.toString(16)}: ${info}`,
        );
        equal(f.lowPc, f.entry);
        ok(f.postPrologue >= f.entry);
        equal(dwarf.functionAt(f.postPrologue)?.name, name);
        equal(
          f.declFile?.endsWith(name.startsWith("util_") ? "util.c" : "server.c"),
          name !== "util_clamp",
        );
      }
      compared++;
    }
    ok(compared >= 5);
  });
}

Deno.test("functionNames, suggestions, declarations are not functions", () => {
  const dwarf = loadElfDwarf(buildFixture(["-g", "-O0"]));
  const names = dwarf.functionNames();
  for (const n of NAMES) ok(names.includes(n), n);
  ok(!names.includes("strlen"), "declarations (external prototypes) are not listed");
  const miss = dwarf.findFunction("hadle");
  ok(!miss.ok);
  if (!miss.ok) deepEqual(miss.suggestions, ["handle"]);
  const strlen = dwarf.findFunction("strlen");
  ok(!strlen.ok, "a declaration without code is not found");
  const main = dwarf.findFunction("main");
  ok(main.ok && main.functions.length === 1 && main.functions[0].external);
  const onreq = dwarf.findFunction("on_request");
  ok(onreq.ok && !onreq.functions[0].external);
  equal(onreq.ok && onreq.functions[0].unit.name.endsWith("server.c"), true);
});

Deno.test("compileUnits lists both units with names, comp_dir and producer", () => {
  for (const variant of VARIANTS) {
    const dwarf = loadElfDwarf(buildFixture(variant.flags));
    const units = dwarf.compileUnits();
    deepEqual(units.map((u) => u.name.split("/").pop()), ["server.c", "util.c"]);
    for (const u of units) {
      equal(u.version, variant.flags.includes("-gdwarf-4") ? 4 : 5);
      ok(u.compDir.startsWith("/"));
      ok(u.producer.startsWith("GNU C"));
      ok(u.ranges.length >= 2);
    }
  }
});
