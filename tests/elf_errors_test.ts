/** Files a user can hand us by mistake: each fails with one UsageError line naming what it is. */

import assert from "node:assert/strict";
import { assertEquals, assertThrows } from "./assert.ts";
import { fixtures } from "./elf_fixtures_test.ts";
import { openElf, parseElf } from "../lib/elf/mod.ts";
import { UsageError } from "../lib/errors.ts";

/** A 64-byte ELF header with the given identification and machine, no tables. */
function craftHeader(cls: number, data: number, machine = 62): Uint8Array {
  const b = new Uint8Array(64);
  b.set([0x7f, 0x45, 0x4c, 0x46, cls, data, 1]);
  const dv = new DataView(b.buffer);
  const le = data !== 2;
  dv.setUint16(16, 2, le); // ET_EXEC
  dv.setUint16(18, machine, le);
  dv.setUint32(20, 1, le);
  dv.setUint16(52, 64, le);
  return b;
}

/** Asserts a one-line UsageError containing `includes` and returns its message. */
function usage(fn: () => unknown, includes: string): string {
  const e = assertThrows(fn, UsageError, includes);
  assert.ok(!e.message.includes("\n"), `one line: ${e.message}`);
  return e.message;
}

Deno.test("elf errors: not an ELF file", async () => {
  const f = await fixtures();
  const script = `${f.dir}/script.sh`;
  await Deno.writeTextFile(script, "#!/bin/sh\necho hello\n");
  assertEquals(
    usage(() => openElf(script), "is not an ELF file"),
    `${script} is not an ELF file (starts with 0x23 0x21 0x2f 0x62)`,
  );
  const empty = `${f.dir}/empty`;
  await Deno.writeFile(empty, new Uint8Array(0));
  assertEquals(
    usage(() => openElf(empty), "is not an ELF file"),
    `${empty} is not an ELF file (the file is empty)`,
  );
  usage(() => parseElf(new Uint8Array([0x7f, 0x45]), "two-bytes"), "two-bytes is not an ELF file");
});

Deno.test("elf errors: unreadable paths", async () => {
  const f = await fixtures();
  assertEquals(
    usage(() => openElf(`${f.dir}/missing`), "no such file"),
    `${f.dir}/missing: no such file`,
  );
  assertEquals(
    usage(() => openElf(f.dir), "directory"),
    `${f.dir} is a directory, not an ELF file`,
  );
});

Deno.test("elf errors: 32-bit ELF", async () => {
  const f = await fixtures();
  assertEquals(
    usage(() => parseElf(craftHeader(1, 1, 3), "/bin/foo"), "32-bit"),
    "/bin/foo is a 32-bit ELF (ELFCLASS32); ghostscope traces x86_64 ELF64 only",
  );
  // A real one when gcc can target i386 (multilib headers are enough for -c).
  if (f.obj32) {
    usage(() => openElf(f.obj32!), `${f.obj32} is a 32-bit ELF (ELFCLASS32)`);
  }
  // A 52-byte 32-bit header is still reported as 32-bit, not as truncated.
  usage(() => parseElf(craftHeader(1, 1, 3).subarray(0, 52), "short32"), "32-bit");
});

Deno.test("elf errors: big-endian, other machines, bad identification", () => {
  assertEquals(
    usage(() => parseElf(craftHeader(2, 2, 21), "/bin/ppc"), "big-endian"),
    "/bin/ppc is a big-endian ELF (ELFDATA2MSB); ghostscope traces little-endian x86_64 ELF64 only",
  );
  assertEquals(
    usage(() => parseElf(craftHeader(2, 1, 183), "/bin/arm"), "AArch64"),
    "/bin/arm is an ELF for AArch64 (EM_AARCH64), e_machine 183; ghostscope traces x86_64 ELF64 only",
  );
  usage(() => parseElf(craftHeader(2, 1, 9999), "odd"), "an unknown machine, e_machine 9999");
  usage(() => parseElf(craftHeader(7, 1), "badclass"), "invalid ELF class byte 7");
  usage(() => parseElf(craftHeader(2, 0), "baddata"), "invalid ELF data byte 0");
  // A minimal valid header with no tables parses.
  const bare = parseElf(craftHeader(2, 1), "bare");
  assertEquals([bare.sections.length, bare.programHeaders.length, bare.kind], [0, 0, "executable"]);
});

Deno.test("elf errors: truncated files", async () => {
  const f = await fixtures();
  const whole = Deno.readFileSync(f.pie);
  usage(() => parseElf(whole.subarray(0, 10), "cut10"), "only 10 bytes, too short");
  usage(() => parseElf(whole.subarray(0, 40), "cut40"), "the ELF64 header needs 64");
  const cut = `${f.dir}/cut`;
  await Deno.writeFile(cut, whole.subarray(0, 4000));
  const msg = usage(() => openElf(cut), `${cut} is truncated or corrupt`);
  assert.ok(msg.includes("section header table"), msg);
  assert.ok(msg.includes("the file has 4000 bytes"), msg);
  // Everything but the last byte: the section header table is the last thing in the file.
  usage(() => parseElf(whole.subarray(0, whole.length - 1), "minus1"), "section header table");
  // Program headers pointing past the end.
  usage(() => parseElf(whole.subarray(0, 100), "cut100"), "program header table");
});

Deno.test("elf errors: a section or segment beyond the end of the file", async () => {
  const f = await fixtures();
  const elf = openElf(f.pie);
  const text = elf.sectionHeader(".text")!;
  const bytes = Deno.readFileSync(f.pie);
  const dv = new DataView(bytes.buffer);
  dv.setBigUint64(elf.header.shoff + text.index * 64 + 24, BigInt(bytes.length - 4), true);
  usage(() => parseElf(bytes, "badsec"), `section ${text.index} (sh_offset`);

  const seg = Deno.readFileSync(f.pie);
  const load = elf.programHeaders.findIndex((p) => p.type === 1);
  new DataView(seg.buffer).setBigUint64(elf.header.phoff + load * 56 + 32, 1n << 40n, true);
  usage(() => parseElf(seg, "badseg"), `segment ${load}`);

  const huge = Deno.readFileSync(f.pie);
  new DataView(huge.buffer).setBigUint64(40, 1n << 60n, true); // e_shoff beyond 2^53
  usage(() => parseElf(huge, "huge"), "e_shoff is 0x1000000000000000, beyond 2^53");

  const entsize = Deno.readFileSync(f.pie);
  new DataView(entsize.buffer).setUint16(58, 40, true);
  usage(() => parseElf(entsize, "ent"), "e_shentsize is 40, ELF64 requires 64");
});
