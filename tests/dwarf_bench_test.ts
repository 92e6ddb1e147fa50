/**
 * Throughput of the DWARF reader on a large generated program (~100 MB of DWARF): generated C
 * sources sharing a big header, compiled with gcc. Opt-in (it compiles for a minute or two):
 *
 *   GHOSTSCOPE_DWARF_BENCH=1 deno test -A tests/dwarf_bench_test.ts
 *
 * GHOSTSCOPE_DWARF_BENCH_UNITS sets the number of generated units (default 850, about 100 MB);
 * GHOSTSCOPE_DWARF_BENCH_DIR keeps the build in that directory and reuses it next time.
 */

import { equal, ok } from "node:assert/strict";
import { loadDwarf } from "../lib/dwarf/index.ts";
import { dwarfSections, readElf } from "./dwarf_fixture_test.ts";

const enabled = Deno.env.get("GHOSTSCOPE_DWARF_BENCH") === "1";

function header(structs: number): string {
  const out = ["#pragma once", "#include <stddef.h>"];
  for (let s = 0; s < structs; s++) {
    out.push(`struct rec${s} {`);
    for (let m = 0; m < 12; m++) {
      const t = [
        "int",
        "long",
        "char *",
        "double",
        "unsigned short",
        `struct rec${Math.max(0, s - 1)} *`,
      ][m % 6];
      out.push(`  ${t} field_${s}_${m};`);
    }
    out.push(`  char tag[${8 + (s % 24)}];`, "};");
    out.push(`typedef struct rec${s} rec${s}_t;`);
    out.push(
      `static inline int rec${s}_weight(const struct rec${s} *r, int k) {`,
      `  int w = r->field_${s}_0 * k;`,
      `  if (r->tag[0]) w += r->tag[1];`,
      "  return w;",
      "}",
    );
  }
  return out.join("\n") + "\n";
}

function unit(i: number, structs: number, functions: number): string {
  const out = [`#include "big.h"`, `int counter_${i};`, `static long total_${i};`];
  for (let f = 0; f < functions; f++) {
    const s = (i * 7 + f) % structs;
    out.push(
      `__attribute__((noinline)) int fn_${i}_${f}(struct rec${s} *r, int n, const char *name) {`,
      "  int acc = 0;",
      "  for (int j = 0; j < n; j++) {",
      `    int step = rec${s}_weight(r, j) + name[j % 4];`,
      "    if (step & 1) {",
      `      long extra = step * ${f + 1};`,
      `      total_${i} += extra;`,
      "    }",
      "    acc += step;",
      "  }",
      `  counter_${i} += acc;`,
      "  return acc;",
      "}",
    );
  }
  out.push(`int unit_${i}_entry(int n) { return fn_${i}_0((void *)0, n, "abcd"); }`);
  return out.join("\n") + "\n";
}

async function build(dir: string, units: number): Promise<string> {
  const structs = 400;
  const functions = 40;
  Deno.writeTextFileSync(`${dir}/big.h`, header(structs));
  const mainSrc = ['#include "big.h"'];
  for (let i = 0; i < units; i++) {
    Deno.writeTextFileSync(`${dir}/u${i}.c`, unit(i, structs, functions));
    mainSrc.push(`int unit_${i}_entry(int);`);
  }
  mainSrc.push("int main(int argc, char **argv) { int t = 0;");
  for (let i = 0; i < units; i++) mainSrc.push(`  t += unit_${i}_entry(argc);`);
  mainSrc.push("  return t; }");
  Deno.writeTextFileSync(`${dir}/main.c`, mainSrc.join("\n"));
  const cpus = Math.max(1, navigator.hardwareConcurrency);
  const queue = [...Array(units).keys()].map((i) => `u${i}`).concat(["main"]);
  const compile = async () => {
    for (let name = queue.shift(); name; name = queue.shift()) {
      const r = await new Deno.Command("gcc", {
        args: [
          "-g",
          "-O2",
          "-fno-eliminate-unused-debug-types",
          "-c",
          `${name}.c`,
          "-o",
          `${name}.o`,
        ],
        cwd: dir,
      }).output();
      if (!r.success) throw new Error(`gcc ${name}.c failed`);
    }
  };
  await Promise.all([...Array(cpus)].map(compile));
  const objs = [...Array(units).keys()].map((i) => `u${i}.o`).concat(["main.o"]);
  const r = await new Deno.Command("gcc", { args: ["-o", "big", ...objs], cwd: dir }).output();
  if (!r.success) throw new Error("link failed");
  return `${dir}/big`;
}

Deno.test({
  name: "benchmark: file:line and function index on ~100 MB of DWARF",
  ignore: !enabled,
  fn: async () => {
    const units = Number(Deno.env.get("GHOSTSCOPE_DWARF_BENCH_UNITS") ?? 850);
    const keep = Deno.env.get("GHOSTSCOPE_DWARF_BENCH_DIR");
    const dir = keep ?? Deno.makeTempDirSync({ prefix: "ghostscope-dwarf-bench-" });
    if (keep) Deno.mkdirSync(keep, { recursive: true });
    let bin = `${dir}/big`;
    const reuse = keep !== undefined && (() => {
      try {
        return Deno.statSync(bin).isFile;
      } catch {
        return false;
      }
    })();
    if (!reuse) {
      const t0 = performance.now();
      bin = await build(dir, units);
      console.log(`built ${units} units in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
    const sections = dwarfSections(readElf(bin));
    let bytes = 0;
    for (const v of Object.values(sections)) if (v instanceof Uint8Array) bytes += v.length;
    const mb = bytes / 1e6;
    console.log(
      `DWARF: ${mb.toFixed(1)} MB (.debug_info ${(sections.info.length / 1e6).toFixed(1)} MB)`,
    );

    const time = <T>(label: string, f: () => T): T => {
      const s = performance.now();
      const v = f();
      const ms = performance.now() - s;
      console.log(
        `${label}: ${ms.toFixed(0)} ms (${(mb / (ms / 1000)).toFixed(0)} MB/s over all DWARF)`,
      );
      return v;
    };
    const dwarf = loadDwarf(sections);
    const line = time(
      "cold file:line query (u123.c)",
      () => dwarf.lineAddresses(`u${Math.min(123, units - 1)}.c`, 10),
    );
    ok(line.ok, JSON.stringify(line));
    const hdr = time(
      "file:line in the shared header (every unit)",
      () => dwarf.lineAddresses("big.h", 10),
    );
    ok(hdr.ok || hdr.reason === "no-code");
    time("second file:line query (u7.c)", () => dwarf.lineAddresses("u7.c", 12));
    const names = time("function name index (all units)", () => dwarf.functionNames());
    ok(names.length > units * 40);
    const fn = time("findFunction", () => dwarf.findFunction(`fn_${units - 1}_3`));
    ok(fn.ok);
    const vars = time(
      "variablesAt (parses one unit)",
      () => dwarf.variablesAt(fn.ok ? fn.functions[0].entry : 0),
    );
    ok(vars.ok);
    equal(vars.ok && vars.variables.some((v) => v.name === "r"), true);
    time("globalVariable", () => dwarf.globalVariable(`counter_${units - 1}`));
    if (!keep) Deno.removeSync(dir, { recursive: true });
  },
});
