/**
 * lineAddresses(file, line) against gdb's `break file:line` for every line of the fixture
 * sources, plus file-name matching (full path, comp_dir-relative, suffix, ambiguous, unknown).
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { loadDwarf } from "../lib/dwarf/index.ts";
import {
  buildFixture,
  dwarfSections,
  fixturePath,
  gdb,
  lineOf,
  loadElfDwarf,
  readElf,
  VARIANTS,
} from "./dwarf_fixture_test.ts";

const FILES = ["server.c", "util.c", "util.h"];

interface GdbBreak {
  /** Locations gdb reports for the line: address and the line it says it landed on. */
  locations: { address: number; line: number }[];
  /** `info line` says the line starts at some address (it has code of its own). */
  hasRow: boolean;
}

/** Runs `break FILE:N` and `info line FILE:N` for every line, in one gdb session. */
function gdbLines(bin: string, file: string, count: number): Map<number, GdbBreak> {
  const cmds: string[] = [];
  for (let n = 1; n <= count; n++) {
    cmds.push(`echo @@@${n}\\n`, `break ${file}:${n}`, `info line ${file}:${n}`);
  }
  cmds.push("echo @@@end\\n", "info breakpoints");
  const out = gdb(bin, ...cmds);
  const [body, table] = out.split("@@@end");
  const bpOfLine = new Map<number, number>();
  const result = new Map<number, GdbBreak>();
  for (const chunk of body.split("@@@").slice(1)) {
    const n = parseInt(chunk, 10);
    const m = /Breakpoint (\d+) at/.exec(chunk);
    if (m) bpOfLine.set(n, Number(m[1]));
    const hasRow = new RegExp(`Line ${n} of "[^"]*" starts at address`).test(chunk);
    result.set(n, { locations: [], hasRow });
  }
  const byBp = new Map<number, { address: number; line: number }[]>();
  for (const line of table.split("\n")) {
    const m = /^(\d+)(?:\.\d+)?\s+(?:breakpoint\s+keep\s+)?y\s+0x([0-9a-f]+) in \S+ at \S+:(\d+)/
      .exec(line);
    if (!m) continue;
    const bp = Number(m[1]);
    if (!byBp.has(bp)) byBp.set(bp, []);
    byBp.get(bp)!.push({ address: parseInt(m[2], 16), line: Number(m[3]) });
  }
  for (const [n, bp] of bpOfLine) result.get(n)!.locations = byBp.get(bp) ?? [];
  return result;
}

for (const variant of VARIANTS) {
  Deno.test(`lineAddresses matches gdb break file:line for every line (${variant.label})`, () => {
    const bin = buildFixture(variant.flags);
    const dwarf = loadElfDwarf(bin);
    let withCode = 0;
    let withoutCode = 0;
    for (const file of FILES) {
      const count = Deno.readTextFileSync(fixturePath(file)).split("\n").length;
      const expected = gdbLines(bin, file, count);
      for (let n = 1; n <= count; n++) {
        const g = expected.get(n)!;
        const mine = dwarf.lineAddresses(file, n);
        const gdbAddrs = g.locations.map((l) => l.address).sort((a, b) => a - b);
        const where = `${file}:${n} gdb ${gdbAddrs.map((a) => a.toString(16))} mine ${
          JSON.stringify(mine)
        }`;
        if (mine.ok && mine.locations.every((l) => l.callSite)) {
          // Only inlined calls on this line: we probe the inlined copies' entries; gdb moves on
          // to the next line with code of its own.
          ok(g.locations.every((l) => l.line > n), where);
          for (const l of mine.locations) ok(l.inlined, where);
          withCode++;
        } else if (mine.ok) {
          // Lines with code: the same addresses (one per block, past the prologue).
          deepEqual(mine.addresses, gdbAddrs, where);
          equal(mine.resolvedFile, fixturePath(file));
          withCode++;
        } else {
          // No code: gdb moved the breakpoint to a later line (or found none); we refuse and
          // name the nearest lines with code instead, the later of which is where gdb went.
          equal(mine.reason, "no-code", where);
          if (mine.reason !== "no-code") continue;
          ok(g.locations.every((l) => l.line > n), where);
          ok(!g.hasRow, where);
          for (const l of mine.nearest) ok(l !== n, where);
          if (g.locations.length) {
            const after = mine.nearest.find((l) => l > n);
            ok(after !== undefined && after <= Math.min(...g.locations.map((l) => l.line)), where);
          }
          withoutCode++;
        }
      }
    }
    ok(withCode > 20 && withoutCode > 20, `${withCode} with code, ${withoutCode} without`);
  });
}

Deno.test("lineAddresses accepts full, comp_dir-relative and suffix paths", () => {
  const bin = buildFixture(["-g", "-O0"]);
  const dwarf = loadElfDwarf(bin);
  const n = lineOf("server.c", "global_counter++;");
  const base = dwarf.lineAddresses("server.c", n);
  ok(base.ok);
  for (const spelling of [fixturePath("server.c"), "dwarf/server.c", "fixtures/dwarf/server.c"]) {
    const r = dwarf.lineAddresses(spelling, n);
    ok(r.ok, spelling);
    deepEqual(r.ok && r.addresses, base.addresses, spelling);
  }
  // Relative to the compilation directory (the fixture is compiled from a temp dir with an
  // absolute source path, so compile a copy with a relative one).
  const dir = Deno.makeTempDirSync();
  Deno.mkdirSync(`${dir}/src`);
  Deno.copyFileSync(fixturePath("util.c"), `${dir}/src/util.c`);
  Deno.copyFileSync(fixturePath("util.h"), `${dir}/src/util.h`);
  Deno.writeTextFileSync(`${dir}/main.c`, "int global_counter;\nint main(void) { return 0; }\n");
  const r = new Deno.Command("gcc", {
    args: ["-g", "-O0", "-o", "prog", "main.c", "src/util.c"],
    cwd: dir,
  }).outputSync();
  ok(r.success);
  const rel = loadDwarf(dwarfSections(readElf(`${dir}/prog`)));
  const line = lineOf("util.c", "int doubled");
  for (const spelling of ["src/util.c", "./src/util.c", "util.c", `${dir}/src/util.c`]) {
    const x = rel.lineAddresses(spelling, line);
    ok(x.ok, spelling);
    equal(x.ok && x.resolvedFile, `${dir}/src/util.c`);
  }
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("lineAddresses: ambiguous basename, unknown file, no code", () => {
  const dir = Deno.makeTempDirSync();
  Deno.mkdirSync(`${dir}/a`);
  Deno.mkdirSync(`${dir}/b`);
  Deno.writeTextFileSync(`${dir}/a/dup.c`, "int fa(int x) {\n  return x + 1;\n}\n");
  Deno.writeTextFileSync(`${dir}/b/dup.c`, "int fb(int x) {\n  return x + 2;\n}\n");
  Deno.writeTextFileSync(
    `${dir}/main.c`,
    "int fa(int);\nint fb(int);\nint main(void) {\n  return fa(1) + fb(2);\n}\n",
  );
  const r = new Deno.Command("gcc", {
    args: ["-g", "-O0", "-o", "prog", "main.c", "a/dup.c", "b/dup.c"],
    cwd: dir,
  }).outputSync();
  ok(r.success);
  const dwarf = loadDwarf(dwarfSections(readElf(`${dir}/prog`)));
  const amb = dwarf.lineAddresses("dup.c", 2);
  ok(!amb.ok && amb.reason === "ambiguous-file");
  if (!amb.ok && amb.reason === "ambiguous-file") {
    deepEqual(amb.candidates, [`${dir}/a/dup.c`, `${dir}/b/dup.c`]);
  }
  const a = dwarf.lineAddresses("a/dup.c", 2);
  ok(a.ok && a.locations[0].function === "fa");
  const b = dwarf.lineAddresses(`${dir}/b/dup.c`, 2);
  ok(b.ok && b.locations[0].function === "fb");

  const none = dwarf.lineAddresses("mian.c", 3);
  ok(!none.ok && none.reason === "no-file");
  if (!none.ok && none.reason === "no-file") ok(none.suggestions.includes("main.c"));

  const blank = dwarf.lineAddresses("main.c", 2);
  ok(!blank.ok && blank.reason === "no-code");
  if (!blank.ok && blank.reason === "no-code") deepEqual(blank.nearest, [3]);
  const past = dwarf.lineAddresses("main.c", 100);
  ok(!past.ok && past.reason === "no-code");
  if (!past.ok && past.reason === "no-code") deepEqual(past.nearest, [5]);
  Deno.removeSync(dir, { recursive: true });
});

Deno.test("lineAddresses reports inlined copies and prologue moves", () => {
  const o2 = loadElfDwarf(buildFixture(["-g", "-O2"]));
  const r = o2.lineAddresses("server.c", lineOf("server.c", "int sq = x * x;"));
  ok(r.ok);
  if (r.ok) {
    // One location per inlined copy (gdb: `server.c:45. (2 locations)` in main and handle).
    deepEqual(r.locations.map((l) => l.function).sort(), ["handle", "main"]);
  }
  const o0 = loadElfDwarf(buildFixture(["-g", "-O0"]));
  const open = o0.lineAddresses("server.c", lineOf("server.c", "int handle(request_t *req"));
  ok(open.ok);
  if (open.ok) {
    const f = o0.findFunction("handle");
    ok(f.ok);
    equal(open.locations[0].afterPrologue, true);
    equal(open.locations[0].lineAddress, f.ok && f.functions[0].entry);
    equal(open.addresses[0], f.ok && f.functions[0].postPrologue);
  }
});
