import assert from "node:assert/strict";
import {
  formatFloat,
  type Layout,
  quoteString,
  renderObject,
  renderScalar,
} from "../lib/script/layout.ts";
import { parseFormat, renderFormat, type ValueView } from "../lib/script/format.ts";
import { type DecodedValue, ValueStatus, ValueType } from "../bpf/wire.ts";

const int = (size: number, signed = true): Layout => ({ kind: "int", size, signed });

Deno.test("scalars render like gdb: ints, chars, bools, enums, pointers, floats", () => {
  assert.equal(renderScalar(int(4), 0xffff_ffffn), "-1");
  assert.equal(renderScalar(int(4, false), 0xffff_ffffn), "4294967295");
  assert.equal(renderScalar({ kind: "char", size: 1, signed: true }, 66n), "66 'B'");
  assert.equal(renderScalar({ kind: "char", size: 1, signed: false }, 201n), "201 '\\311'");
  assert.equal(renderScalar({ kind: "char", size: 1, signed: true }, 0n), "0 '\\000'");
  assert.equal(renderScalar({ kind: "char", size: 1, signed: true }, 10n), "10 '\\n'");
  assert.equal(renderScalar({ kind: "bool", size: 1 }, 1n), "true");
  const names = new Map([[0n, "IDLE"], [3n, "RUNNING"]]);
  assert.equal(renderScalar({ kind: "enum", size: 4, signed: false, names }, 3n), "RUNNING");
  assert.equal(renderScalar({ kind: "enum", size: 4, signed: false, names }, 9n), "9");
  assert.equal(renderScalar({ kind: "pointer", size: 8 }, 0x7ffdn), "0x7ffd");
  // float 1.5 and -1.1f (9 significant digits), double 0.1 (17)
  assert.equal(renderScalar({ kind: "float", size: 4 }, 0x3fc0_0000n), "1.5");
  assert.equal(renderScalar({ kind: "float", size: 4 }, 0xbf8c_cccdn), "-1.10000002");
  assert.equal(
    renderScalar({ kind: "float", size: 8 }, 0x3fb9_9999_9999_999an),
    "0.10000000000000001",
  );
  assert.equal(formatFloat(1e20, 17), "1e+20");
  assert.equal(formatFloat(0.25, 17), "0.25");
});

Deno.test("strings quote and escape like C", () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  assert.equal(quoteString(enc("req-1\0\0junk")), '"req-1"');
  assert.equal(quoteString(new Uint8Array([4, 3, 2, 1])), '"\\004\\003\\002\\001"');
  assert.equal(quoteString(enc('a"b\\')), '"a\\"b\\\\"');
  assert.equal(quoteString(enc("héllo")), '"héllo"');
});

Deno.test("structs, nested structs, arrays, bit-fields and depth limits", () => {
  const point: Layout = {
    kind: "struct",
    name: "struct point",
    size: 16,
    fields: [
      { name: "x", offset: 0, layout: int(4) },
      { name: "tag", offset: 4, layout: { kind: "chars", size: 4 } },
      {
        name: "in",
        offset: 8,
        layout: {
          kind: "struct",
          name: "struct inner",
          size: 4,
          fields: [{ name: "a", offset: 0, layout: int(2) }],
        },
      },
      { name: "mode", offset: 12, layout: int(4, false), bits: { size: 3, offset: 0 } },
      { name: "level", offset: 12, layout: int(4), bits: { size: 5, offset: 3 } },
      { name: "deep", offset: 12, layout: { kind: "opaque", size: 0, text: "{...}" } },
    ],
  };
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setInt32(0, -7, true);
  b.set(new TextEncoder().encode("ab"), 4);
  v.setInt16(8, -2, true);
  b[12] = 0b11111_101; // mode = 5, level = -1
  assert.equal(
    renderObject(point, b),
    'struct point { x: -7, tag: "ab", in: { a: -2 }, mode: 5, level: -1, deep: {...} }',
  );
  // missing bytes (a short read) show as unavailable
  assert.match(renderObject(point, b.subarray(0, 6)), /in: \{ a: <unavailable> \}/);
  const arr: Layout = { kind: "array", size: 80, element: int(4), elementSize: 4, count: 20 };
  const ab = new Uint8Array(80);
  for (let i = 0; i < 20; i++) new DataView(ab.buffer).setInt32(i * 4, i, true);
  assert.equal(
    renderObject(arr, ab),
    "[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, ...(20 elements)]",
  );
});

Deno.test("memory-dump placeholders parse their length", () => {
  const f = parseFormat("{:x.16} {:s.0x10} {:X.0b100} {:x.*} {:s.len$} {:s}");
  assert.deepEqual(f.specs.map((s) => s.length), [
    { kind: "fixed", n: 16 },
    { kind: "fixed", n: 16 },
    { kind: "fixed", n: 4 },
    { kind: "arg" },
    { kind: "var", name: "len" },
    undefined,
  ]);
  // `.*` consumes the argument before the value
  assert.equal(f.argCount, 7);
  assert.throws(() => parseFormat("{:p.4}"), /a length only applies to/);
  assert.throws(() => parseFormat("{:x.0}"), /between 1 and 4096/);
  assert.throws(() => parseFormat("{:x.zz}"), /must be a number/);
  assert.throws(() => parseFormat("{:s.9x$}"), /script variable name/);
});

Deno.test("program values render through their view", () => {
  const ok = (type: ValueType, value: DecodedValue["value"]): DecodedValue => ({
    type,
    status: ValueStatus.Ok,
    value,
  });
  const i32: ValueView = { kind: "layout", layout: int(4) };
  const f = parseFormat("{} {:x} {:X} {:p} {:s} {} {:x}");
  assert.equal(
    renderFormat(f, [
      ok(ValueType.I64, -1n),
      ok(ValueType.I64, -1n),
      ok(ValueType.I64, 255n),
      ok(ValueType.Ptr, 0x10n),
      ok(ValueType.Str, "req-1"),
      ok(ValueType.Str, "a\nb"),
      ok(ValueType.Bytes, new Uint8Array([0xde, 0xad])),
    ], [
      i32,
      i32,
      i32,
      { kind: "layout", layout: { kind: "pointer", size: 8 } },
      {
        kind: "string",
      },
      { kind: "string" },
      { kind: "bytes" },
    ]),
    '-1 ffffffff FF 0x10 req-1 "a\\nb" dead',
  );
  const bad: DecodedValue = {
    type: ValueType.I64,
    status: ValueStatus.ReadError,
    value: null,
    errorAddress: 0x18n,
  };
  assert.equal(renderFormat(parseFormat("{}"), [bad], [i32]), "<read error at 0x18>");
});
