/**
 * cfaAt(pc) against `readelf --debug-dump=frames-interp` for .eh_frame (default builds) and
 * .debug_frame (-fno-asynchronous-unwind-tables), at every row start and row end.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { buildFixture, loadElfDwarf, VARIANTS } from "./dwarf_fixture_test.ts";

interface Row {
  loc: number;
  cfa: string;
  regs: Map<string, string>;
}

interface Fde {
  section: string;
  lo: number;
  hi: number;
  rows: Row[];
}

/** Parses readelf's interpreted frame tables. */
function readelfFrames(bin: string): Fde[] {
  const r = new Deno.Command("readelf", {
    args: ["--debug-dump=frames-interp", bin],
    stdout: "piped",
  })
    .outputSync();
  const text = new TextDecoder().decode(r.stdout);
  const fdes: Fde[] = [];
  const cieRows = new Map<string, Row[]>();
  let section = "";
  let current: { rows: Row[] } | undefined;
  let columns: string[] = [];
  for (const line of text.split("\n")) {
    const sec = /^Contents of the (\S+) section/.exec(line);
    if (sec) {
      section = sec[1];
      continue;
    }
    const cie = /^([0-9a-f]+) [0-9a-f]+ [0-9a-f]+ CIE/.exec(line);
    if (cie) {
      current = { rows: [] };
      cieRows.set(`${section}:${cie[1]}`, current.rows);
      continue;
    }
    const fde = /FDE cie=([0-9a-f]+) pc=([0-9a-f]+)\.\.([0-9a-f]+)/.exec(line);
    if (fde) {
      const f: Fde = {
        section,
        lo: parseInt(fde[2], 16),
        hi: parseInt(fde[3], 16),
        rows: [],
      };
      fdes.push(f);
      current = f;
      // Until it lists its own rows, an FDE runs with its CIE's initial row.
      const init = cieRows.get(`${section}:${fde[1]}`)?.[0];
      if (init) f.rows.push({ loc: f.lo, cfa: init.cfa, regs: new Map(init.regs) });
      continue;
    }
    if (/^\s+LOC\s+CFA/.test(line)) {
      columns = line.trim().split(/\s+/).slice(2);
      if (current) current.rows.length = 0;
      continue;
    }
    const row = /^([0-9a-f]{16}) (\S+)\s*(.*)$/.exec(line);
    if (row && current) {
      const vals = row[3].trim().split(/\s+/);
      const regs = new Map<string, string>();
      columns.forEach((c, i) => regs.set(c, vals[i] ?? "u"));
      current.rows.push({ loc: parseInt(row[1], 16), cfa: row[2], regs });
    }
  }
  for (const f of fdes) {
    for (const r of f.rows) if (r.loc === 0) r.loc = f.lo;
  }
  return fdes;
}

const REG_NAMES = [
  "rax",
  "rdx",
  "rcx",
  "rbx",
  "rsi",
  "rdi",
  "rbp",
  "rsp",
  "r8",
  "r9",
  "r10",
  "r11",
  "r12",
  "r13",
  "r14",
  "r15",
  "ra",
];

for (
  const variant of [
    ...VARIANTS,
    { label: "O2 debug_frame", flags: ["-g", "-O2", "-fno-asynchronous-unwind-tables"] },
  ]
) {
  Deno.test(`cfaAt matches readelf frames-interp (${variant.label})`, () => {
    const bin = buildFixture(variant.flags);
    const dwarf = loadElfDwarf(bin);
    const fdes = readelfFrames(bin);
    ok(fdes.length >= 5);
    if (variant.label.includes("debug_frame")) ok(fdes.some((f) => f.section === ".debug_frame"));
    let checked = 0;
    let fromDebugFrame = 0;
    for (const f of fdes) {
      for (let i = 0; i < f.rows.length; i++) {
        const row = f.rows[i];
        const end = i + 1 < f.rows.length ? f.rows[i + 1].loc : f.hi;
        for (const pc of new Set([row.loc, end - 1])) {
          const got = dwarf.cfaAt(pc);
          // An .eh_frame FDE hides a .debug_frame one for the same code; skip those.
          if (got.ok && `.${got.row.source}` !== f.section) continue;
          ok(got.ok, `0x${pc.toString(16)}`);
          if (!got.ok) continue;
          if (row.cfa === "exp") equal(got.row.cfa.kind, "expression");
          else {
            const c = got.row.cfa;
            ok(c.kind === "reg-offset");
            if (c.kind === "reg-offset") {
              const off = c.offset;
              equal(
                `${REG_NAMES[c.reg]}${off >= 0 ? "+" : ""}${off}`,
                row.cfa,
                `CFA at 0x${pc.toString(16)}`,
              );
            }
          }
          for (const [reg, v] of row.regs) {
            const n = REG_NAMES.indexOf(reg);
            const rule = got.row.registers.get(n === 16 ? got.row.returnAddressRegister : n);
            if (v === "u") ok(!rule || rule.kind === "undefined", `${reg} at 0x${pc.toString(16)}`);
            else if (/^c[+-]\d+$/.test(v)) {
              deepEqual(
                rule,
                { kind: "offset", offset: Number(v.slice(1)) },
                `${reg} at 0x${pc.toString(16)}`,
              );
            }
          }
          checked++;
          if (got.row.source === "debug_frame") fromDebugFrame++;
        }
      }
    }
    ok(checked > 20, `checked ${checked}`);
    if (variant.label.includes("debug_frame")) ok(fromDebugFrame > 10, `${fromDebugFrame}`);
  });
}

Deno.test("cfaAt: outside any FDE is a not-found value", () => {
  const dwarf = loadElfDwarf(buildFixture(["-g", "-O0"]));
  const r = dwarf.cfaAt(0x10);
  ok(!r.ok);
  deepEqual(r, { ok: false, reason: "no-cfi", pc: 0x10 });
  const main = dwarf.findFunction("main");
  ok(main.ok);
  const atEntry = dwarf.cfaAt(main.functions[0].entry);
  ok(atEntry.ok);
  equal(atEntry.ok && atEntry.text, "CFA=rsp+8");
  const after = dwarf.cfaAt(main.functions[0].postPrologue);
  equal(after.ok && after.text, "CFA=rbp+16");
});
