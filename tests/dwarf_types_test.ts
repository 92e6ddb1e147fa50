/**
 * Types against gdb: `ptype /o struct request` member offsets and bitfields, `whatis` spellings
 * of globals and parameters; memberOf with typedef/const stripping and suggestions.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { describeType, type DwarfType, memberOf, stripType, typeSize } from "../lib/dwarf/index.ts";
import { buildFixture, gdb, loadElfDwarf, VARIANTS } from "./dwarf_fixture_test.ts";

/** Top-level members of `ptype /o`: name → [offset, bit offset within byte or -1, size]. */
function ptypeOffsets(out: string): Map<string, [number, number, number]> {
  const members = new Map<string, [number, number, number]>();
  let depth = 0;
  for (const line of out.split("\n")) {
    const m = /^\/\*\s+(\d+)(?::\s*(\d+))?\s+\|\s+(\d+) \*\/\s+(.*)$/.exec(line);
    if (m && depth === 1) {
      const decl = m[4];
      const name = /(\w+)(?:\[\d+\])*(?: : \d+)?;?\s*(?:\{)?$/.exec(decl.replace(/\s*\{$/, ""))
        ?.[1];
      if (name) {
        members.set(decl.endsWith("{") ? "<open>" : name, [
          Number(m[1]),
          m[2] ? Number(m[2]) : -1,
          Number(m[3]),
        ]);
      }
    }
    const closing = /^\s*\}\s*(\w+)?;/.exec(line.replace(/^\/\*.*?\*\//, ""));
    if (closing && depth === 2 && members.has("<open>")) {
      members.set(closing[1], members.get("<open>")!);
      members.delete("<open>");
    }
    depth += (line.match(/\{/g) ?? []).length - (line.match(/\}/g) ?? []).length;
  }
  return members;
}

const TYPE_VARIANTS = [
  ...VARIANTS,
  { label: "O0 dwarf5 type units", flags: ["-g", "-O0", "-fdebug-types-section"] },
];

for (const variant of TYPE_VARIANTS) {
  Deno.test(`struct layout matches gdb ptype /o (${variant.label})`, () => {
    const bin = buildFixture(variant.flags);
    const dwarf = loadElfDwarf(bin);
    const expected = ptypeOffsets(gdb(bin, "ptype /o struct request"));
    equal(expected.size, 12, JSON.stringify([...expected]));
    const g = dwarf.globalVariable("global_req");
    ok(g.ok);
    const t = stripType(g.variables[0].type);
    ok(t.kind === "struct");
    if (t.kind !== "struct") return;
    equal(t.name, "request");
    equal(t.size, 144);
    deepEqual(t.members.map((m) => m.name), [...expected.keys()]);
    for (const m of t.members) {
      const [offset, bit, size] = expected.get(m.name!)!;
      if (m.bitfield) {
        equal(Math.floor(m.bitfield.bitOffset / 8), offset, m.name);
        equal(m.bitfield.bitOffset % 8, bit, m.name);
      } else {
        equal(m.offset, offset, m.name);
        equal(typeSize(m.type), size, m.name);
      }
    }
  });

  Deno.test(`type spellings match gdb whatis (${variant.label})`, () => {
    const bin = buildFixture(variant.flags);
    const dwarf = loadElfDwarf(bin);
    const exprs: [string, () => DwarfType][] = [];
    const global = (n: string) => () => {
      const g = dwarf.globalVariable(n);
      if (!g.ok) throw new Error(n);
      return g.variables[0].type;
    };
    const member = (n: string, ...path: string[]) => () => {
      let t = global(n)();
      for (const p of path) {
        const m = memberOf(t, p);
        if (!m.ok) throw new Error(p);
        t = m.type;
      }
      return t;
    };
    exprs.push(
      ["global_counter", global("global_counter")],
      ["static_total", global("static_total")],
      ["greeting", global("greeting")],
      ["global_req", global("global_req")],
      ["ticks", global("ticks")],
      ["global_req.name", member("global_req", "name")],
      ["global_req.path", member("global_req", "path")],
      ["global_req.next", member("global_req", "next")],
      ["global_req.color", member("global_req", "color")],
      ["global_req.u", member("global_req", "u")],
      ["global_req.handler", member("global_req", "handler")],
      ["global_req.matrix", member("global_req", "matrix")],
      ["global_req.pos", member("global_req", "pos")],
      ["global_req.flags", member("global_req", "flags")],
      ["global_req.weight", member("global_req", "weight")],
    );
    const out = gdb(bin, ...exprs.map(([e]) => `whatis ${e}`), "ptype handler_fn", "whatis main");
    const lines = out.split("\n").filter((l) => l.startsWith("type = ")).map((l) => l.slice(7));
    equal(lines.length, exprs.length + 2);
    exprs.forEach(([e, f], i) => equal(describeType(f()), lines[i], e));
    const handler = member("global_req", "handler")();
    equal(handler.kind, "typedef");
    equal(describeType(stripType(handler)), lines[exprs.length]);
    const main = dwarf.findFunction("main");
    ok(main.ok);
  });
}

Deno.test("enum, union, bitfields, arrays, function pointers in the model", () => {
  const dwarf = loadElfDwarf(buildFixture(["-g", "-O0"]));
  const g = dwarf.globalVariable("global_req");
  ok(g.ok);
  const req = g.variables[0].type;
  const color = memberOf(req, "color");
  ok(color.ok);
  const ct = stripType(color.type);
  ok(ct.kind === "enum");
  if (ct.kind === "enum") {
    deepEqual(ct.enumerators, [{ name: "RED", value: 0 }, { name: "GREEN", value: 5 }, {
      name: "BLUE",
      value: 6,
    }]);
    equal(ct.size, 4);
  }
  const u = memberOf(req, "u");
  ok(u.ok && stripType(u.type).kind === "union");
  const mode = memberOf(req, "mode");
  ok(mode.ok);
  deepEqual(mode.ok && mode.member.bitfield, { bitSize: 5, bitOffset: 56 * 8 + 3 });
  const matrix = memberOf(req, "matrix");
  ok(matrix.ok);
  if (matrix.ok) {
    const m = matrix.type;
    ok(m.kind === "array" && m.count === 2 && m.element.kind === "array" && m.element.count === 3);
    equal(typeSize(m), 48);
  }
  const name = memberOf(req, "name");
  ok(name.ok && name.type.kind === "array" && name.type.count === 32);
  ok(name.ok && name.type.kind === "array" && stripType(name.type.element).kind === "base");
  const handler = memberOf(req, "handler");
  ok(handler.ok);
  const fp = stripType(handler.ok ? handler.type : req);
  ok(fp.kind === "pointer" && fp.target.kind === "function");
  if (fp.kind === "pointer" && fp.target.kind === "function") {
    equal(fp.target.params.length, 2);
    equal(describeType(fp.target.returns), "int");
  }
  // Nested anonymous-typed member.
  const pos = memberOf(req, "pos");
  ok(pos.ok);
  const y = memberOf(pos.ok ? pos.type : req, "y");
  ok(y.ok && y.offset === 2);
  // Pointer to struct: memberOf does not dereference.
  const next = memberOf(req, "next");
  ok(next.ok);
  const notAgg = memberOf(next.ok ? next.type : req, "len");
  ok(!notAgg.ok && notAgg.reason === "not-aggregate");
  if (next.ok && next.type.kind === "pointer") {
    const len = memberOf(next.type.target, "len");
    ok(len.ok && len.offset === 0);
  }
  const bad = memberOf(req, "lenn");
  ok(!bad.ok && bad.reason === "no-member");
  if (!bad.ok && bad.reason === "no-member") {
    deepEqual(bad.suggestions, ["len"]);
    equal(bad.typeName, "request_t");
  }
  const bad2 = memberOf(req, "Path");
  ok(!bad2.ok && bad2.reason === "no-member" && bad2.suggestions[0] === "path");
  // char * and const char * (strings).
  const greeting = dwarf.globalVariable("greeting");
  ok(greeting.ok);
  const gt = greeting.ok ? greeting.variables[0].type : req;
  ok(gt.kind === "pointer" && gt.target.kind === "const");
  if (gt.kind === "pointer") {
    const ch = stripType(gt.target);
    ok(ch.kind === "base" && ch.encoding === "char" && ch.size === 1);
  }
  const ticks = dwarf.globalVariable("ticks");
  ok(ticks.ok && ticks.variables[0].type.kind === "volatile");
});
