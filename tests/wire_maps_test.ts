import assert from "node:assert/strict";
import {
  DEFAULT_RINGBUF_SIZE,
  EVENTS_MAP,
  eventsMapSpec,
  isValidRingbufSize,
  LOST_MAP,
  lostMapSpec,
} from "../bpf/maps.ts";
import { MapType } from "../ffi/bpf_types.ts";

Deno.test("events ring buffer: 8 MiB by default, any power of two from one page", () => {
  assert.equal(DEFAULT_RINGBUF_SIZE, 8 * 1024 * 1024);
  assert.deepEqual(eventsMapSpec(), {
    ref: EVENTS_MAP,
    name: "gs_events",
    type: MapType.RingBuf,
    keySize: 0,
    valueSize: 0,
    maxEntries: 8 * 1024 * 1024,
  });
  assert.equal(eventsMapSpec(4096).maxEntries, 4096);
  assert.equal(eventsMapSpec(1 << 24).maxEntries, 1 << 24);
  assert.equal(eventsMapSpec(2 ** 31).maxEntries, 2 ** 31);
  for (const bad of [0, 1000, 2048, 3 * 4096, 4096.5, 2 ** 32, 2 ** 33, 2 ** 32 + 4096, -4096]) {
    assert.equal(isValidRingbufSize(bad), false, String(bad));
    assert.throws(() => eventsMapSpec(bad), /must be a power of two/);
  }
});

Deno.test("lost counter: one per-CPU u64 under a u32 key", () => {
  assert.deepEqual(lostMapSpec(), {
    ref: LOST_MAP,
    name: "gs_lost",
    type: MapType.PerCpuArray,
    keySize: 4,
    valueSize: 8,
    maxEntries: 1,
  });
});
