/**
 * Consumer of a BPF ring buffer map through libbpf's `ring_buffer__*`. Polling is synchronous, so
 * the sample callback runs inline on the JS thread (fast: ~1M events/s); callers should yield to
 * the event loop between polls.
 */
import { Errno } from "./errors.ts";
import { lastErrno } from "./libc.ts";
import { checkLibbpf, libbpf, libbpfError } from "./libbpf.ts";

/** Receives one record. `bytes` is a view valid only during the call: copy what you keep. */
export type SampleHandler = (bytes: Uint8Array) => void;

const SAMPLE_CALLBACK = {
  parameters: ["pointer", "pointer", "usize"],
  result: "i32",
} as const;

/** Returned from the C callback to stop libbpf's loop (after an exception or a close). */
const STOP = -Errno.ECANCELED;
const INITIAL_SCRATCH = 4096;
/** Views are cached per record size; beyond this many distinct sizes, views are made per event. */
const VIEW_CACHE_LIMIT = 1024;

/** A ring buffer consumer bound to one map fd. */
export class RingBuffer {
  #ring: Deno.PointerObject | null;
  #callback: Deno.UnsafeCallback<typeof SAMPLE_CALLBACK> | null;
  readonly #onSample: SampleHandler;
  // One reusable copy target; replaced by a bigger one when a record does not fit.
  #scratch = new Uint8Array(new ArrayBuffer(INITIAL_SCRATCH));
  // views[size] = scratch.subarray(0, size), so steady state allocates no view per event.
  #views: Array<Uint8Array | undefined> = [];
  #cachedViews = 0;
  #error: { value: unknown } | null = null;
  #inCallback = false;
  #closeRequested = false;

  /**
   * @param mapFd fd of a `MapType.RingBuf` map
   * @param onSample called once per record, inside {@link poll}/{@link consume}
   * @throws {BpfError} when libbpf cannot set up the consumer (e.g. the fd is not a ring buffer)
   */
  constructor(mapFd: number, onSample: SampleHandler) {
    this.#onSample = onSample;
    const callback = new Deno.UnsafeCallback(
      SAMPLE_CALLBACK,
      (_ctx, data, size) => this.#deliver(data, size),
    );
    const ring = libbpf().ring_buffer__new(mapFd, callback.pointer, null, null);
    if (ring === null) {
      const errno = lastErrno() || Errno.EINVAL;
      callback.close();
      throw libbpfError(`ring_buffer__new(map fd ${mapFd})`, -errno);
    }
    this.#ring = ring;
    this.#callback = callback;
  }

  /**
   * Waits up to `timeoutMs` (blocking the JS thread) for records and delivers them. Returns the
   * number delivered (0 on timeout or EINTR).
   * @throws whatever `onSample` threw (after libbpf's loop has returned)
   * @throws {BpfError} when polling fails, or the buffer is closed
   */
  poll(timeoutMs: number): number {
    const ring = this.#open("ring_buffer__poll");
    return this.#finish("ring_buffer__poll", () => libbpf().ring_buffer__poll(ring, timeoutMs));
  }

  /**
   * Delivers every record available now without waiting. Returns the number delivered.
   * @throws whatever `onSample` threw
   */
  consume(): number {
    const ring = this.#open("ring_buffer__consume");
    return this.#finish("ring_buffer__consume", () => libbpf().ring_buffer__consume(ring));
  }

  /** Whether {@link close} has been called. */
  get closed(): boolean {
    return this.#ring === null || this.#closeRequested;
  }

  /**
   * Frees the consumer and its callback. Idempotent. Called from inside `onSample`, it takes
   * effect once the current poll returns.
   */
  close(): void {
    if (this.#inCallback) {
      this.#closeRequested = true;
      return;
    }
    if (this.#ring !== null) {
      libbpf().ring_buffer__free(this.#ring);
      this.#ring = null;
    }
    this.#callback?.close();
    this.#callback = null;
    this.#scratch = new Uint8Array(0);
    this.#views = [];
  }

  #open(op: string): Deno.PointerObject {
    // libbpf's consumer is not re-entrant: no polling from inside onSample.
    if (this.#inCallback) throw new Error(`${op}: called from inside onSample`);
    if (this.#ring === null || this.#closeRequested) {
      throw libbpfError(`${op}: ring buffer closed`, -Errno.EBADF);
    }
    return this.#ring;
  }

  #finish(op: string, call: () => number): number {
    this.#inCallback = true;
    let rc: number;
    try {
      rc = call();
    } finally {
      this.#inCallback = false;
    }
    if (this.#closeRequested) {
      this.#closeRequested = false;
      this.close();
    }
    const error = this.#error;
    if (error !== null) {
      this.#error = null;
      throw error.value;
    }
    if (rc === -Errno.EINTR || rc === STOP) return 0;
    return checkLibbpf(op, rc);
  }

  // The hot path: no allocation in steady state besides what the FFI trampoline makes.
  #deliver(data: Deno.PointerValue, sizeArg: number | bigint): number {
    if (this.#error !== null || this.#closeRequested || data === null) return STOP;
    const size = Number(sizeArg);
    if (size > this.#scratch.length) this.#grow(size);
    let view = this.#views[size];
    if (view === undefined) view = this.#viewOf(size);
    // copyInto fills the whole destination view: exactly `size` bytes.
    Deno.UnsafePointerView.copyInto(data, view);
    try {
      this.#onSample(view);
    } catch (err) {
      // Never throw across FFI: remember it, stop libbpf's loop, rethrow from poll()/consume().
      this.#error = { value: err };
      return STOP;
    }
    return 0;
  }

  #viewOf(size: number): Uint8Array {
    const view = this.#scratch.subarray(0, size);
    if (this.#cachedViews < VIEW_CACHE_LIMIT) {
      this.#views[size] = view;
      this.#cachedViews++;
    }
    return view;
  }

  #grow(size: number): void {
    let capacity = Math.max(this.#scratch.length, INITIAL_SCRATCH);
    while (capacity < size) capacity *= 2;
    this.#scratch = new Uint8Array(new ArrayBuffer(capacity));
    this.#views = [];
    this.#cachedViews = 0;
  }
}
