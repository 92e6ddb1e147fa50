/**
 * The installed libc's separate debug file (libc6-dbg, found through the build id, with
 * compressed sections), checked against gdb, plus timings of the index and a file:line query.
 * Skipped when the debug file is not installed.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { type DwarfSections, loadDwarf } from "../lib/dwarf/index.ts";
import { dwarfSections, type ElfFile, gdb, readElf, symbolAddress } from "./dwarf_fixture_test.ts";

const LIBC = "/lib/x86_64-linux-gnu/libc.so.6";

/** Hex build id from .note.gnu.build-id. */
function buildId(elf: ElfFile): string | undefined {
  const note = elf.data(".note.gnu.build-id");
  if (!note) return undefined;
  const dv = new DataView(note.buffer, note.byteOffset, note.byteLength);
  const namesz = dv.getUint32(0, true);
  const descsz = dv.getUint32(4, true);
  const desc = note.subarray(12 + ((namesz + 3) & ~3), 12 + ((namesz + 3) & ~3) + descsz);
  return [...desc].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function debugFileOf(path: string): string | undefined {
  try {
    const id = buildId(readElf(path));
    if (!id) return undefined;
    const p = `/usr/lib/debug/.build-id/${id.slice(0, 2)}/${id.slice(2)}.debug`;
    Deno.statSync(p);
    return p;
  } catch {
    return undefined;
  }
}

const DEBUG = debugFileOf(LIBC);

function sectionBytes(s: DwarfSections): number {
  let n = 0;
  for (const v of Object.values(s)) if (v instanceof Uint8Array) n += v.length;
  return n;
}

Deno.test({
  name: "libc debug file: fopen's parameters by name, entry values, CFA",
  ignore: !DEBUG,
  fn: () => {
    const libc = readElf(LIBC);
    const dbg = readElf(DEBUG!);
    ok(
      dbg.sections.some((s) => s.name === ".debug_info" && (s.flags & 0x800)),
      "compressed in the package",
    );
    const dwarf = loadDwarf(dwarfSections(dbg, libc));
    // `fopen` is an ELF alias of _IO_new_fopen: resolve it through the symbol's address.
    const addr = symbolAddress(libc, "fopen")!;
    ok(addr > 0);
    const fn = dwarf.functionAt(addr);
    equal(fn?.name, "_IO_new_fopen");
    equal(fn?.entry, addr);
    const found = dwarf.findFunction("_IO_new_fopen");
    ok(found.ok && found.functions.some((f) => f.entry === addr));
    const byAlias = dwarf.findFunction("fopen");
    ok(!byAlias.ok, "DWARF has no subprogram named fopen");

    const scope = dwarf.variablesAt(addr);
    ok(scope.ok);
    if (!scope.ok) return;
    // gdb: "Symbol filename ... a variable in $rdi", "Symbol mode ... a variable in $rsi".
    const info = gdb(LIBC, "info scope fopen");
    const gdbNames = [...info.matchAll(/^Symbol (\w+) is/gm)].map((m) => m[1]);
    deepEqual(scope.variables.map((v) => v.name), gdbNames);
    deepEqual(gdbNames, ["filename", "mode"]);
    for (const [v, reg] of [[scope.variables[0], "rdi"], [scope.variables[1], "rsi"]] as const) {
      equal(v.kind, "parameter");
      equal(v.typeName, "const char *");
      ok(v.location.kind === "regs" && v.location.pieces[0].name === reg);
      ok(
        new RegExp(
          `Symbol ${v.name} is multi-location:\\s+Range 0x${
            addr.toString(16)
          }-\\S+ a variable in \\$${reg}`,
        ).test(info),
      );
    }
    // Past the tail call setup only entry values remain: optimized out for a probe there.
    const later = dwarf.variablesAt(addr + 9);
    ok(later.ok && later.variables.every((v) => v.location.kind === "optimized-out"));

    const cfa = dwarf.cfaAt(addr);
    ok(cfa.ok && cfa.text === "CFA=rsp+8");
  },
});

Deno.test({
  name: "libc debug file: file:line matches gdb for iofopen.c and malloc.c lines",
  ignore: !DEBUG,
  fn: () => {
    const dwarf = loadDwarf(dwarfSections(readElf(DEBUG!), readElf(LIBC)));
    const queries: [string, number][] = [];
    for (let n = 55; n <= 100; n++) queries.push(["iofopen.c", n]);
    for (let n = 3285; n <= 3310; n++) queries.push(["malloc.c", n]);
    const cmds = queries.flatMap(([f, n]) => [`echo @@@${f}:${n}\\n`, `break ${f}:${n}`]);
    const out = gdb(LIBC, ...cmds, "echo @@@end\\n", "info breakpoints");
    const [body, table] = out.split("@@@end");
    const bpOf = new Map<string, number>();
    for (const chunk of body.split("@@@").slice(1)) {
      const m = /^(\S+)\n[\s\S]*?Breakpoint (\d+) at/.exec(chunk);
      if (m) bpOf.set(m[1], Number(m[2]));
    }
    const locs = new Map<number, { address: number; line: number }[]>();
    for (const line of table.split("\n")) {
      const m = /^(\d+)(?:\.\d+)?\s+(?:breakpoint\s+keep\s+)?y\s+0x([0-9a-f]+) in \S+ at \S+:(\d+)/
        .exec(line);
      if (!m) continue;
      if (!locs.has(Number(m[1]))) locs.set(Number(m[1]), []);
      locs.get(Number(m[1]))!.push({ address: parseInt(m[2], 16), line: Number(m[3]) });
    }
    let exact = 0;
    for (const [f, n] of queries) {
      const g = locs.get(bpOf.get(`${f}:${n}`) ?? -1) ?? [];
      const mine = dwarf.lineAddresses(f, n);
      const where = `${f}:${n} gdb ${JSON.stringify(g)} mine ${JSON.stringify(mine)}`;
      if (mine.ok && mine.locations.every((l) => l.callSite)) {
        // A call of an inlined function is this line's only code: we probe the inlined
        // copies, gdb moves to the next line with code of its own.
        ok(g.every((l) => l.line > n) && mine.locations.every((l) => l.inlined), where);
      } else if (mine.ok) {
        deepEqual(mine.addresses, g.map((l) => l.address).sort((a, b) => a - b), where);
        exact++;
      } else {
        equal(mine.reason, "no-code", where);
        ok(g.every((l) => l.line > n), where);
      }
    }
    ok(exact > 20, `${exact} lines with code`);

    // Lines whose only code is an inlined call resolve to the inlined copies' entries, and the
    // copies are the ones findFunction lists with that call line.
    let calls = 0;
    for (let n = 3200; n <= 3500; n++) {
      const r = dwarf.lineAddresses("malloc.c", n);
      if (!r.ok || !r.locations.every((l) => l.callSite)) continue;
      for (const l of r.locations) {
        const f = dwarf.findFunction(l.inlined!);
        ok(
          f.ok && f.inlined.some((i) => i.entry === l.address && i.callLine === n),
          `malloc.c:${n}`,
        );
        calls++;
      }
    }
    ok(calls > 0);
  },
});

Deno.test({
  name: "libc debug file: timings (index build, file:line query)",
  ignore: !DEBUG,
  fn: () => {
    const t0 = performance.now();
    const dbg = readElf(DEBUG!);
    const sections = dwarfSections(dbg, readElf(LIBC));
    const t1 = performance.now();
    const mb = sectionBytes(sections) / 1e6;
    const dwarf = loadDwarf(sections);
    const t2 = performance.now();
    const line = dwarf.lineAddresses("iofopen.c", 86);
    const t3 = performance.now();
    ok(line.ok);
    const names = dwarf.functionNames();
    const t4 = performance.now();
    ok(names.length > 3000);
    const line2 = dwarf.lineAddresses("malloc.c", 3300);
    const t5 = performance.now();
    ok(line2.ok);
    const rate = (ms: number) => `${(mb / (ms / 1000)).toFixed(0)} MB/s`;
    console.log(
      [
        `libc DWARF: ${mb.toFixed(1)} MB uncompressed (inflate ${(t1 - t0).toFixed(0)} ms)`,
        `cold file:line (unit scan + line tables): ${(t3 - t2).toFixed(0)} ms, ${rate(t3 - t2)}`,
        `function index (skim of all units): ${(t4 - t3).toFixed(0)} ms, ${rate(t4 - t3)}`,
        `warm file:line: ${(t5 - t4).toFixed(1)} ms`,
      ].join("\n"),
    );
  },
});
