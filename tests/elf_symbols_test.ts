/** Symbols: every entry compared with readelf, lookups by name/address, suggestions. */

import assert from "node:assert/strict";
import { assertEquals } from "./assert.ts";
import {
  compareSymbolsWithReadelf,
  fixtures,
  nmDynamic,
  readelfSymbols,
} from "./elf_fixtures_test.ts";
import {
  closeMatches,
  editDistance,
  openElf,
  splitVersionedName,
  SymbolIndex,
} from "../lib/elf/mod.ts";

Deno.test("elf symbols: every .symtab and .dynsym entry matches readelf -sW", async () => {
  const f = await fixtures();
  for (const path of [f.pie, f.nopie, f.shared, f.stripped, f.obj, f.zlib]) {
    assert.ok((await compareSymbolsWithReadelf(path)) > 0, path);
  }
  if (f.static) await compareSymbolsWithReadelf(f.static);
});

Deno.test("elf symbols: lookup by name in a PIE (.symtab preferred)", async () => {
  const f = await fixtures();
  const elf = openElf(f.pie);
  const want = await readelfSymbols(f.pie);
  for (const name of ["main", "add_numbers", "process_data", "helper_static"]) {
    const s = elf.findFunction(name);
    const w = want.find((x) => x.table === ".symtab" && x.name === name)!;
    assert.ok(s, name);
    assertEquals([s.value, s.size, s.type, s.table], [w.value, w.size, "FUNC", ".symtab"], name);
  }
  assertEquals(elf.findFunction("helper_static")?.bind, "LOCAL");
  const counter = elf.findSymbol("global_counter");
  assertEquals(counter?.type, "OBJECT");
  assertEquals(counter?.size, 4);
  assertEquals(elf.findFunction("global_counter"), undefined);
  // fopen is only an import here: undefined symbols are never returned by findSymbol ...
  assertEquals(elf.findSymbol("fopen"), undefined);
  // ... but findSymbols lists them, with the version GNU ld writes into .symtab.
  const imports = elf.symbols.findSymbols("fopen");
  assert.ok(imports.length >= 1);
  assert.ok(imports.every((s) => !s.defined && s.version?.startsWith("GLIBC_")));
  assertEquals(elf.findSymbol("no_such_function"), undefined);
});

Deno.test("elf symbols: stripped PIE falls back to .dynsym", async () => {
  const f = await fixtures();
  const elf = openElf(f.stripped);
  assertEquals(elf.symbols.symtab.length, 0);
  assert.ok(elf.symbols.dynsym.length > 0);
  assertEquals(elf.findFunction("add_numbers"), undefined); // not exported from a PIE
  assert.ok(elf.symbols.findSymbols("printf").every((s) => s.table === ".dynsym" && !s.defined));
});

Deno.test("elf symbols: versioned names in a shared library match nm -D", async () => {
  const f = await fixtures();
  const elf = openElf(f.shared);
  const nm = await nmDynamic(f.shared);
  assertEquals(nm.get("vfunc@@VERS_2") !== undefined, true);
  // .symtab has vfunc@@VERS_2 too; .dynsym agrees on the value.
  const def = elf.findFunction("vfunc")!;
  assertEquals(def.value, nm.get("vfunc@@VERS_2"));
  assertEquals([def.baseName, def.version, def.versionHidden], ["vfunc", "VERS_2", false]);
  assertEquals(elf.findFunction("vfunc@@VERS_2")?.value, nm.get("vfunc@@VERS_2"));
  assertEquals(elf.findFunction("vfunc@VERS_1")?.value, nm.get("vfunc@VERS_1"));
  assertEquals(elf.findFunction("vfunc@VERS_1")?.versionHidden, true);
  assertEquals(elf.findFunction("vfunc@@VERS_1"), undefined); // VERS_1 is not the default
  assertEquals(elf.findFunction("vfunc@VERS_9"), undefined);
  assertEquals(elf.findFunction("lib_add@@VERS_1")?.value, nm.get("lib_add@@VERS_1"));
  // Version-definition ABS symbols print bare, as in nm.
  assert.ok(elf.symbols.dynsym.some((s) => s.name === "VERS_1" && s.version === undefined));
  // Every defined dynamic symbol has the name and value nm -D prints.
  for (const s of elf.symbols.dynsym.filter((x) => x.defined)) {
    assertEquals(nm.get(s.name), s.value, s.name);
  }
  // .symtab is searched first, .dynsym only as a fallback.
  assertEquals(elf.findFunction("lib_add")?.table, ".symtab");
  const onlyDyn = new SymbolIndex([], elf.symbols.dynsym);
  assertEquals(onlyDyn.findFunction("lib_add")?.name, "lib_add@@VERS_1");
});

Deno.test("elf symbols: function containing an address", async () => {
  const f = await fixtures();
  const elf = openElf(f.nopie);
  for (const name of ["main", "add_numbers", "process_data", "helper_static"]) {
    const s = elf.findFunction(name)!;
    assertEquals(elf.functionAt(s.value)?.baseName, name);
    assertEquals(elf.functionAt(s.value + s.size - 1)?.baseName, name);
    const after = elf.functionAt(s.value + s.size);
    assert.ok(after === undefined || after.baseName !== name, `${name} end is exclusive`);
  }
  assertEquals(elf.functionAt(0), undefined);
  assertEquals(elf.functionAt(0x7fff_ffff_0000), undefined);
  const counter = elf.findSymbol("global_counter")!;
  assertEquals(elf.functionAt(counter.value), undefined); // data, not a function
});

Deno.test("elf symbols: closeNames suggests near misses", async () => {
  const f = await fixtures();
  const elf = openElf(f.pie);
  assertEquals(elf.closeNames("add_number", 3)[0], "add_numbers");
  assertEquals(elf.closeNames("proces_data", 3)[0], "process_data");
  assertEquals(elf.closeNames("ADD_NUMBERS", 1), ["add_numbers"]);
  assert.ok(elf.closeNames("numbers", 5).includes("add_numbers"));
  assert.ok(!elf.closeNames("main", 5).includes("main"));
  assertEquals(elf.closeNames("zzzzzzzzzzzz", 5), []);
  assertEquals(elf.closeNames("main", 0), []);
});

Deno.test("elf symbols: editDistance, closeMatches, splitVersionedName", () => {
  assertEquals(editDistance("kitten", "sitting"), 3);
  assertEquals(editDistance("", "abc"), 3);
  assertEquals(editDistance("abc", "abc"), 0);
  assertEquals(editDistance("flaw", "lawn"), 2);
  assertEquals(editDistance("abcdef", "uvwxyz", 2), 3); // bounded: max + 1
  assertEquals(closeMatches("malloc", ["calloc", "malloc_trim", "free", "realloc"], 5), [
    "malloc_trim",
    "calloc",
    "realloc",
  ]);
  assertEquals(closeMatches("x", ["a", "b"], 5), ["a", "b"]); // short queries allow 2 edits
  assertEquals(splitVersionedName("fopen@@GLIBC_2.2.5"), {
    base: "fopen",
    version: "GLIBC_2.2.5",
    hidden: false,
  });
  assertEquals(splitVersionedName("memcpy@GLIBC_2.2.5"), {
    base: "memcpy",
    version: "GLIBC_2.2.5",
    hidden: true,
  });
  assertEquals(splitVersionedName("plain"), { base: "plain", version: undefined, hidden: false });
});

Deno.test("elf symbols: linear-scan lookups agree with the name index", async () => {
  const f = await fixtures();
  const elf = openElf(f.shared);
  const names = ["vfunc", "vfunc@VERS_1", "lib_add", "lib_counter", "nope", "__cxa_finalize"];
  const before = names.map((n) => elf.symbols.findSymbols(n));
  // deno-lint-ignore no-explicit-any
  assertEquals((elf.symbols as any).byNameCache, undefined);
  for (let i = 0; i < 20; i++) elf.findSymbol("main");
  // deno-lint-ignore no-explicit-any
  assert.ok((elf.symbols as any).byNameCache);
  assertEquals(names.map((n) => elf.symbols.findSymbols(n)), before);
});

Deno.test("elf symbols: parsing is lazy", async () => {
  const f = await fixtures();
  const elf = openElf(f.pie);
  // deno-lint-ignore no-explicit-any
  assertEquals((elf as any).symbolsCache, undefined);
  elf.findFunction("main");
  // deno-lint-ignore no-explicit-any
  assert.ok((elf as any).symbolsCache);
  assertEquals(elf.symbols, elf.symbols); // cached
});
