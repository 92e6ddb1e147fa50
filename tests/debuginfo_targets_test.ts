/**
 * Trace targets → addresses, checked against gdb on the same binaries (no kernel involved):
 * `trace func` is gdb's `break func` (post-prologue, inlined copies), `trace file.c:LINE` is
 * gdb's `break file.c:LINE` (every location), at -O0 and -O2; libc functions through Debian's
 * libc6-dbg found by build-id. Also the errors: line without code, ambiguous file, unknown file,
 * no debug info.
 */
import assert from "node:assert/strict";
import { DebugInfoLoader, NO_PROGRESS } from "../lib/debuginfo/mod.ts";
import { openElf } from "../lib/elf/mod.ts";
import { UsageError } from "../lib/errors.ts";
import type { TraceTarget } from "../lib/script/mod.ts";
import { locateTarget } from "../lib/session/locate_target.ts";
import { fileModule } from "../lib/session/process_modules.ts";
import {
  buildLines,
  gdbBreak,
  gdbBreakAddresses,
  gdbInfoLine,
  LINES_DIR,
  markerLine,
  place,
  run,
} from "./debuginfo_fixtures.ts";

const hex = (a: number[]) => a.map((x) => "0x" + x.toString(16));
const loader = () => new DebugInfoLoader({ progress: () => NO_PROGRESS });

function target(text: string): TraceTarget {
  const m = text.match(/^(.*):(\d+)$/);
  if (m && !/^0x/.test(m[2])) return { kind: "line", file: m[1], line: Number(m[2]) };
  return { kind: "function", name: text };
}

/** Addresses ghostscope picks for `text` in `binary` (treated as the main module). */
function ours(binary: string, text: string, debug = loader()): number[] {
  return locateTarget(target(text), text, [fileModule(binary)], debug).map((s) => s.linkAddress);
}

const STEP_X = markerLine("main.c", "step_x");
const OTHER = markerLine("main.c", "other");
const CLAMP = markerLine("lines.h", "clamp_count");
const HELPER_A = markerLine("a/helper.c", "helper_a");

for (const opt of ["O0", "O2"] as const) {
  Deno.test(`targets ${opt}: file:line addresses are gdb's break locations`, () => {
    const bin = buildLines(opt);
    const specs = [
      `main.c:${OTHER}`,
      `lines.h:${CLAMP}`,
      `a/helper.c:${HELPER_A}`,
      `b/helper.c:${markerLine("b/helper.c", "helper_b")}`,
      `${LINES_DIR}/main.c:${OTHER}`, // full path
      `fixtures/lines/a/helper.c:${HELPER_A}`, // path suffix
    ];
    const compared = new Set<string>();
    for (const spec of [...specs, `main.c:${STEP_X}`]) {
      const gdb = gdbBreak(bin, spec);
      assert.ok(gdb.addresses.length > 0, `gdb has no location for ${spec}`);
      const line = Number(spec.slice(spec.lastIndexOf(":") + 1));
      const gdbLines = gdb.lines.map((l) => Number(l.slice(l.lastIndexOf(":") + 1)));
      if (gdbLines.every((l) => l === line)) {
        assert.deepEqual(hex(ours(bin, spec)), hex(gdb.addresses), spec);
        compared.add(spec);
        continue;
      }
      // gdb moved the breakpoint to another line (at -O2 the line's only row may share its
      // address with another line's): ghostscope either finds the line's own statement rows or
      // refuses, naming gdb's line among the nearest lines with code.
      let sites: ReturnType<typeof locateTarget> = [];
      try {
        sites = locateTarget(target(spec), spec, [fileModule(bin)], loader());
      } catch (e) {
        assert.ok(e instanceof UsageError, String(e));
        const nearest = e.message.match(/nearest lines with code: ([\d, ]+)\)$/)?.[1] ?? "";
        assert.ok(nearest.split(", ").map(Number).includes(gdbLines[0]), `${spec}: ${e.message}`);
      }
      for (const s of sites) assert.ok(s.function !== undefined, `${spec}: ${s.label}`);
    }
    for (const spec of specs) {
      if (!spec.includes("main.c")) assert.ok(compared.has(spec), `${spec} compared with gdb`);
    }
    if (opt === "O2") {
      // The header line is inlined into step() and other(): one site per copy.
      assert.equal(ours(bin, `lines.h:${CLAMP}`).length, 2);
    }
  });

  Deno.test(`targets ${opt}: trace func is gdb's break func`, () => {
    const bin = buildLines(opt);
    for (const fn of ["step", "other", "helper_a", "main", "clampi"]) {
      const gdb = gdbBreakAddresses(bin, fn);
      assert.ok(gdb.length > 0, `gdb has no location for ${fn}`);
      assert.deepEqual(hex(ours(bin, fn)), hex(gdb), fn);
    }
  });
}

Deno.test("targets O0: a line's address is where gdb's info line starts it", () => {
  const bin = buildLines("O0");
  const spec = `a/helper.c:${HELPER_A}`;
  assert.deepEqual(ours(bin, spec), [gdbInfoLine(bin, spec)]);
});

Deno.test("targets O0: trace func without DWARF is the ELF symbol's entry", () => {
  const dir = Deno.makeTempDirSync({ prefix: "gs-nodwarf-" });
  const bin = place(buildLines("O0"), `${dir}/lines`);
  run("objcopy", ["--strip-debug", bin]);
  const entry = openElf(bin).findFunction("step")!.value;
  assert.deepEqual(ours(bin, "step"), [entry]);
  // ... while with DWARF it is past the prologue.
  assert.ok(ours(buildLines("O0"), "step")[0] > entry);
  // A line target needs DWARF: the message says what is missing and how to get it.
  assert.throws(() => ours(bin, `main.c:${OTHER}`), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.match(
      e.message,
      new RegExp(`^trace main\\.c:${OTHER}: no DWARF debug info for .*/lines \\(no \\.debug_info`),
    );
    assert.match(e.message, /-dbgsym\/-dbg package/);
    return true;
  });
});

Deno.test("targets: a line without code names the nearest lines with code", () => {
  const bin = buildLines("O0");
  const comment = markerLine("main.c", "no_code");
  assert.throws(() => ours(bin, `main.c:${comment}`), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.equal(
      e.message,
      `trace main.c:${comment}: line ${comment} of ${LINES_DIR}/main.c has no code ` +
        `(nearest lines with code: ${comment - 2}, ${comment + 1})`,
    );
    return true;
  });
});

Deno.test("targets: an ambiguous basename lists the candidates; an unknown file suggests", () => {
  const bin = buildLines("O2");
  assert.throws(() => ours(bin, `helper.c:${HELPER_A}`), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.equal(
      e.message,
      `trace helper.c:${HELPER_A}: source file 'helper.c' is ambiguous in ${bin}: it matches ` +
        `${LINES_DIR}/a/helper.c, ${LINES_DIR}/b/helper.c (give more of the path)`,
    );
    return true;
  });
  assert.throws(
    () => ours(bin, "mian.c:3"),
    /^UsageError: trace mian\.c:3: no source file 'mian\.c' in the debug info of .*lines-O2 \(did you mean main\.c\?\)$/,
  );
  assert.throws(
    () => ours(bin, "stepp"),
    /function 'stepp' not found in .*\(did you mean step\?\)/,
  );
});

Deno.test("targets: several sites get distinct labels and carry their link address", () => {
  const bin = buildLines("O2");
  const sites = locateTarget(
    target(`lines.h:${CLAMP}`),
    `lines.h:${CLAMP}`,
    [fileModule(bin)],
    loader(),
  );
  assert.equal(sites.length, 2);
  for (const s of sites) {
    assert.equal(s.label, `lines.h:${CLAMP}@0x${s.linkAddress.toString(16)}`);
    assert.equal(s.fileOffset, openElf(bin).vaddrToFileOffset(s.linkAddress));
    assert.equal(s.inlined, "clampi");
    assert.equal(s.module.path, bin);
  }
  assert.deepEqual(sites.map((s) => s.function).sort(), ["other", "step"]);
});

const LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6";
const libcDebug = (() => {
  try {
    const id = openElf(LIBC).buildId!;
    return Deno.statSync(`/usr/lib/debug/.build-id/${id.slice(0, 2)}/${id.slice(2)}.debug`).isFile;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "targets: libc functions through libc6-dbg (build-id) are gdb's break addresses",
  ignore: !libcDebug,
  fn() {
    const debug = loader();
    const lookup = debug.load(fileModule(LIBC));
    assert.ok(lookup.ok && lookup.info.file.kind === "build-id");
    // fopen is an alias of _IO_new_fopen: DWARF is asked about the symbol's address.
    for (const fn of ["fopen", "getaddrinfo", "malloc"]) {
      assert.deepEqual(hex(ours(LIBC, fn, debug)), hex(gdbBreakAddresses(LIBC, fn)), fn);
    }
  },
});

Deno.test("targets O0: a fully stripped executable finds functions through its debug file", () => {
  const dir = Deno.makeTempDirSync({ prefix: "gs-stripall-" });
  const full = buildLines("O0");
  run("objcopy", ["--only-keep-debug", full, `${dir}/lines.debug`]);
  run("objcopy", ["--strip-all", "--add-gnu-debuglink=lines.debug", full, `${dir}/lines`], dir);
  assert.equal(openElf(`${dir}/lines`).sectionHeader(".symtab"), undefined);
  for (const fn of ["step", "clampi"]) {
    assert.deepEqual(hex(ours(`${dir}/lines`, fn)), hex(gdbBreakAddresses(full, fn)), fn);
  }
  assert.deepEqual(
    hex(ours(`${dir}/lines`, `a/helper.c:${HELPER_A}`)),
    hex(gdbBreakAddresses(full, `a/helper.c:${HELPER_A}`)),
  );
});
