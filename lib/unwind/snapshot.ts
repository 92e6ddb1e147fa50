/**
 * What a backtrace is unwound from: the registers at the probe and a copy of the user stack from
 * rsp upwards (as many bytes as could be read, at most the configured copy size).
 * @module
 */
import type { RegisterSet } from "./registers.ts";

/** Registers plus the bytes `[stackStart, stackStart + stack.length)` of the thread's stack. */
export class StackSnapshot {
  readonly #view: DataView;

  /**
   * @param regs register values at the probe (rip and rsp at least)
   * @param stackStart the address of `stack[0]` (rsp at the probe)
   * @param stack the copied stack bytes
   * @param requested how many bytes the copy asked for (a shorter copy ended at unmapped memory)
   */
  constructor(
    readonly regs: RegisterSet,
    readonly stackStart: number,
    readonly stack: Uint8Array,
    readonly requested = stack.length,
  ) {
    this.#view = new DataView(stack.buffer, stack.byteOffset, stack.byteLength);
  }

  /** The u64 at `addr` (as a Number, see RegisterSet), or undefined outside the copy. */
  readU64(addr: number): number | undefined {
    const off = addr - this.stackStart;
    if (!(off >= 0 && off + 8 <= this.stack.length)) return undefined;
    return this.#view.getUint32(off + 4, true) * 0x1_0000_0000 + this.#view.getUint32(off, true);
  }
}
