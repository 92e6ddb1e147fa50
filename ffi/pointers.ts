/**
 * Building C structs that hold pointers to other buffers (the verifier log buffer, a uprobe path).
 * Internal to `ffi/`: no raw address leaves this folder.
 *
 * The kernel reads those buffers during the call, so they must stay alive until it returns
 * (kernel-recipes pitfall 6). A {@link CStruct} keeps a reference to every buffer it points to, so
 * keeping the struct referenced across the call is enough.
 */

const encoder = new TextEncoder();

/** Allocates a zeroed buffer with its own (off-heap) backing store, so its address is stable. */
export function allocBytes(size: number): Uint8Array<ArrayBuffer> {
  return new Uint8Array(new ArrayBuffer(size));
}

/** NUL-terminated UTF-8 copy of `text`. */
export function cString(text: string): Uint8Array<ArrayBuffer> {
  const encoded = encoder.encode(text);
  const out = allocBytes(encoded.length + 1);
  out.set(encoded);
  return out;
}

/** Reads a NUL-terminated UTF-8 string out of `bytes` (the whole buffer if there is no NUL). */
export function fromCString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** Address of the first byte of `bytes` as a 64-bit integer (0n for an empty buffer). */
export function addressOf(bytes: Uint8Array): bigint {
  const pointer = Deno.UnsafePointer.of(bytes);
  return pointer === null ? 0n : BigInt(Deno.UnsafePointer.value(pointer));
}

/**
 * Little-endian struct image of a fixed size. Field setters take byte offsets (from the layouts in
 * kernel-recipes.md). `pointer()` stores a buffer's address and keeps the buffer referenced for as
 * long as the struct is.
 */
export class CStruct {
  /** The struct bytes, to pass as a `"buffer"` FFI argument. */
  readonly bytes: Uint8Array<ArrayBuffer>;
  readonly #view: DataView;
  // Buffers whose addresses were written into this struct; held so GC cannot free them.
  readonly #pointees: Uint8Array[] = [];

  /** @param size `sizeof(struct ...)` */
  constructor(size: number) {
    this.bytes = allocBytes(size);
    this.#view = new DataView(this.bytes.buffer);
  }

  /** Writes a `u32` at `offset`. */
  u32(offset: number, value: number): this {
    this.#view.setUint32(offset, value >>> 0, true);
    return this;
  }

  /** Writes an `s32` at `offset`. */
  i32(offset: number, value: number): this {
    this.#view.setInt32(offset, value, true);
    return this;
  }

  /** Writes a `u64` at `offset`. */
  u64(offset: number, value: bigint | number): this {
    this.#view.setBigUint64(offset, BigInt(value), true);
    return this;
  }

  /** Writes the address of `target` at `offset` and keeps `target` alive with this struct. */
  pointer(offset: number, target: Uint8Array): this {
    this.#pointees.push(target);
    return this.u64(offset, addressOf(target));
  }

  /** Address of the struct itself, for calls that take it as an integer (`syscall`). */
  address(): bigint {
    return addressOf(this.bytes);
  }

  /**
   * Marks the end of the region where the struct and its pointees must stay alive: call it right
   * after the FFI call that reads them. It only keeps the references in use until that point.
   */
  keepAlive(): void {
    void this.#pointees.length;
  }
}
