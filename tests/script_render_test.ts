import assert from "node:assert/strict";
import { compileScript } from "../lib/script/compiler.ts";
import { renderEvent } from "../lib/script/render.ts";
import {
  decodeEvent,
  eventLayout,
  HeaderOffset,
  SCALAR_LEN,
  valueHeaderWord,
  ValueStatus,
} from "../bpf/wire.ts";
import type { ValueType } from "../bpf/wire.ts";

/** Build the record the program of `printId` would emit for the given raw values. */
function event(
  printId: number,
  types: ValueType[],
  values: bigint[],
  statuses: ValueStatus[] = [],
) {
  const layout = eventLayout(types.map(() => SCALAR_LEN));
  const b = new Uint8Array(layout.size);
  const v = new DataView(b.buffer);
  v.setUint32(HeaderOffset.PrintId, printId, true);
  types.forEach((t, i) => {
    const off = layout.valueOffsets[i];
    v.setUint32(off, valueHeaderWord(t, statuses[i] ?? ValueStatus.Ok, SCALAR_LEN), true);
    v.setBigUint64(off + 8, BigInt.asUintN(64, values[i]), true);
  });
  return decodeEvent(b);
}

Deno.test("renders printf-style and `expr = value` prints from decoded events", () => {
  const c = compileScript(
    'trace main { print "pid={} hex={:x} ok={}", $pid, 255, 1 < 2; print $tid * 2; print "done {{}}"; }',
    { filter: { kind: "none" }, pidView: { kind: "host" }, inputPid: 1 },
  );
  const p0 = c.prints[0];
  assert.equal(renderEvent(c, event(0, p0.argTypes, [42n, 255n, 1n])), "pid=42 hex=ff ok=true");
  assert.equal(renderEvent(c, event(1, c.prints[1].argTypes, [-8n])), "$tid * 2 = -8");
  assert.equal(renderEvent(c, event(2, [], [])), "done {}");
  assert.equal(
    renderEvent(c, event(1, c.prints[1].argTypes, [0n], [ValueStatus.ReadError])),
    "$tid * 2 = <read error>",
  );
  assert.equal(renderEvent(c, event(9, [], [])), "<unknown print #9 from trace #0>");
});

Deno.test("decode + render stays fast", () => {
  const c = compileScript('trace main { print "a={} b={:x}", $pid, $tid; }', {
    filter: { kind: "none" },
    pidView: { kind: "host" },
  });
  const ev = event(0, c.prints[0].argTypes, [1234n, 5678n]);
  const n = 200_000;
  const t0 = performance.now();
  let len = 0;
  for (let i = 0; i < n; i++) len += renderEvent(c, ev).length;
  const rate = n / ((performance.now() - t0) / 1000);
  assert.ok(len > 0);
  assert.ok(rate > 300_000, `rendered only ${Math.round(rate)} events/s`);
});
