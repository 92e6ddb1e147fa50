/**
 * openElfLazy: the same answers as openElf on real binaries, while reading only what is used, and
 * a file changed on disk between two reads is refused instead of mixing two files.
 */
import assert from "node:assert/strict";
import { assertEquals, assertThrows } from "./assert.ts";
import { ElfFile, openElf, openElfLazy } from "../lib/elf/mod.ts";
import { LazyFile } from "../lib/elf/lazy_file.ts";
import { UsageError } from "../lib/errors.ts";

const FILES = [
  "/bin/ls",
  "/lib/x86_64-linux-gnu/libc.so.6",
  "/lib64/ld-linux-x86-64.so.2",
  Deno.execPath(),
].filter((p) => {
  try {
    return Deno.statSync(p).isFile;
  } catch {
    return false;
  }
});

/** Everything a tracing run asks of a module, as plain data. */
function summary(elf: ElfFile) {
  const sections = elf.sections.map((s) => `${s.name}@${s.offset}+${s.size}`);
  const dyn = elf.dynamic;
  return {
    header: elf.header,
    sections,
    kind: elf.kind,
    interp: elf.interp,
    buildId: elf.buildId,
    debugLink: elf.debugLink,
    soname: dyn?.soname,
    needed: dyn?.needed,
    notes: elf.notes().length,
    symtab: elf.symbols.symtab.length,
    dynsym: elf.symbols.dynsym.length,
    malloc: elf.findSymbol("malloc"),
    main: elf.findFunction("main"),
    hasDebugInfo: elf.hasDebugInfo,
    text: elf.sectionHeader(".text")
      ? [...elf.rawSectionData(elf.sectionHeader(".text")!).subarray(0, 64)]
      : [],
  };
}

for (const path of FILES) {
  Deno.test(`elf lazy: ${path} reads the same as openElf`, () => {
    assertEquals(summary(openElfLazy(path)), summary(openElf(path)));
  });
}

Deno.test("elf lazy: a symbol lookup reads the tables, not the code", () => {
  const path = Deno.execPath(); // the deno executable: ~100 MB, mostly code
  const file = new LazyFile(path);
  const size = file.bytes.length;
  const elf = new ElfFile(file.bytes, path, (o, n) => file.load(o, n));
  elf.findSymbol("malloc");
  void elf.buildId;
  assert.ok(
    file.bytesRead < size / 10,
    `read ${file.bytesRead} of ${size} bytes for a symbol lookup`,
  );
});

Deno.test("elf lazy: loads read exactly the asked chunks; a changed file is refused", () => {
  const dir = Deno.makeTempDirSync();
  const path = `${dir}/data`;
  try {
    const data = new Uint8Array(300 * 1024).map((_, i) => (i * 7) & 0xff);
    Deno.writeFileSync(path, data);
    const file = new LazyFile(path);
    file.load(10, 20);
    assertEquals(file.bytesRead, 64 * 1024);
    assertEquals([...file.bytes.subarray(10, 30)], [...data.subarray(10, 30)]);
    assertEquals(file.bytes[70 * 1024], 0); // not loaded yet
    file.load(60 * 1024, 10 * 1024); // chunk 0 again, chunk 1 new
    assertEquals(file.bytesRead, 128 * 1024);
    assertEquals(file.bytes[70 * 1024], data[70 * 1024]);
    const f = Deno.openSync(path, { append: true });
    f.writeSync(new Uint8Array(16));
    f.close();
    file.load(0, 100); // already there: no read, no check
    assertThrows(() => file.load(200 * 1024, 10), UsageError, "changed on disk");
    Deno.removeSync(path);
    assertThrows(() => file.load(200 * 1024, 10), UsageError, "no such file");
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("elf lazy: errors are openElf's", () => {
  assertThrows(() => openElfLazy("/nonexistent/x"), UsageError, "/nonexistent/x: no such file");
  assertThrows(() => openElfLazy("/tmp"), UsageError, "is a directory, not an ELF file");
  assertThrows(() => openElfLazy("/etc/hostname"), UsageError, "is not an ELF file");
});
