/** Section data: plain views, SHF_COMPRESSED (zlib, zstd) and legacy .zdebug decompression. */

import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import { assertEquals, assertThrows } from "./assert.ts";
import { fixtures } from "./elf_fixtures_test.ts";
import { decompressChdr, decompressZdebug, openElf, zstdSupported } from "../lib/elf/mod.ts";
import { SHF_COMPRESSED } from "../lib/elf/constants.ts";
import { UsageError } from "../lib/errors.ts";

const DEBUG_SECTIONS = [".debug_info", ".debug_abbrev", ".debug_line", ".debug_str"];

function bytesEqual(a: Uint8Array | undefined, b: Uint8Array | undefined, what: string): void {
  assert.ok(a && b, `${what}: missing`);
  assertEquals(a.length, b.length, `${what}: length`);
  assert.ok(a.every((x, i) => x === b[i]), `${what}: content`);
}

Deno.test("elf sections: uncompressed section data are views of the file", async () => {
  const f = await fixtures();
  const elf = openElf(f.pie);
  const text = elf.sectionHeader(".text")!;
  const data = elf.section(".text")!;
  assertEquals(data.length, text.size);
  assertEquals(data.buffer, elf.bytes.buffer); // no copy
  assertEquals(data.byteOffset, elf.bytes.byteOffset + text.offset);
  // .comment holds the compiler version string, like `readelf -p .comment`.
  const comment = new TextDecoder().decode(elf.section(".comment"));
  assert.ok(comment.includes("GCC"), comment);
  assertEquals(elf.section(".bss")?.length, 0); // SHT_NOBITS
  assertEquals(elf.section(".no_such_section"), undefined);
  assertEquals(elf.hasDebugInfo, true);
  assertEquals(openElf(f.stripped).hasDebugInfo, false);
});

Deno.test("elf sections: -gz=zlib sections decompress to objcopy's output", async () => {
  const f = await fixtures();
  const z = openElf(f.zlib);
  const plain = openElf(f.zlibPlain);
  for (const name of DEBUG_SECTIONS) {
    const sh = z.sectionHeader(name)!;
    assert.ok((sh.flags & SHF_COMPRESSED) !== 0, `${name} is compressed`);
    assert.ok(z.rawSectionData(sh).length !== plain.sectionHeader(name)!.size);
    bytesEqual(z.section(name), plain.section(name), name);
  }
  // Cached: the same array comes back.
  assertEquals(z.section(".debug_info"), z.section(".debug_info"));
  assertEquals(z.hasDebugInfo, true);
});

Deno.test("elf sections: -gz=zlib-gnu .zdebug sections answer for .debug names", async () => {
  const f = await fixtures();
  const z = openElf(f.zlibGnu);
  const plain = openElf(f.zlibGnuPlain);
  assertEquals(z.sectionHeader(".debug_info"), undefined);
  assert.ok(z.sectionHeader(".zdebug_info"));
  let checked = 0;
  for (const name of DEBUG_SECTIONS) {
    const zname = ".zdebug_" + name.slice(".debug_".length);
    if (!z.sectionHeader(zname)) continue; // ld may leave tiny sections uncompressed
    bytesEqual(z.section(name), plain.section(name), name);
    bytesEqual(z.section(zname), plain.section(name), zname);
    checked++;
  }
  assert.ok(checked >= 2, `${checked} .zdebug sections checked`);
  assertEquals(z.hasDebugInfo, true);
});

function chdr(type: number, size: number, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(24 + payload.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, type, true);
  dv.setUint32(8, size, true);
  dv.setUint32(16, 1, true);
  out.set(payload, 24);
  return out;
}

Deno.test("elf sections: decompressChdr handles zlib, zstd and corrupt input", () => {
  const text = new TextEncoder().encode("hello debug world ".repeat(100));
  const z = decompressChdr(chdr(1, text.length, zlib.deflateSync(text)), "f", ".debug_x");
  bytesEqual(z, text, "zlib");
  assertEquals(Object.getPrototypeOf(z), Uint8Array.prototype);
  assert.ok(zstdSupported(), "Deno 2.9 node:zlib has zstd");
  if (zstdSupported()) {
    // deno-lint-ignore no-explicit-any
    const compress = (zlib as any).zstdCompressSync as (b: Uint8Array) => Uint8Array;
    bytesEqual(decompressChdr(chdr(2, text.length, compress(text)), "f", ".d"), text, "zstd");
  }
  assertThrows(
    () => decompressChdr(chdr(1, text.length + 1, zlib.deflateSync(text)), "f", ".debug_x"),
    UsageError,
    "cannot decompress section .debug_x of f",
  );
  assertThrows(
    () => decompressChdr(chdr(1, 10, new Uint8Array([1, 2, 3])), "f", ".debug_x"),
    UsageError,
    "cannot decompress section .debug_x of f",
  );
  assertThrows(() => decompressChdr(chdr(7, 1, text), "f", ".d"), UsageError, "ch_type=7");
  assertThrows(() => decompressChdr(new Uint8Array(5), "f", ".d"), UsageError, "too short");
});

Deno.test("elf sections: decompressZdebug header checks", () => {
  const text = new TextEncoder().encode("abc".repeat(50));
  const body = zlib.deflateSync(text);
  const raw = new Uint8Array(12 + body.length);
  raw.set([0x5a, 0x4c, 0x49, 0x42], 0);
  new DataView(raw.buffer).setUint32(8, text.length, false);
  raw.set(body, 12);
  bytesEqual(decompressZdebug(raw, "f", ".zdebug_x"), text, "zdebug");
  assertThrows(() => decompressZdebug(text, "f", ".zdebug_x"), UsageError, "ZLIB");
});

Deno.test("elf sections: a corrupt compressed section reports the file and section", async () => {
  const f = await fixtures();
  const bytes = Deno.readFileSync(f.zlib);
  const elf = openElf(f.zlib);
  const sh = elf.sectionHeader(".debug_info")!;
  bytes.fill(0xff, sh.offset + 24, sh.offset + sh.size); // keep the Chdr, destroy the stream
  await Deno.writeFile(`${f.dir}/corrupt`, bytes);
  const bad = openElf(`${f.dir}/corrupt`);
  assertThrows(
    () => bad.section(".debug_info"),
    UsageError,
    `cannot decompress section .debug_info of ${f.dir}/corrupt`,
  );
  // Other sections still work.
  assert.ok(bad.section(".text"));
});
