/** The reader on system binaries (/bin/ls: .dynsym only; glibc libc.so.6) and a 100 MB file. */

import assert from "node:assert/strict";
import { assertEquals } from "./assert.ts";
import {
  compareSymbolsWithReadelf,
  fixtures,
  nmDynamic,
  readelfBuildId,
  run,
} from "./elf_fixtures_test.ts";
import { openElf } from "../lib/elf/mod.ts";

const LIBC = "/lib/x86_64-linux-gnu/libc.so.6";

Deno.test("elf system: /bin/ls has only .dynsym, all entries match readelf", async () => {
  const elf = openElf("/bin/ls");
  assertEquals(elf.kind, "pie");
  assertEquals(elf.symbols.symtab.length, 0);
  assert.ok(elf.symbols.dynsym.length > 50);
  assertEquals(await compareSymbolsWithReadelf("/bin/ls"), elf.symbols.dynsym.length);
  assertEquals(elf.buildId, await readelfBuildId("/bin/ls"));
  assert.ok(elf.symbols.findSymbols("malloc").some((s) => !s.defined && s.version));
  assertEquals(elf.findFunction("malloc"), undefined); // imported, not defined
});

Deno.test("elf system: libc.so.6 symbols, versions and offsets", async () => {
  const t0 = performance.now();
  const elf = openElf(LIBC);
  const t1 = performance.now();
  const count = elf.symbols.dynsym.length;
  const t2 = performance.now();
  const fopen = elf.findFunction("fopen");
  const t3 = performance.now();
  console.log(
    `libc.so.6: open ${(t1 - t0).toFixed(1)} ms, ${count} symbols decoded in ${
      (t2 - t1).toFixed(1)
    } ms, first name lookup ${(t3 - t2).toFixed(1)} ms`,
  );
  assertEquals(elf.kind, "shared"); // has PT_INTERP, but also DT_SONAME and no DF_1_PIE
  assertEquals(elf.dynamic?.soname, "libc.so.6");
  assertEquals(elf.buildId, await readelfBuildId(LIBC));

  const nm = await nmDynamic(LIBC);
  assertEquals(fopen?.name, "fopen@@GLIBC_2.2.5");
  assertEquals(fopen?.value, nm.get("fopen@@GLIBC_2.2.5"));
  assertEquals(elf.findFunction("fopen@@GLIBC_2.2.5")?.value, fopen?.value);
  const gai = elf.findFunction("getaddrinfo")!;
  assertEquals(gai.value, nm.get("getaddrinfo@@GLIBC_2.2.5"));
  assert.ok(gai.size > 0);

  // Two versions of memcpy: the default one (an IFUNC) wins for a bare name.
  const memcpy = elf.findFunction("memcpy")!;
  assertEquals([memcpy.version, memcpy.versionHidden], ["GLIBC_2.14", false]);
  assertEquals(memcpy.value, nm.get("memcpy@@GLIBC_2.14"));
  assertEquals(elf.findFunction("memcpy@GLIBC_2.2.5")?.value, nm.get("memcpy@GLIBC_2.2.5"));

  // Every defined dynamic symbol carries the name nm -D prints.
  for (const s of elf.symbols.dynsym.filter((x) => x.defined)) {
    assertEquals(nm.get(s.name), s.value, s.name);
  }

  // Address lookup and file offsets.
  assertEquals(elf.functionAt(fopen!.value + 1)?.baseName, "fopen");
  assertEquals(elf.functionAt(gai.value + gai.size - 1)?.baseName, "getaddrinfo");
  const off = elf.vaddrToFileOffset(gai.value);
  const dump = await run("objdump", [
    "-d",
    `--start-address=0x${gai.value.toString(16)}`,
    `--stop-address=0x${(gai.value + 4).toString(16)}`,
    LIBC,
  ]);
  const want = [...dump.matchAll(/^\s+[0-9a-f]+:\t((?:[0-9a-f]{2} )+)/gm)]
    .flatMap((m) => m[1].trim().split(" ").map((b) => parseInt(b, 16)))
    .slice(0, 4);
  assertEquals([...elf.bytes.subarray(off, off + 4)], want);

  // Suggestions.
  assertEquals(elf.closeNames("fopn", 3)[0], "fopen");
  assert.ok(elf.closeNames("getaddrinf", 5).includes("getaddrinfo"));
});

Deno.test("elf system: libc.so.6 dynsym matches readelf entry by entry", async () => {
  assertEquals(await compareSymbolsWithReadelf(LIBC), openElf(LIBC).symbols.dynsym.length);
});

Deno.test("elf system: a 100 MB binary opens without walking its bulk", async () => {
  const f = await fixtures();
  const blob = new Uint8Array(100 * 1024 * 1024);
  blob.set([0xde, 0xad, 0xbe, 0xef], 0);
  blob.set([0xca, 0xfe], blob.length - 2);
  await Deno.writeFile(`${f.dir}/blob`, blob);
  const big = `${f.dir}/big`;
  await run("objcopy", [
    `--add-section=.bigdata=${f.dir}/blob`,
    "--set-section-flags=.bigdata=readonly,contents",
    f.pie,
    big,
  ]);
  await Deno.remove(`${f.dir}/blob`);
  try {
    const t0 = performance.now();
    const elf = openElf(big);
    const t1 = performance.now();
    const main = elf.findFunction("main")!;
    const data = elf.section(".bigdata")!;
    const t2 = performance.now();
    console.log(
      `${(elf.bytes.length / 2 ** 20).toFixed(0)} MB: open ${(t1 - t0).toFixed(1)} ms, ` +
        `symbols + section ${(t2 - t1).toFixed(1)} ms`,
    );
    assert.ok(elf.bytes.length > 100 * 1024 * 1024);
    assertEquals(data.length, blob.length);
    assertEquals(data.buffer, elf.bytes.buffer); // a view, not a copy
    assertEquals([...data.subarray(0, 4), ...data.subarray(-2)], [
      0xde,
      0xad,
      0xbe,
      0xef,
      0xca,
      0xfe,
    ]);
    assertEquals(main.value, openElf(f.pie).findFunction("main")!.value);
    assertEquals(elf.buildId, await readelfBuildId(f.pie));
    assert.ok(t2 - t1 < 1000, "symbols and section access do not scale with file size");
  } finally {
    await Deno.remove(big);
  }
});
