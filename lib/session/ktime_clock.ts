/**
 * Converts bpf_ktime_get_ns() (CLOCK_MONOTONIC) into wall-clock time. The offset between the two
 * clocks is measured once at start; NTP slew during a session is ignored (sub-millisecond).
 */
import { monotonicNs } from "../../ffi/clock.ts";

/** Maps kernel monotonic timestamps to nanoseconds since the epoch. */
export class KtimeClock {
  readonly #offsetNs: bigint;

  constructor() {
    const before = monotonicNs();
    const wall = BigInt(Date.now()) * 1_000_000n;
    const after = monotonicNs();
    this.#offsetNs = wall - (before + after) / 2n;
  }

  /** Wall-clock nanoseconds for a ktime value. */
  wallNs(ktimeNs: bigint): bigint {
    return ktimeNs + this.#offsetNs;
  }
}
