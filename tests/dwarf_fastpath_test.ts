/**
 * The function-target fast path (`findFunctionAt`: only the compile unit holding the ELF
 * symbol's address is parsed) gives exactly the full name index's answer (`findFunction`), or
 * declines. Checked for every function symbol of the fixtures (tests/fixtures/dwarf in all DWARF
 * variants, tests/fixtures/lines at -O0 and -O2) and a generated program whose external
 * function has inlined copies at -O2.
 */

import { deepEqual, equal, ok } from "node:assert/strict";
import { type DwarfInfo, loadDwarf } from "../lib/dwarf/index.ts";
import { functionSites } from "../lib/debuginfo/targets.ts";
import { buildLines, run } from "./debuginfo_fixtures.ts";
import {
  buildFixture,
  dwarfSections,
  type ElfFile,
  readElf,
  VARIANTS,
} from "./dwarf_fixture_test.ts";

const STT_FUNC = 2;

/** Defined function symbols of `.symtab`: name → addresses. */
function functionSymbols(elf: ElfFile): Map<string, number[]> {
  const out = new Map<string, number[]>();
  const sym = elf.data(".symtab")!;
  const str = elf.data(".strtab")!;
  const dv = new DataView(sym.buffer, sym.byteOffset, sym.byteLength);
  for (let o = 24; o + 24 <= sym.length; o += 24) {
    if ((sym[o + 4] & 0xf) !== STT_FUNC || dv.getUint16(o + 6, true) === 0) continue;
    const value = Number(dv.getBigUint64(o + 8, true));
    if (value === 0) continue;
    const n = dv.getUint32(o, true);
    let e = n;
    while (str[e] !== 0) e++;
    const name = new TextDecoder().decode(str.subarray(n, e));
    out.set(name, [...(out.get(name) ?? []), value]);
  }
  return out;
}

/** findFunction without the fast path (functionSites falls back when it declines). */
function fullOnly(dwarf: DwarfInfo): DwarfInfo {
  return new Proxy(dwarf, {
    get: (t, k) => k === "findFunctionAt" ? () => undefined : Reflect.get(t, k).bind(t),
  });
}

/**
 * Compares fast path and full index for every function symbol of `bin`; returns the names the
 * fast path answered (with their inlined-copy counts) and the names it declined.
 */
function compareAll(bin: string): { fast: Map<string, number>; declined: Set<string> } {
  const elf = readElf(bin);
  const fresh = () => loadDwarf(dwarfSections(elf));
  const fast = new Map<string, number>();
  const declined = new Set<string>();
  for (const [name, addresses] of functionSymbols(elf)) {
    for (const address of addresses) {
      const got = fresh().findFunctionAt(name, address); // fresh: no full index built yet
      const full = fresh().findFunction(name);
      if (got === undefined) declined.add(name);
      else {
        deepEqual(got, full, `${name}@0x${address.toString(16)}`);
        fast.set(name, got.inlined.length);
      }
      deepEqual(
        functionSites(fresh(), name, address),
        functionSites(fullOnly(fresh()), name, address),
        `sites of ${name}@0x${address.toString(16)}`,
      );
    }
  }
  return { fast, declined };
}

for (const variant of VARIANTS) {
  Deno.test(`fast path = full index, tests/fixtures/dwarf (${variant.label})`, () => {
    const { fast, declined } = compareAll(buildFixture(variant.flags));
    for (const name of ["main", "handle", "fill", "util_twice"]) ok(fast.has(name), name);
    // static (on_request) and header `static inline` (util_clamp, in both units at -O0).
    for (const name of ["on_request", "util_clamp"]) ok(!fast.has(name), name);
    if (variant.label.startsWith("O0")) ok(declined.has("util_clamp"));
  });
}

for (const opt of ["O0", "O2"] as const) {
  Deno.test(`fast path = full index, tests/fixtures/lines (${opt})`, () => {
    const { fast } = compareAll(buildLines(opt));
    for (const name of ["main", "step", "other"]) ok(fast.has(name), name);
    ok(!fast.has("clampi"));
  });
}

const INLINED = `
volatile int sink;
int twice(int v) { sink = v; return v * 2 + 1; }
int (*volatile fp)(int) = twice;
__attribute__((noinline)) int caller(int v) { int a = twice(v); sink = a; return a + twice(v + 3); }
int main(int argc, char **argv) { (void)argv; return caller(argc) + fp(argc); }
`;

Deno.test("fast path = full index for an external function with inlined copies (-O2)", () => {
  const dir = Deno.makeTempDirSync({ prefix: "gs-fastpath-" });
  try {
    Deno.writeTextFileSync(`${dir}/inl.c`, INLINED);
    for (const opt of ["-O0", "-O2"]) {
      run("gcc", ["-g", opt, "-o", `inl${opt}`, "inl.c"], dir);
      const { fast } = compareAll(`${dir}/inl${opt}`);
      ok(fast.has("twice"), `twice ${opt}`);
      if (opt === "-O2") ok(fast.get("twice")! >= 1, "inlined copies of twice at -O2");
      else equal(fast.get("twice"), 0);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
