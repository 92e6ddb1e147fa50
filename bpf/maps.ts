/**
 * Specs of the maps shared by every trace program: the `events` ring buffer that carries the
 * wire-format records (see `wire.ts`) and the per-CPU `lost` counter that counts records the ring
 * had no room for. `ffi/` creates them from these specs; program builders refer to them by name.
 * @module
 */

import { MapType } from "../ffi/bpf_types.ts";

/** What it takes to create a map. */
export interface MapSpec {
  /** Name programs use for it: the key of `Assembler.ldMap` and of `assemble(mapFds)`. */
  ref: string;
  /** Kernel object name (`gs_` prefix, at most 15 characters), as `bpftool map` shows it. */
  name: string;
  /** Kernel map type. */
  type: MapType;
  /** Key size in bytes (0 for a ring buffer). */
  keySize: number;
  /** Value size in bytes (0 for a ring buffer). */
  valueSize: number;
  /** Entry count; for a ring buffer, the data area size in bytes. */
  maxEntries: number;
}

/** Program-side name of the ring buffer carrying trace events. */
export const EVENTS_MAP = "events";
/** Program-side name of the per-CPU array counting events dropped because the ring was full. */
export const LOST_MAP = "lost";
/**
 * Program-side name of the per-CPU scratch array (one entry of {@link SCRATCH_SIZE} bytes):
 * buffers of byte-string comparisons too large for the 512-byte BPF stack.
 */
export const SCRATCH_MAP = "scratch";
/** Bytes of one comparison buffer of the scratch entry (two of them, one per compared side). */
export const SCRATCH_HALF = 4096;
/**
 * Where the status records of fallible `let`s start in the scratch entry (16 bytes each: status,
 * failing address): kept in map memory, whose contents the verifier does not track, so the
 * success and failure paths of every `let` merge instead of multiplying.
 */
export const SCRATCH_STATUS_OFFSET = 2 * SCRATCH_HALF;
/** Bytes of the status area (128 `let`s in scope at once). */
export const SCRATCH_STATUS_BYTES = 2048;
/** Bytes of the scratch entry. */
export const SCRATCH_SIZE = SCRATCH_STATUS_OFFSET + SCRATCH_STATUS_BYTES;
/** Prefix of every kernel object ghostscope creates (programs and maps). */
export const OBJECT_PREFIX = "gs_";

/** Page size of the supported architecture (x86_64). */
export const PAGE_SIZE = 4096;
/** Largest ring the kernel can make: `max_entries` is a u32, so the largest power of two is 2^31. */
export const MAX_RINGBUF_SIZE = 2 ** 31;
/** Default ring buffer size (`--ringbuf-size`, `ringbuf_size`): 8 MiB. */
export const DEFAULT_RINGBUF_SIZE = 8 * 1024 * 1024;

/** Raised for an invalid map size. */
export class MapSpecError extends Error {
  override name = "MapSpecError";
}

/**
 * The one ring-size rule (settings validation, map specs and `ffi/` map creation all use it): a
 * power of two from one page to {@link MAX_RINGBUF_SIZE}. Checked on the number itself, not on
 * its low 32 bits, so 2^32 is refused rather than passing as 0.
 */
export function isValidRingbufSize(n: number): boolean {
  return Number.isInteger(n) && n >= PAGE_SIZE && n <= MAX_RINGBUF_SIZE &&
    Number.isInteger(Math.log2(n));
}

/** Why `n` is not a valid ring size, for messages: "must be a power of two between ...". */
export const RINGBUF_SIZE_RULE =
  `a power of two between ${PAGE_SIZE} and ${MAX_RINGBUF_SIZE} (2^31) bytes`;

/** The `events` ring buffer; `size` must be a power of two of at least one page. */
export function eventsMapSpec(size: number = DEFAULT_RINGBUF_SIZE): MapSpec {
  if (!isValidRingbufSize(size)) {
    throw new MapSpecError(
      `ring buffer size ${size} must be ${RINGBUF_SIZE_RULE}`,
    );
  }
  return {
    ref: EVENTS_MAP,
    name: OBJECT_PREFIX + EVENTS_MAP,
    type: MapType.RingBuf,
    keySize: 0,
    valueSize: 0,
    maxEntries: size,
  };
}

/** The `lost` counter: PERCPU_ARRAY, one entry, u32 key, u64 value. Sum over CPUs to read it. */
export function lostMapSpec(): MapSpec {
  return {
    ref: LOST_MAP,
    name: OBJECT_PREFIX + LOST_MAP,
    type: MapType.PerCpuArray,
    keySize: 4,
    valueSize: 8,
    maxEntries: 1,
  };
}

/** The `scratch` buffer: PERCPU_ARRAY, one entry, u32 key, {@link SCRATCH_SIZE}-byte value. */
export function scratchMapSpec(): MapSpec {
  return {
    ref: SCRATCH_MAP,
    name: OBJECT_PREFIX + SCRATCH_MAP,
    type: MapType.PerCpuArray,
    keySize: 4,
    valueSize: SCRATCH_SIZE,
    maxEntries: 1,
  };
}
