/**
 * Unit tests of the low-level pieces: LEB128, the location-expression evaluator (synthetic
 * expressions), path helpers, suggestions, corrupt-data errors, and the test ELF extractor.
 */

import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { UsageError } from "../lib/errors.ts";
import { evaluateLocation, type ExprContext, type LocationPlan } from "../lib/dwarf/expr.ts";
import { closeNames } from "../lib/dwarf/index.ts";
import { loadDwarf } from "../lib/dwarf/index.ts";
import { endsWithComponent, normalizePath } from "../lib/dwarf/line.ts";
import { Reader } from "../lib/dwarf/reader.ts";
import { buildFixture, dwarfSections, readElf, symbolAddress } from "./dwarf_fixture_test.ts";

Deno.test("LEB128 decoding (DWARF spec examples and 64-bit values)", () => {
  const u = (...b: number[]) => new Reader(new Uint8Array(b)).uleb();
  const s = (...b: number[]) => new Reader(new Uint8Array(b)).sleb();
  equal(u(2), 2);
  equal(u(127), 127);
  equal(u(0x80, 0x01), 128);
  equal(u(0x81, 0x01), 129);
  equal(u(0x82, 0x01), 130);
  equal(u(0xb9, 0x64), 12857);
  equal(s(2), 2);
  equal(s(0x7e), -2);
  equal(s(0xff, 0x00), 127);
  equal(s(0x81, 0x7f), -127);
  equal(s(0x80, 0x01), 128);
  equal(s(0x80, 0x7f), -128);
  equal(s(0x81, 0x01), 129);
  equal(s(0xff, 0x7e), -129);
  // 2^53 - 1 and a full 64-bit value.
  equal(u(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f), 2 ** 53 - 1);
  const all = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];
  equal(new Reader(new Uint8Array(all)).ulebBig(), (1n << 64n) - 1n);
  equal(new Reader(new Uint8Array([0x7f])).slebBig(), -1n);
  const r = new Reader(new Uint8Array([0x80, 0x80, 0x01, 0x05]));
  r.skipLeb();
  equal(r.u8(), 5);
  throws(() => new Reader(new Uint8Array([0x80, 0x80])).uleb(), UsageError);
});

const unit = {
  version: 5,
  addrSize: 8,
  offsetSize: 4,
  offset: 0,
  strOffsetsBase: 0,
  addrBase: 0,
  sections: {},
};

function plan(bytes: number[], extra: Partial<ExprContext> = {}): LocationPlan {
  const ctx: ExprContext = {
    unit,
    pc: 0x1010,
    functionEntry: 0x1000,
    cfa: () => ({
      node: { t: "bin", op: "plus", a: { t: "reg", reg: 7 }, b: { t: "const", v: 8n } },
      text: "rsp+8",
    }),
    ...extra,
  };
  // Frame base is DW_OP_call_frame_cfa, as gcc emits it.
  ctx.frameBase ??= () => ctx.cfa!();
  return evaluateLocation(new Uint8Array(bytes), ctx);
}

const reg = (n: number, name: string, off: number) => ({
  op: "reg",
  reg: n,
  name,
  ptRegsOffset: off,
});

Deno.test("location plans: registers, frame base, addresses, constants", () => {
  deepEqual(plan([0x55]), {
    kind: "regs",
    pieces: [{ size: 8, reg: 5, name: "rdi", ptRegsOffset: 112 }],
    text: "rdi",
  });
  const breg = plan([0x76, 0x6c]); // DW_OP_breg6 -20
  deepEqual(breg, {
    kind: "memory",
    steps: [reg(6, "rbp", 32), { op: "add", value: -20 }],
    rebase: false,
    text: "[rbp-20]",
  });
  const fb = plan([0x91, 0x6c]); // DW_OP_fbreg -20, frame base = CFA = rsp+8
  ok(fb.kind === "memory");
  deepEqual(fb.kind === "memory" && fb.steps, [reg(7, "rsp", 152), { op: "add", value: -12 }]);
  const addr = plan([0x03, 0x10, 0x40, 0, 0, 0, 0, 0, 0, 0x23, 0x08]); // addr 0x4010; plus_uconst 8
  deepEqual(addr, {
    kind: "memory",
    steps: [{ op: "addr", address: 0x4018 }],
    rebase: true,
    text: "[0x4018]",
  });
  deepEqual(plan([0x35, 0x9f]), {
    kind: "value",
    steps: [{ op: "const", value: 5n }],
    rebase: false,
    text: "value 5",
  });
  const constu = plan([0x10, 0xac, 0x02, 0x9f]); // constu 300; stack_value
  deepEqual(constu.kind === "value" && constu.steps, [{ op: "const", value: 300n }]);
  const dec = plan([0x71, 0x7f, 0x9f]); // breg1 -1; stack_value
  deepEqual(dec.kind === "value" && dec.steps, [reg(1, "rdx", 96), { op: "add", value: -1 }]);
  const deref = plan([0x75, 0x08, 0x94, 0x04]); // breg5 8; deref_size 4 → address of a pointer's target
  deepEqual(deref.kind === "memory" && deref.steps, [reg(5, "rdi", 112), { op: "add", value: 8 }, {
    op: "deref",
    size: 4,
  }]);
  const two = plan([0x75, 0x00, 0x74, 0x00, 0x22, 0x9f]); // breg5 0; breg4 0; plus; stack_value
  deepEqual(two.kind === "value" && two.steps, [reg(5, "rdi", 112), reg(4, "rsi", 104), {
    op: "alu",
    kind: "plus",
  }]);
  const implicit = plan([0x9e, 0x04, 0x78, 0x56, 0x34, 0x12]); // implicit_value 4 bytes
  deepEqual(implicit.kind === "value" && implicit.steps, [{ op: "const", value: 0x12345678n }]);
  equal(plan([]).kind, "optimized-out");
});

Deno.test("location plans: pieces, entry values, unsupported operations", () => {
  const pieces = plan([0x50, 0x93, 0x08, 0x51, 0x93, 0x08]); // reg0 piece 8; reg1 piece 8
  deepEqual(pieces, {
    kind: "regs",
    pieces: [
      { size: 8, reg: 0, name: "rax", ptRegsOffset: 80 },
      { size: 8, reg: 1, name: "rdx", ptRegsOffset: 96 },
    ],
    text: "rax:8 rdx:8",
  });
  const partial = plan([0x50, 0x93, 0x04, 0x93, 0x04]); // reg0 piece 4; (empty) piece 4
  deepEqual(partial.kind === "regs" && partial.pieces, [{
    size: 4,
    reg: 0,
    name: "rax",
    ptRegsOffset: 80,
  }, { size: 4 }]);
  equal(plan([0x93, 0x08]).kind, "optimized-out");
  equal(plan([0x91, 0x00, 0x93, 0x08]).kind, "unsupported", "memory piece");
  // DW_OP_entry_value(DW_OP_reg5); DW_OP_stack_value
  const ev = [0xa3, 0x01, 0x55, 0x9f];
  deepEqual(plan(ev, { pc: 0x1000 }), {
    kind: "value",
    steps: [reg(5, "rdi", 112)],
    rebase: false,
    text: "value rdi",
  });
  equal(plan(ev).kind, "optimized-out");
  equal(plan([0xf3, 0x01, 0x55, 0x9f]).kind, "optimized-out", "GNU entry value");
  const xmm = plan([0x61]); // DW_OP_reg17 = xmm0
  ok(xmm.kind === "unsupported" && /xmm0/.test(xmm.reason));
  equal(plan([0x30, 0x28, 0x00, 0x00]).kind, "unsupported", "DW_OP_bra");
  // a thread-local variable: its offset in the TLS block, then the TLS step
  const tls = plan([0x0e, 0x10, 0, 0, 0, 0, 0, 0, 0, 0xe0]);
  ok(tls.kind === "memory" && tls.steps.at(-1)?.op === "tls", "TLS");
  equal(plan([0xa0, 0, 0, 0, 0, 0x00]).kind, "optimized-out", "implicit pointer");
  const noCfa = plan([0x91, 0x6c], { cfa: () => ({ error: "no CFI" }), frameBase: undefined });
  ok(noCfa.kind === "unsupported" && /CFI/.test(noCfa.reason));
});

Deno.test("path helpers and suggestions", () => {
  equal(normalizePath("/a/./b//c/../d.c"), "/a/b/d.c");
  equal(normalizePath("./csu/../sysdeps/x86/abi-note.c"), "sysdeps/x86/abi-note.c");
  equal(normalizePath("../x/y.c"), "../x/y.c");
  ok(endsWithComponent("/src/app/server.c", "server.c"));
  ok(endsWithComponent("/src/app/server.c", "app/server.c"));
  ok(!endsWithComponent("/src/app/myserver.c", "server.c"));
  deepEqual(closeNames("reqest", ["request", "req", "response", "requests"]), [
    "request",
    "requests",
  ]);
  deepEqual(closeNames("LEN", ["len", "lens"]), ["len", "lens"]);
  deepEqual(closeNames("zzz", ["alpha", "beta"]), []);
});

Deno.test("corrupt or unsupported DWARF throws one-line UsageErrors", () => {
  const sections = dwarfSections(readElf(buildFixture(["-g", "-O0"])));
  // Truncated .debug_info: the unit length runs past the section.
  const truncated = loadDwarf({ ...sections, info: sections.info.subarray(0, 40) });
  throws(
    () => truncated.compileUnits(),
    (e: unknown) =>
      e instanceof UsageError && /corrupt DWARF/.test(e.message) && !e.message.includes("\n"),
  );
  // Unsupported version.
  const v6 = new Uint8Array(sections.info);
  v6[4] = 6;
  throws(() => loadDwarf({ ...sections, info: v6 }).compileUnits(), /unsupported DWARF version 6/);
  // Garbage abbreviations.
  const abbrev = new Uint8Array(sections.abbrev.length).fill(0x7f);
  throws(() => loadDwarf({ ...sections, abbrev }).functionNames(), UsageError);
  // Missing optional sections are reported, not crashed on.
  const noLine = loadDwarf({ ...sections, line: undefined });
  const r = noLine.lineAddresses("server.c", 50);
  ok(!r.ok && r.reason === "no-file");
  const noCfi = loadDwarf({ ...sections, ehFrame: undefined });
  const main = noCfi.findFunction("main");
  ok(main.ok);
  const vars = noCfi.variablesAt(main.functions[0].postPrologue);
  ok(vars.ok && vars.variables.every((v) => v.location.kind === "unsupported"));
});

Deno.test("test ELF extractor inflates -gz compressed sections", () => {
  const plain = readElf(buildFixture(["-g", "-O0"]));
  const packed = readElf(buildFixture(["-g", "-O0", "-gz=zlib"]));
  ok(packed.sections.some((s) => s.name === ".debug_info" && (s.flags & 0x800) !== 0));
  equal(packed.data(".debug_info")!.length, plain.data(".debug_info")!.length);
  ok(symbolAddress(plain, "main")! > 0);
  const a = loadDwarf(dwarfSections(packed));
  const b = loadDwarf(dwarfSections(plain));
  deepEqual(a.functionNames(), b.functionNames());
  deepEqual(a.lineAddresses("server.c", 50), b.lineAddresses("server.c", 50));
});
