/** build-id, .gnu_debuglink / .gnu_debugaltlink and CRC32. */

import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import { assertEquals } from "./assert.ts";
import { fixtures, readelfBuildId, run } from "./elf_fixtures_test.ts";
import { crc32, openElf, parseDebugLink, parseNotes } from "../lib/elf/mod.ts";

/** `readelf --debug-dump=links` facts: debuglink name and CRC, altlink name and build-id. */
async function readelfLinks(path: string) {
  const out = await run("readelf", ["--debug-dump=links", path]);
  const sections = out.split("Contents of the ");
  const link = sections.find((s) => s.startsWith(".gnu_debuglink"));
  const alt = sections.find((s) => s.startsWith(".gnu_debugaltlink"));
  return {
    name: link?.match(/Separate debug info file: (\S+)/)?.[1],
    crc: link ? parseInt(link.match(/CRC value: 0x([0-9a-f]+)/)![1], 16) : undefined,
    altName: alt?.match(/Separate debug info file: (\S+)/)?.[1],
    altBuildId: alt?.match(/Build-ID \(0x[0-9a-f]+ bytes\):\n([0-9a-f ]+)/)?.[1].replace(/ /g, ""),
  };
}

Deno.test("elf notes: build-id matches readelf -n", async () => {
  const f = await fixtures();
  for (const path of [f.pie, f.nopie, f.shared, f.stripped, f.linked, f.debugFile, f.zlib]) {
    const want = await readelfBuildId(path);
    assert.ok(want, `${path} has a build-id`);
    assertEquals(openElf(path).buildId, want, path);
  }
  // The separate debug file carries the same build-id as the binary it belongs to.
  assertEquals(openElf(f.debugFile).buildId, openElf(f.pie).buildId);
  assertEquals(openElf(f.obj).buildId, undefined);
});

Deno.test("elf notes: build-id from PT_NOTE when there are no section headers", async () => {
  const f = await fixtures();
  const bytes = Deno.readFileSync(f.pie);
  const dv = new DataView(bytes.buffer);
  dv.setBigUint64(40, 0n, true); // e_shoff = 0
  dv.setUint16(60, 0, true); // e_shnum = 0
  dv.setUint16(62, 0, true); // e_shstrndx = 0
  const { parseElf } = await import("../lib/elf/mod.ts");
  const elf = parseElf(bytes, "no-sections");
  assertEquals(elf.sections.length, 0);
  assertEquals(elf.buildId, await readelfBuildId(f.pie));
  assertEquals(elf.interp, "/lib64/ld-linux-x86-64.so.2");
  assertEquals(elf.kind, "pie"); // dynamic info read through PT_DYNAMIC
  assert.ok(elf.dynamic?.needed.includes("libc.so.6"));
  assertEquals(elf.section(".text"), undefined);
  assertEquals(elf.symbols.all().length, 0);
});

Deno.test("elf notes: .gnu_debuglink written by objcopy", async () => {
  const f = await fixtures();
  const link = openElf(f.linked).debugLink;
  const want = await readelfLinks(f.linked);
  assertEquals(link?.name, "pie.debug");
  assertEquals(link?.name, want.name);
  assertEquals(link?.crc, want.crc);
  assertEquals(crc32(Deno.readFileSync(f.debugFile)), link?.crc);
  assertEquals(openElf(f.pie).debugLink, undefined);
  assertEquals(openElf(f.linked).hasDebugInfo, false);
  assertEquals(openElf(f.debugFile).hasDebugInfo, true);
});

Deno.test("elf notes: /bin/ls debuglink and debugaltlink match readelf", async () => {
  const elf = openElf("/bin/ls");
  const want = await readelfLinks("/bin/ls");
  assert.ok(want.name, "Debian /bin/ls has a .gnu_debuglink");
  assertEquals(elf.debugLink?.name, want.name);
  assertEquals(elf.debugLink?.crc, want.crc);
  assertEquals(elf.debugAltLink?.name, want.altName);
  assertEquals(elf.debugAltLink?.buildId, want.altBuildId);
});

Deno.test("elf notes: parseNotes and parseDebugLink on hand-made bytes", () => {
  // namesz 4 "GNU\0", descsz 3, type 3, desc padded to 4; then a second note.
  const bytes = new Uint8Array([
    4,
    0,
    0,
    0,
    3,
    0,
    0,
    0,
    3,
    0,
    0,
    0,
    0x47,
    0x4e,
    0x55,
    0,
    0xaa,
    0xbb,
    0xcc,
    0,
    2,
    0,
    0,
    0,
    0,
    0,
    0,
    0,
    1,
    0,
    0,
    0,
    0x58,
    0,
    0,
    0,
  ]);
  const notes = parseNotes(bytes);
  assertEquals(notes.length, 2);
  assertEquals([notes[0].name, notes[0].type, [...notes[0].desc]], ["GNU", 3, [0xaa, 0xbb, 0xcc]]);
  assertEquals([notes[1].name, notes[1].type, notes[1].desc.length], ["X", 1, 0]);
  // Truncated tail is ignored.
  assertEquals(parseNotes(bytes.subarray(0, 18)).length, 0);
  const dl = new Uint8Array([0x61, 0x2e, 0x64, 0x62, 0x67, 0, 0, 0, 0x78, 0x56, 0x34, 0x12]);
  assertEquals(parseDebugLink(dl), { name: "a.dbg", crc: 0x12345678 });
  assertEquals(parseDebugLink(dl.subarray(0, 9)), undefined);
});

Deno.test("crc32: known vectors, chaining and agreement with zlib", () => {
  const enc = new TextEncoder();
  assertEquals(crc32(new Uint8Array(0)), 0);
  assertEquals(crc32(enc.encode("123456789")), 0xcbf43926);
  assertEquals(crc32(enc.encode("The quick brown fox jumps over the lazy dog")), 0x414fa339);
  const big = new Uint8Array(100_003);
  for (let i = 0; i < big.length; i++) big[i] = (i * 2654435761) >>> 24;
  const whole = crc32(big);
  assertEquals(crc32(big.subarray(12_345), crc32(big.subarray(0, 12_345))), whole);
  // deno-lint-ignore no-explicit-any
  const zcrc = (zlib as any).crc32 as ((b: Uint8Array) => number) | undefined;
  if (zcrc) {
    assertEquals(whole, zcrc(big));
    for (let n = 0; n < 20; n++) assertEquals(crc32(big.subarray(0, n)), zcrc(big.subarray(0, n)));
  }
});
