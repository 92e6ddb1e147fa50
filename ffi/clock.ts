/** CLOCK_MONOTONIC, the clock of bpf_ktime_get_ns(), which JS has no direct access to. */
import { libc } from "./libc.ts";

const CLOCK_MONOTONIC = 1;
const timespec = new BigInt64Array(2);
const timespecBytes = new Uint8Array(timespec.buffer);

/** Nanoseconds of CLOCK_MONOTONIC now. */
export function monotonicNs(): bigint {
  if (libc().clock_gettime(CLOCK_MONOTONIC, timespecBytes) !== 0) {
    throw new Error("clock_gettime(CLOCK_MONOTONIC) failed");
  }
  return timespec[0] * 1_000_000_000n + timespec[1];
}
