/**
 * A BPF ring buffer read straight from its mmap'd pages, without libbpf's per-record C callback.
 *
 * The kernel maps a ring map as: one read-write page holding `consumer_pos`, then (read-only) one
 * page holding `producer_pos` followed by the data area mapped twice in a row, so a record never
 * wraps. Each record starts with an 8-byte header whose u32 length carries a BUSY bit while the
 * program is still filling it and a DISCARD bit for a discarded reservation; records are 8-byte
 * aligned. Here both mappings are viewed as ArrayBuffers (no copy), so a drain is plain JS: one
 * `Atomics.load` of the producer position, one per record header, and ONE store of the consumer
 * position per drain (libbpf stores it after every record: a cache line the producing CPU reads
 * on every reservation, bouncing between the two CPUs once per event).
 *
 * Waiting is `poll(2)` on the map fd, which returns at once when data is available; the trace
 * programs submit with NO_WAKEUP below their wake-up threshold, so a sparse event waits for the
 * poll timeout at most.
 * @module
 */
import { Errno } from "./errors.ts";
import { checkLibc, errnoError, lastErrno, libc } from "./libc.ts";
import { allocBytes } from "./pointers.ts";
import { BpfError } from "./errors.ts";
import { isValidRingbufSize, PAGE_SIZE } from "../bpf/maps.ts";

/**
 * Receives one record: `length` bytes at `offset` of `bytes` (and of `view`, the same memory).
 * The memory is the kernel's ring: valid only during the call, and overwritten later; copy out
 * what you keep.
 */
export type RecordHandler = (
  bytes: Uint8Array,
  view: DataView,
  offset: number,
  length: number,
) => void;

const PROT_READ = 0x1;
const PROT_WRITE = 0x2;
const MAP_SHARED = 0x1;
const MAP_FAILED = 0xffff_ffff_ffff_ffffn;
const POLLIN = 0x1;
const POLLNVAL = 0x20;
const BUSY_BIT = 0x8000_0000;
const DISCARD_BIT = 0x4000_0000;
const HEADER_SIZE = 8;
/** Records delivered per drain before the consumer position is published (frees ring space). */
const PUBLISH_EVERY = 4096;

// struct pollfd { int fd; short events; short revents; }
const POLLFD = { size: 8, fd: 0, events: 4, revents: 6 } as const;

/** A ring buffer consumer bound to one map fd, reading the shared pages directly. */
export class RingReader {
  readonly #fd: number;
  readonly #size: number;
  #consumerPage: Deno.PointerObject | null = null;
  #dataPages: Deno.PointerObject | null = null;
  readonly #dataLength: number;
  /** consumer_pos (u64) at index 0. */
  #consumer: BigUint64Array;
  /** producer_pos (u64) at index 0. */
  #producer: BigUint64Array;
  /** The data area twice in a row, as bytes, a DataView and u32s (record headers). */
  #bytes: Uint8Array;
  #view: DataView;
  #words: Uint32Array;
  readonly #pollfd = allocBytes(POLLFD.size);
  readonly #pollView = new DataView(this.#pollfd.buffer);
  readonly #onRecord: RecordHandler;
  #draining = false;
  #closeRequested = false;

  /**
   * @param mapFd fd of a `MapType.RingBuf` map
   * @param size the map's data size (its `max_entries`)
   * @param onRecord called once per record, inside {@link poll}/{@link consume}
   * @throws {BpfError} when the pages cannot be mapped (not a ring buffer fd, wrong size)
   * @throws {RangeError} for a size outside the ring-size rule
   */
  constructor(mapFd: number, size: number, onRecord: RecordHandler) {
    if (!isValidRingbufSize(size)) throw new RangeError(`ring buffer size ${size} is not valid`);
    this.#fd = mapFd;
    this.#size = size;
    this.#onRecord = onRecord;
    this.#dataLength = PAGE_SIZE + 2 * size;
    const c = libc();
    const consumer = c.mmap(null, BigInt(PAGE_SIZE), PROT_READ | PROT_WRITE, MAP_SHARED, mapFd, 0n);
    if (failed(consumer)) {
      throw errnoError(`mmap(ring buffer fd ${mapFd}, consumer page)`, lastErrno());
    }
    const data = c.mmap(
      null,
      BigInt(this.#dataLength),
      PROT_READ,
      MAP_SHARED,
      mapFd,
      BigInt(PAGE_SIZE),
    );
    if (failed(data)) {
      const errno = lastErrno();
      c.munmap(consumer, BigInt(PAGE_SIZE));
      throw errnoError(`mmap(ring buffer fd ${mapFd}, ${size}-byte data area)`, errno);
    }
    this.#consumerPage = consumer!;
    this.#dataPages = data!;
    this.#consumer = new BigUint64Array(Deno.UnsafePointerView.getArrayBuffer(consumer!, 8));
    const all = Deno.UnsafePointerView.getArrayBuffer(data!, this.#dataLength);
    this.#producer = new BigUint64Array(all, 0, 1);
    this.#bytes = new Uint8Array(all, PAGE_SIZE, 2 * size);
    this.#view = new DataView(all, PAGE_SIZE, 2 * size);
    this.#words = new Uint32Array(all, PAGE_SIZE, (2 * size) / 4);
    this.#pollView.setInt32(POLLFD.fd, mapFd, true);
    this.#pollView.setInt16(POLLFD.events, POLLIN, true);
  }

  /** Whether {@link close} has been called. */
  get closed(): boolean {
    return this.#dataPages === null;
  }

  /**
   * Delivers what is available; when nothing is, waits up to `timeoutMs` (blocking the JS
   * thread) for data and delivers it. Returns the number delivered.
   * @throws whatever `onRecord` threw (records before it stay consumed, the failing one too)
   * @throws {BpfError} when polling fails, or the reader is closed
   */
  poll(timeoutMs: number): number {
    const n = this.consume();
    if (n > 0 || timeoutMs <= 0) return n;
    const rc = libc().poll(this.#pollfd, 1n, timeoutMs);
    if (rc < 0) {
      const errno = lastErrno();
      if (errno === Errno.EINTR) return 0;
      throw errnoError(`poll(ring buffer fd ${this.#fd})`, errno);
    }
    if (this.#pollView.getInt16(POLLFD.revents, true) & POLLNVAL) {
      throw new BpfError(`poll(ring buffer fd ${this.#fd})`, Errno.EBADF);
    }
    return rc > 0 ? this.consume() : 0;
  }

  /**
   * Delivers every record available now without waiting. Returns the number delivered.
   * @throws whatever `onRecord` threw
   */
  consume(): number {
    if (this.#dataPages === null) {
      throw new BpfError(`ring buffer fd ${this.#fd}: reader closed`, Errno.EBADF);
    }
    if (this.#draining) throw new Error("RingReader.consume: called from inside onRecord");
    this.#draining = true;
    const size = this.#size;
    const words = this.#words;
    const bytes = this.#bytes;
    const view = this.#view;
    const onRecord = this.#onRecord;
    let cons = Number(Atomics.load(this.#consumer, 0));
    let published = cons;
    let delivered = 0;
    try {
      drain: for (;;) {
        const prod = Number(Atomics.load(this.#producer, 0));
        if (cons >= prod) break;
        while (cons < prod) {
          const at = cons % size;
          const len = Atomics.load(words, at >>> 2);
          if ((len & BUSY_BIT) !== 0) break;
          const dataLen = len & ~(BUSY_BIT | DISCARD_BIT);
          cons += (dataLen + HEADER_SIZE + 7) & ~7;
          if ((len & DISCARD_BIT) === 0) {
            delivered++;
            onRecord(bytes, view, at + HEADER_SIZE, dataLen);
            if (this.#closeRequested) break drain;
            if (delivered % PUBLISH_EVERY === 0) {
              Atomics.store(this.#consumer, 0, BigInt(cons));
              published = cons;
            }
          }
        }
        // A record still being written (BUSY) ends the drain; so does a closed reader.
        if (cons < prod) break;
      }
    } finally {
      if (cons !== published) {
        Atomics.store(this.#consumer, 0, BigInt(cons));
      }
      this.#draining = false;
      if (this.#closeRequested) this.close();
    }
    return delivered;
  }

  /** Unmaps the pages. Idempotent; from inside `onRecord` it takes effect when the drain ends. */
  close(): void {
    if (this.#draining) {
      this.#closeRequested = true;
      return;
    }
    this.#closeRequested = false;
    const c = libc();
    if (this.#dataPages !== null) {
      // Drop every view first: touching them after munmap would fault.
      this.#bytes = new Uint8Array(0);
      this.#view = new DataView(new ArrayBuffer(0));
      this.#words = new Uint32Array(0);
      this.#producer = new BigUint64Array(1);
      this.#consumer = new BigUint64Array(1);
      checkLibc("munmap(ring buffer data)", c.munmap(this.#dataPages, BigInt(this.#dataLength)));
      this.#dataPages = null;
    }
    if (this.#consumerPage !== null) {
      checkLibc(
        "munmap(ring buffer consumer page)",
        c.munmap(this.#consumerPage, BigInt(PAGE_SIZE)),
      );
      this.#consumerPage = null;
    }
  }
}

function failed(p: Deno.PointerValue): boolean {
  return p === null || BigInt(Deno.UnsafePointer.value(p)) === MAP_FAILED;
}
