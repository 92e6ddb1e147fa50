/**
 * Stack slot allocation for generated programs. Slots are 8 bytes, addressed as negative offsets
 * from R10. Allocation is a stack discipline: `mark()` before a scope, `release(mark)` after it,
 * so sibling scopes reuse the same bytes. The high-water mark is checked against the kernel's
 * 512-byte limit.
 * @module
 */

/** The kernel's per-program stack limit (`MAX_BPF_STACK`). */
export const MAX_STACK = 512;

/** Raised when a program needs more than {@link MAX_STACK} bytes of stack. */
export class StackOverflowError extends Error {
  override name = "StackOverflowError";
}

/** Allocator of 8-byte stack slots below a fixed reserved area. */
export class StackFrame {
  #used: number;
  #peak: number;

  /** `reserved` bytes at the top of the frame are kept for fixed slots (multiple of 8). */
  constructor(reserved: number) {
    this.#used = reserved;
    this.#peak = reserved;
  }

  /** Allocate one 8-byte slot; returns its R10-relative (negative) offset. */
  alloc(): number {
    this.#used += 8;
    if (this.#used > MAX_STACK) {
      throw new StackOverflowError(
        `program needs more than ${MAX_STACK} bytes of BPF stack (too many variables or too ` +
          `deeply nested expressions)`,
      );
    }
    if (this.#used > this.#peak) this.#peak = this.#used;
    return -this.#used;
  }

  /**
   * Allocate `size` bytes (rounded up to 8) for a buffer; returns the R10-relative offset of its
   * first (lowest) byte. Throws {@link StackOverflowError} past the limit.
   */
  allocBytes(size: number): number {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`buffer of ${size} bytes`);
    const rounded = Math.ceil(size / 8) * 8;
    this.#used += rounded;
    if (this.#used > MAX_STACK) {
      throw new StackOverflowError(
        `program needs more than ${MAX_STACK} bytes of BPF stack (a ${size}-byte buffer does ` +
          "not fit)",
      );
    }
    if (this.#used > this.#peak) this.#peak = this.#used;
    return -this.#used;
  }

  /** Bytes still free below the current allocation level. */
  get free(): number {
    return MAX_STACK - this.#used;
  }

  /** Current allocation level, to pass to {@link StackFrame.release}. */
  mark(): number {
    return this.#used;
  }

  /** Free every slot allocated since `mark`. */
  release(mark: number): void {
    this.#used = mark;
  }

  /** Most bytes in use at any time so far. */
  get peak(): number {
    return this.#peak;
  }
}
