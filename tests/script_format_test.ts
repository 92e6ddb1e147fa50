import assert from "node:assert/strict";
import {
  FormatConv,
  FormatError,
  parseFormat,
  renderFormat,
  valueFormat,
} from "../lib/script/format.ts";
import { type DecodedValue, ValueStatus, ValueType } from "../bpf/wire.ts";

const i64 = (v: bigint): DecodedValue => ({
  type: ValueType.I64,
  status: ValueStatus.Ok,
  value: v,
});
const u64 = (v: bigint): DecodedValue => ({
  type: ValueType.U64,
  status: ValueStatus.Ok,
  value: v,
});
const bool = (v: boolean): DecodedValue => ({
  type: ValueType.Bool,
  status: ValueStatus.Ok,
  value: v,
});
const ptr = (v: bigint): DecodedValue => ({
  type: ValueType.Ptr,
  status: ValueStatus.Ok,
  value: v,
});

Deno.test("parseFormat precompiles literals and conversions", () => {
  const f = parseFormat("a={} b={:x} c={:X} d={:p} {{lit}}");
  assert.deepEqual(f.literals, ["a=", " b=", " c=", " d=", " {lit}"]);
  assert.deepEqual(f.convs, [
    FormatConv.Display,
    FormatConv.LowerHex,
    FormatConv.UpperHex,
    FormatConv.Pointer,
  ]);
  assert.deepEqual(parseFormat("plain").literals, ["plain"]);
  assert.deepEqual(parseFormat("{}{}").literals, ["", "", ""]);
  assert.deepEqual(parseFormat("}}{{").literals, ["}{"]);
});

Deno.test("parseFormat errors locate the problem", () => {
  const err = (s: string) => {
    try {
      parseFormat(s);
    } catch (e) {
      assert.ok(e instanceof FormatError);
      return [e.message, e.index, e.length];
    }
    assert.fail("no error");
  };
  assert.deepEqual(err("x {:q}"), [
    "unsupported format conversion '{:q}' (supported: {}, {:x}, {:X}, {:p}, {:s}, {:x.N}, " +
    "{:s.N}, {:x.*}, {:s.name$})",
    2,
    4,
  ]);
  assert.deepEqual(err("{0}").slice(1), [0, 3]);
  assert.match(String(err("{0}")[0]), /unsupported placeholder '\{0\}'/);
  assert.deepEqual(err("ab {"), [
    "unclosed '{' in format string (write '{{' for a literal brace)",
    3,
    1,
  ]);
  assert.deepEqual(err("{ {}").slice(1), [0, 1]);
  assert.deepEqual(err("a}b"), [
    "unmatched '}' in format string (write '}}' for a literal brace)",
    1,
    1,
  ]);
});

Deno.test("rendering: decimal, hex, pointer, bool", () => {
  const f = parseFormat("{} {:x} {:X} {:p} {} {}");
  assert.equal(
    renderFormat(f, [i64(-42n), i64(255n), i64(255n), i64(4096n), bool(true), u64(2n ** 64n - 1n)]),
    "-42 ff FF 0x1000 true 18446744073709551615",
  );
  // hex of a negative integer is its 64-bit two's complement
  assert.equal(renderFormat(parseFormat("{:x}"), [i64(-1n)]), "ffffffffffffffff");
  assert.equal(renderFormat(parseFormat("{} {:x}"), [ptr(0x7ffdn), bool(false)]), "0x7ffd 0");
});

Deno.test("failed values render their reason", () => {
  const f = parseFormat("{} {} {}");
  const bad = (s: ValueStatus): DecodedValue => ({ type: ValueType.I64, status: s, value: null });
  assert.equal(
    renderFormat(f, [
      bad(ValueStatus.ReadError),
      bad(ValueStatus.NullDeref),
      bad(ValueStatus.OptimizedOut),
    ]),
    "<read error> <null pointer> <optimized out>",
  );
});

Deno.test("valueFormat renders `expr = value`", () => {
  assert.equal(renderFormat(valueFormat("a + {b} = "), [i64(3n)]), "a + {b} = 3");
});
