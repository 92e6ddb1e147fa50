import { assertEquals, assertMatch } from "./assert.ts";
import { rendererFor, renderJson, renderPretty } from "../lib/output/renderers.ts";
import { OutputMode } from "../lib/config/settings.ts";
import { LineWriter } from "../lib/output/writer.ts";
import type { EventLine } from "../lib/output/event_line.ts";

const event: EventLine = {
  traceId: 1,
  wallNs: 1_700_000_000_123_456_789n,
  pid: 17,
  tid: 18,
  hostPid: 81234,
  hostTid: 81235,
  text: "a=1 b=ff",
  values: [1n, 255n, 2n ** 63n],
};

Deno.test("pretty shows time, trace id, pid, tid and the text", () => {
  assertMatch(renderPretty(event), /^\[\d\d:\d\d:\d\d\.123456\] TraceID:1 PID:17 TID:18 a=1 b=ff$/);
});

Deno.test("plain is the payload only", () => {
  assertEquals(rendererFor(OutputMode.Plain)(event), "a=1 b=ff");
});

Deno.test("json keeps 64-bit values exact", () => {
  const obj = JSON.parse(renderJson(event));
  assertEquals(obj.values, [1, 255, "9223372036854775808"]);
  assertEquals(obj.pid, 17);
  assertEquals(obj.host_pid, 81234);
  assertEquals(obj.message, "a=1 b=ff");
  assertEquals(obj.timestamp_ns, "1700000000123456789");
});

Deno.test("the writer batches lines and survives a closed pipe", () => {
  const chunks: string[] = [];
  const writer = new LineWriter({
    writeSync(p) {
      chunks.push(new TextDecoder().decode(p));
      return p.length;
    },
  }, 1 << 20);
  writer.line("one");
  writer.line("two");
  assertEquals(chunks.length, 0);
  writer.flush();
  assertEquals(chunks, ["one\ntwo\n"]);
  const broken = new LineWriter({
    writeSync() {
      throw new Deno.errors.BrokenPipe("closed");
    },
  });
  broken.line("x");
  broken.flush();
  assertEquals(broken.closed, true);
});
