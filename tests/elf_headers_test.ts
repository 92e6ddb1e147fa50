/** Header, program header and section header decoding, compared with readelf. */

import assert from "node:assert/strict";
import { assertEquals } from "./assert.ts";
import {
  compareSymbolsWithReadelf,
  fixtures,
  readelfSections,
  readelfSegments,
  run,
} from "./elf_fixtures_test.ts";
import { openElf } from "../lib/elf/mod.ts";
import { ET_DYN, ET_EXEC, ET_REL, PT_LOAD, SHF_COMPRESSED } from "../lib/elf/constants.ts";

const SEGMENT_TYPES: Record<string, number> = {
  LOAD: PT_LOAD,
  INTERP: 3,
  DYNAMIC: 2,
  NOTE: 4,
  PHDR: 6,
  TLS: 7,
  GNU_EH_FRAME: 0x6474e550,
  GNU_STACK: 0x6474e551,
  GNU_RELRO: 0x6474e552,
  GNU_PROPERTY: 0x6474e553,
};

async function compareTables(path: string): Promise<void> {
  const elf = openElf(path);
  const want = await readelfSections(path);
  assertEquals(elf.sections.length - 1, want.length, `${path}: section count`);
  for (const w of want) {
    const s = elf.sections[w.index];
    assertEquals(
      { name: s.name, addr: s.addr, offset: s.offset, size: s.size },
      { name: w.name, addr: w.addr, offset: w.offset, size: w.size },
      `${path}: section [${w.index}]`,
    );
    assertEquals((s.flags & SHF_COMPRESSED) !== 0, w.flags.includes("C"), `${w.name} C flag`);
    assertEquals(elf.sectionHeader(w.name)?.index !== undefined, true);
  }
  const segs = await readelfSegments(path);
  assertEquals(elf.programHeaders.length, segs.length, `${path}: segment count`);
  segs.forEach((w, i) => {
    const p = elf.programHeaders[i];
    if (SEGMENT_TYPES[w.type] !== undefined) assertEquals(p.type, SEGMENT_TYPES[w.type]);
    assertEquals(
      { offset: p.offset, vaddr: p.vaddr, filesz: p.filesz, memsz: p.memsz },
      { offset: w.offset, vaddr: w.vaddr, filesz: w.filesz, memsz: w.memsz },
      `${path}: segment ${i} (${w.type})`,
    );
  });
  assertEquals(elf.loadMap.loads.length, segs.filter((s) => s.type === "LOAD").length);
}

Deno.test("elf headers: sections and segments match readelf for every fixture", async () => {
  const f = await fixtures();
  for (const path of [f.pie, f.nopie, f.shared, f.zlib, f.zlibGnu, f.linked, f.stripped, f.obj]) {
    await compareTables(path);
  }
  if (f.static) await compareTables(f.static);
});

Deno.test("elf headers: entry point and e_type match readelf -h", async () => {
  const f = await fixtures();
  for (const path of [f.pie, f.nopie, f.shared, f.obj]) {
    const text = await run("readelf", ["-hW", path]);
    const entry = parseInt(text.match(/Entry point address:\s+0x([0-9a-f]+)/)![1], 16);
    const elf = openElf(path);
    assertEquals(elf.header.entry, entry, path);
    assertEquals(elf.header.machine, 62);
    const type = text.match(/Type:\s+(\w+)/)![1];
    assertEquals(elf.header.type, { EXEC: ET_EXEC, DYN: ET_DYN, REL: ET_REL }[type], path);
  }
});

Deno.test("elf headers: kind, interp and dynamic info", async () => {
  const f = await fixtures();
  const pie = openElf(f.pie);
  assertEquals(pie.kind, "pie");
  assertEquals(pie.isPositionIndependent, true);
  assertEquals(pie.interp, "/lib64/ld-linux-x86-64.so.2");
  assert.ok(pie.dynamic?.needed.includes("libc.so.6"));

  const nopie = openElf(f.nopie);
  assertEquals(nopie.kind, "executable");
  assertEquals(nopie.isPositionIndependent, false);
  assertEquals(nopie.interp, "/lib64/ld-linux-x86-64.so.2");

  const lib = openElf(f.shared);
  assertEquals(lib.kind, "shared");
  assertEquals(lib.interp, undefined);
  assertEquals(lib.dynamic?.soname, "libfix.so.1");

  assertEquals(openElf(f.obj).kind, "relocatable");
  assertEquals(openElf(f.obj).dynamic, undefined);
  assertEquals(openElf(f.obj).loadMap.loads.length, 0);

  if (f.staticPie) {
    const sp = openElf(f.staticPie);
    assertEquals([sp.kind, sp.interp, sp.isPositionIndependent], ["pie", undefined, true]);
  }
  if (f.static) {
    const st = openElf(f.static);
    assertEquals(st.kind, "executable");
    assertEquals(st.interp, undefined);
    assertEquals(st.symbols.dynsym.length, 0);
    assert.ok(st.findFunction("main"));
  }
});

Deno.test("elf headers: PIE detection without DF_1_PIE falls back to PT_INTERP", async () => {
  const f = await fixtures();
  // Clear DT_FLAGS_1 in a copy of the PIE (older linkers did not set DF_1_PIE).
  const bytes = Deno.readFileSync(f.pie);
  const elf = openElf(f.pie);
  const dyn = elf.sections.find((s) => s.name === ".dynamic")!;
  const dv = new DataView(bytes.buffer);
  let cleared = false;
  for (let o = dyn.offset; o < dyn.offset + dyn.size; o += 16) {
    if (dv.getUint32(o, true) === 0x6ffffffb && dv.getUint32(o + 4, true) === 0) {
      dv.setUint32(o + 8, 0, true);
      cleared = true;
    }
  }
  assert.ok(cleared, "fixture has DT_FLAGS_1");
  const { parseElf } = await import("../lib/elf/mod.ts");
  const copy = parseElf(bytes, "copy");
  assertEquals(copy.dynamic?.flags1, 0);
  assertEquals(copy.kind, "pie");
});

Deno.test("elf headers: >65280 sections use extended numbering and SHN_XINDEX", async () => {
  const f = await fixtures();
  // Assembled directly (gcc would take ~15 s for this many functions).
  const n = 65300;
  let asm = "";
  for (let i = 0; i < n; i++) {
    asm += `.section .t${i},"ax",@progbits\n.globl f${i}\n.type f${i},@function\nf${i}: ret\n` +
      `.size f${i},1\n`;
  }
  await Deno.writeTextFile(`${f.dir}/many.s`, asm);
  await run("as", [`${f.dir}/many.s`, "-o", `${f.dir}/many.o`]);
  const path = `${f.dir}/many.o`;
  const bytes = Deno.readFileSync(path);
  const dv = new DataView(bytes.buffer);
  assertEquals(dv.getUint16(60, true), 0, "e_shnum escape");
  assertEquals(dv.getUint16(62, true), 0xffff, "e_shstrndx escape");

  const elf = openElf(path);
  assert.ok(elf.header.shnum > 65280);
  assertEquals(elf.sections[elf.header.shstrndx].name, ".shstrtab");
  await compareTables(path);
  const last = elf.findFunction(`f${n - 1}`)!;
  assert.ok(last.sectionIndex > 0xff00, "resolved through .symtab_shndx");
  assertEquals(elf.sections[last.sectionIndex].name, `.t${n - 1}`);
  assertEquals(await compareSymbolsWithReadelf(path), elf.symbols.symtab.length);
});
