/**
 * The reader's per-event CPU cost, in process and without the kernel: a two-integer `print`
 * record (the `make bench` throughput script's shape) decoded, rendered and written to
 * /dev/null, as the trace session does for each record it finds in the ring. Timed in CPU time
 * of this process (user + system), so the machine's other load matters much less than for
 * wall-clock tracing numbers. Steps are timed apart and interleaved over the repetitions;
 * median and min in ns of CPU per event.
 *
 *   deno run -A bench/event_path.ts [--events 1000000] [--reps 5]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { cpuUsage } from "node:process";
import { compileScript } from "../lib/script/compiler.ts";
import { renderEvent } from "../lib/script/render.ts";
import { decodeEvent, decodeEventAt, ValueType } from "../bpf/wire.ts";
import { EventConsumer } from "../lib/session/event_consumer.ts";
import { DEFAULT_SETTINGS, OutputMode } from "../lib/config/settings.ts";

const { values: opts } = parseArgs({
  args: Deno.args,
  options: {
    events: { type: "string", default: "1000000" },
    reps: { type: "string", default: "5" },
  },
});
const N = Number(opts.events);
const REPS = Number(opts.reps);

const compiled = compileScript('trace f { print "{} {}", $pid, $tid; }', {
  filter: { kind: "none" },
  pidView: { kind: "host" },
  inputPid: 1,
});
/** The ring's memory: records at a page offset, as the reader sees them. */
const ring = new Uint8Array(1 << 16);
const view = new DataView(ring.buffer);
const AT = 4096;
const SIZE = 64;
view.setBigUint64(AT + 8, 123_456_789n, true);
view.setUint32(AT + 16, 4242, true);
view.setUint32(AT + 20, 4243, true);
for (const off of [32, 48]) {
  ring[AT + off] = ValueType.I64;
  view.setUint16(AT + off + 2, 8, true);
}
const setValue = (i: number) => view.setBigInt64(AT + 56, BigInt(i), true);

const devNull = Deno.openSync("/dev/null", { write: true });
const consumer = new EventConsumer(
  compiled,
  { ...DEFAULT_SETTINGS, output: OutputMode.Plain },
  (e) => ({ pid: e.hostTgid, tid: e.hostTid, hostPid: e.hostTgid, hostTid: e.hostTid }),
);
// The consumer writes to stdout; here its writer's file is /dev/null.
Object.defineProperty(consumer.writer, "file", { value: devNull });
const pretty = new EventConsumer(
  compiled,
  { ...DEFAULT_SETTINGS, output: OutputMode.Pretty },
  (e) => ({ pid: e.hostTgid, tid: e.hostTid, hostPid: e.hostTgid, hostTid: e.hostTid }),
);
Object.defineProperty(pretty.writer, "file", { value: devNull });
const decoded = decodeEventAt(ring, view, AT, SIZE);
const copy = ring.slice(AT, AT + SIZE);

const steps: Record<string, (i: number) => void> = {
  "decodeEventAt (in place)": (i) => {
    setValue(i);
    decodeEventAt(ring, view, AT, SIZE);
  },
  "decodeEvent (copied record)": (i) => {
    copy[24] = i;
    decodeEvent(copy);
  },
  "renderEvent": () => {
    renderEvent(compiled, decoded);
  },
  "whole event, plain (decode, render, write)": (i) => {
    setValue(i);
    consumer.onRecord(ring, view, AT, SIZE);
    if (i % 4096 === 0) consumer.writer.flush();
  },
  "whole event, pretty": (i) => {
    setValue(i);
    pretty.onRecord(ring, view, AT, SIZE);
    if (i % 4096 === 0) pretty.writer.flush();
  },
};

const results = new Map<string, number[]>();
for (let rep = 0; rep < REPS + 1; rep++) {
  for (const [name, step] of Object.entries(steps)) {
    const t0 = cpuUsage();
    for (let i = 0; i < N; i++) step(i);
    const used = cpuUsage(t0);
    const ns = (used.user + used.system) * 1000 / N;
    if (rep > 0) results.set(name, [...(results.get(name) ?? []), ns]); // rep 0 warms up
  }
}
consumer.writer.flush();
pretty.writer.flush();
const median = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1];
console.log(`event path, ${N} events x ${REPS} reps (median / min ns of CPU per event):`);
for (const [name, v] of results) {
  console.log(
    `  ${name.padEnd(44)} ${median(v).toFixed(0).padStart(5)} / ${Math.min(...v).toFixed(0)}`,
  );
}
