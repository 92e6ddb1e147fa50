/** vaddr <-> file offset through PT_LOAD segments, checked against readelf and objdump bytes. */

import assert from "node:assert/strict";
import { assertEquals, assertThrows } from "./assert.ts";
import { fixtures, readelfSections, run } from "./elf_fixtures_test.ts";
import { LoadMap, openElf } from "../lib/elf/mod.ts";
import { UsageError } from "../lib/errors.ts";

/** The first `n` code bytes at `addr` as objdump disassembles them. */
async function objdumpBytes(path: string, addr: number, n: number): Promise<number[]> {
  const out = await run("objdump", [
    "-d",
    `--start-address=0x${addr.toString(16)}`,
    `--stop-address=0x${(addr + n).toString(16)}`,
    path,
  ]);
  const bytes: number[] = [];
  for (const line of out.split("\n")) {
    const m = line.match(/^\s+[0-9a-f]+:\t((?:[0-9a-f]{2} )+)/);
    if (m) bytes.push(...m[1].trim().split(" ").map((b) => parseInt(b, 16)));
  }
  return bytes.slice(0, n);
}

const FUNCTIONS = ["main", "add_numbers", "process_data", "helper_static"];

Deno.test("elf segments: function file offsets agree with .text and objdump", async () => {
  const f = await fixtures();
  for (const path of [f.pie, f.nopie]) {
    const elf = openElf(path);
    const text = (await readelfSections(path)).find((s) => s.name === ".text")!;
    for (const name of FUNCTIONS) {
      const s = elf.findFunction(name)!;
      const off = elf.vaddrToFileOffset(s.value);
      assertEquals(off, s.value - text.addr + text.offset, `${path} ${name}`);
      assertEquals(elf.fileOffsetToVaddr(off), s.value);
      const want = await objdumpBytes(path, s.value, 4);
      assertEquals(want.length, 4);
      assertEquals([...elf.bytes.subarray(off, off + 4)], want, `${path} ${name} bytes`);
    }
  }
  // -no-pie links at 0x400000, so vaddr and file offset differ by that much.
  const nopie = openElf(f.nopie);
  const main = nopie.findFunction("main")!;
  assert.ok(main.value >= 0x400000);
  assertEquals(main.value - nopie.vaddrToFileOffset(main.value), 0x400000);
});

Deno.test("elf segments: shared library and data addresses", async () => {
  const f = await fixtures();
  const lib = openElf(f.shared);
  for (const name of ["lib_add", "vfunc@VERS_1", "vfunc@@VERS_2"]) {
    const s = lib.findFunction(name)!;
    const off = lib.vaddrToFileOffset(s.value);
    assertEquals([...lib.bytes.subarray(off, off + 3)], await objdumpBytes(f.shared, s.value, 3));
  }
  // Initialized data lives in a file-backed segment: its bytes are the value 7.
  const counter = lib.findSymbol("lib_counter")!;
  const off = lib.vaddrToFileOffset(counter.value);
  assertEquals(new DataView(lib.bytes.buffer).getInt32(off, true), 7);
});

Deno.test("elf segments: unmapped and .bss addresses throw UsageError", async () => {
  const f = await fixtures();
  const elf = openElf(f.pie);
  assertThrows(
    () => elf.vaddrToFileOffset(0x7fff_0000_0000),
    UsageError,
    `address 0x7fff00000000 is not inside any PT_LOAD segment of ${f.pie}`,
  );
  assertEquals(elf.loadMap.tryVaddrToFileOffset(0x7fff_0000_0000), undefined);
  const bss = elf.sectionHeader(".bss")!;
  assertThrows(() => elf.vaddrToFileOffset(bss.addr), UsageError, "zero-filled");
  assertThrows(() => elf.fileOffsetToVaddr(elf.bytes.length + 10), UsageError, "file offset");
  assertThrows(
    () => openElf(f.obj).vaddrToFileOffset(0),
    UsageError,
    "it has no PT_LOAD segments",
  );
});

Deno.test("elf segments: LoadMap on synthetic headers", () => {
  const seg = (offset: number, vaddr: number, filesz: number, memsz: number) => ({
    type: 1,
    flags: 5,
    offset,
    vaddr,
    paddr: vaddr,
    filesz,
    memsz,
    align: 0x1000,
  });
  const m = new LoadMap([
    seg(0, 0x400000, 0x1000, 0x1000),
    seg(0x1000, 0x401000, 0x500, 0x500),
    seg(0x2000, 0x403000, 0x100, 0x2000),
    { ...seg(0, 0, 0, 0), type: 2 },
  ], "synthetic");
  assertEquals(m.loads.length, 3);
  assertEquals(m.vaddrToFileOffset(0x401234), 0x1234);
  assertEquals(m.vaddrToFileOffset(0x4030ff), 0x20ff);
  assertEquals(m.tryVaddrToFileOffset(0x403100), undefined); // .bss part
  assertEquals(m.tryVaddrToFileOffset(0x401500), undefined); // end is exclusive
  assertEquals(m.fileOffsetToVaddr(0x20ff), 0x4030ff);
  assertEquals(m.tryFileOffsetToVaddr(0x1800), undefined); // gap between segments
  // x86_64 user addresses near 2^47 stay exact as numbers.
  const high = new LoadMap([seg(0, 0x7fff_f000_0000, 0x1000, 0x1000)], "high");
  assertEquals(high.vaddrToFileOffset(0x7fff_f000_0fff), 0xfff);
});
