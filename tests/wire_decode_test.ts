import assert from "node:assert/strict";
import {
  decodeEvent,
  EVENT_HEADER_SIZE,
  eventLayout,
  HeaderOffset,
  valueHeaderWord,
  valueRecordSize,
  ValueStatus,
  ValueType,
  WireError,
} from "../bpf/wire.ts";

interface TestValue {
  type: ValueType;
  status?: ValueStatus;
  bytes: Uint8Array;
}

function u64(v: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, v), true);
  return b;
}

/** Encode an event exactly as the BPF program lays it out. */
function encode(
  traceId: number,
  printId: number,
  values: TestValue[],
  ktime = 123456789n,
): Uint8Array {
  const layout = eventLayout(values.map((v) => v.bytes.length));
  const out = new Uint8Array(layout.size);
  const v = new DataView(out.buffer);
  v.setUint32(HeaderOffset.TraceId, traceId, true);
  v.setUint32(HeaderOffset.PrintId, printId, true);
  v.setBigUint64(HeaderOffset.KtimeNs, ktime, true);
  v.setUint32(HeaderOffset.HostTgid, 4321, true);
  v.setUint32(HeaderOffset.HostTid, 4322, true);
  v.setUint32(HeaderOffset.ViewTgid, 17, true);
  v.setUint32(HeaderOffset.ViewTid, 18, true);
  values.forEach((val, i) => {
    const off = layout.valueOffsets[i];
    v.setUint32(
      off,
      valueHeaderWord(val.type, val.status ?? ValueStatus.Ok, val.bytes.length),
      true,
    );
    out.set(val.bytes, off + 8);
  });
  return out;
}

Deno.test("layout: 32-byte header, 8-byte aligned records", () => {
  assert.equal(EVENT_HEADER_SIZE, 32);
  assert.equal(valueRecordSize(8), 16);
  assert.equal(valueRecordSize(1), 16);
  assert.equal(valueRecordSize(9), 24);
  assert.equal(valueRecordSize(0), 8);
  assert.deepEqual(eventLayout([8, 3, 8]), { size: 32 + 16 + 16 + 16, valueOffsets: [32, 48, 64] });
  // type | status << 8 | len << 16, what a single 32-bit store writes
  assert.equal(valueHeaderWord(ValueType.I64, ValueStatus.Ok, 8), 0x0008_0002);
  assert.equal(valueHeaderWord(ValueType.Ptr, ValueStatus.ReadError, 8), 0x0008_0206);
  assert.throws(() => valueHeaderWord(ValueType.Bytes, ValueStatus.Ok, 70000), RangeError);
});

Deno.test("decodes the header and scalar values", () => {
  const ev = decodeEvent(encode(3, 17, [
    { type: ValueType.I64, bytes: u64(-5n) },
    { type: ValueType.U64, bytes: u64(2n ** 64n - 1n) },
    { type: ValueType.Bool, bytes: u64(1n) },
    { type: ValueType.Bool, bytes: u64(0n) },
    { type: ValueType.Ptr, bytes: u64(0x7fff_1234n) },
  ], 1_000_000_000_123n));
  assert.equal(ev.traceId, 3);
  assert.equal(ev.printId, 17);
  assert.equal(ev.ktimeNs, 1_000_000_000_123n);
  assert.equal(ev.hostTgid, 4321);
  assert.equal(ev.hostTid, 4322);
  assert.equal(ev.viewTgid, 17);
  assert.equal(ev.viewTid, 18);
  assert.deepEqual(ev.values.map((v) => v.value), [-5n, 2n ** 64n - 1n, true, false, 0x7fff_1234n]);
  assert.ok(ev.values.every((v) => v.status === ValueStatus.Ok));
});

Deno.test("a failed value decodes with its status and no value", () => {
  const ev = decodeEvent(encode(0, 0, [
    { type: ValueType.I64, status: ValueStatus.ReadError, bytes: u64(0n) },
    { type: ValueType.I64, status: ValueStatus.OptimizedOut, bytes: u64(0n) },
  ]));
  assert.deepEqual(ev.values, [
    { type: ValueType.I64, status: ValueStatus.ReadError, value: null },
    { type: ValueType.I64, status: ValueStatus.OptimizedOut, value: null },
  ]);
});

Deno.test("strings stop at NUL, bytes are copied out of the ring", () => {
  const bytes = new Uint8Array([1, 2, 3]);
  const raw = encode(0, 0, [
    { type: ValueType.Str, bytes: new TextEncoder().encode("héllo\0junk") },
    { type: ValueType.Bytes, bytes },
    { type: ValueType.I64, bytes: u64(7n) },
  ]);
  const ev = decodeEvent(raw);
  assert.equal(ev.values[0].value, "héllo");
  assert.deepEqual(ev.values[1].value, bytes);
  raw.fill(0); // the ring reuses its memory after the callback
  assert.deepEqual(ev.values[1].value, new Uint8Array([1, 2, 3]));
  assert.equal(ev.values[2].value, 7n);
});

Deno.test("decodes from a view at a non-zero offset (as handed out by the ring)", () => {
  const raw = encode(1, 2, [{ type: ValueType.I64, bytes: u64(99n) }]);
  const big = new Uint8Array(raw.length + 13);
  big.set(raw, 13);
  const ev = decodeEvent(big.subarray(13));
  assert.equal(ev.printId, 2);
  assert.equal(ev.values[0].value, 99n);
});

Deno.test("a header-only event has no values", () => {
  assert.deepEqual(decodeEvent(encode(0, 9, [])).values, []);
});

Deno.test("malformed events are rejected with a WireError", () => {
  assert.throws(() => decodeEvent(new Uint8Array(10)), /shorter than its 32-byte header/);
  const raw = encode(0, 0, [{ type: ValueType.I64, bytes: u64(1n) }]);
  assert.throws(() => decodeEvent(raw.subarray(0, 36)), /truncated value header/);
  assert.throws(() => decodeEvent(raw.subarray(0, 44)), WireError);
  assert.throws(() => decodeEvent(raw.subarray(0, 44)), /overruns/);
});

Deno.test("decoder throughput is well above 1M events/s for a 3-value print", () => {
  const raw = encode(0, 1, [
    { type: ValueType.I64, bytes: u64(42n) },
    { type: ValueType.I64, bytes: u64(-1n) },
    { type: ValueType.U64, bytes: u64(1n << 40n) },
  ]);
  const n = 300_000;
  let sink = 0;
  for (let i = 0; i < 20_000; i++) sink += decodeEvent(raw).values.length; // warm up
  const t0 = performance.now();
  for (let i = 0; i < n; i++) sink += decodeEvent(raw).values.length;
  const secs = (performance.now() - t0) / 1000;
  assert.ok(sink > 0);
  const rate = n / secs;
  // Generous floor so a loaded CI machine does not flake; typical is several M/s.
  assert.ok(rate > 500_000, `decoded only ${Math.round(rate)} events/s`);
});

Deno.test("Str/Bytes records: `used` bounds the valid bytes; a ReadError carries its address", () => {
  const layout = eventLayout([16, 8, 8]);
  const raw = new Uint8Array(layout.size);
  const v = new DataView(raw.buffer);
  // a 16-byte dump of which 3 bytes are valid
  v.setUint32(layout.valueOffsets[0], valueHeaderWord(ValueType.Bytes, ValueStatus.Ok, 16), true);
  v.setUint32(layout.valueOffsets[0] + 4, 3, true);
  raw.set([1, 2, 3, 4, 5], layout.valueOffsets[0] + 8);
  // a failed read of 0x7ffd0010
  v.setUint32(
    layout.valueOffsets[1],
    valueHeaderWord(ValueType.Str, ValueStatus.ReadError, 8),
    true,
  );
  v.setBigUint64(layout.valueOffsets[1] + 8, 0x7ffd0010n, true);
  // a NULL dereference has no address
  v.setUint32(
    layout.valueOffsets[2],
    valueHeaderWord(ValueType.I64, ValueStatus.NullDeref, 8),
    true,
  );
  const ev = decodeEvent(raw);
  assert.deepEqual(ev.values[0].value, new Uint8Array([1, 2, 3]));
  assert.equal(ev.values[1].errorAddress, 0x7ffd0010n);
  assert.equal(ev.values[1].value, null);
  assert.equal(ev.values[2].errorAddress, undefined);
});
