/**
 * BPF helper function ids (the `imm` of a `call` instruction) and the flag values the
 * programs of this project pass to them. Values mirror `enum bpf_func_id` and the
 * `BPF_RB_*` constants of the kernel UAPI.
 */

/** Helper ids, as numbered in `include/uapi/linux/bpf.h` (`BPF_FUNC_*`). */
export enum BpfHelper {
  /** `void *map_lookup_elem(map, key)`: pointer to the value or NULL. */
  MapLookupElem = 1,
  /** `long map_update_elem(map, key, value, flags)`. */
  MapUpdateElem = 2,
  /** `long map_delete_elem(map, key)`. */
  MapDeleteElem = 3,
  /** `long probe_read(dst, size, unsafe_ptr)` (legacy; prefer the user/kernel variants). */
  ProbeRead = 4,
  /** `u64 ktime_get_ns()`: CLOCK_MONOTONIC nanoseconds. */
  KtimeGetNs = 5,
  /** `u64 get_current_pid_tgid()`: host tgid in the high 32 bits, host tid in the low 32. */
  GetCurrentPidTgid = 14,
  /** `long get_current_comm(buf, size)`. */
  GetCurrentComm = 16,
  /** `long probe_read_user(dst, size, unsafe_ptr)`: 0 or a negative errno. */
  /** `struct task_struct *bpf_get_current_task(void)` (as a plain number). */
  GetCurrentTask = 35,
  ProbeReadUser = 112,
  /** `long probe_read_kernel(dst, size, unsafe_ptr)`. */
  ProbeReadKernel = 113,
  /** `long probe_read_user_str(dst, size, unsafe_ptr)`: length including NUL, or -errno. */
  ProbeReadUserStr = 114,
  /** `long probe_read_kernel_str(dst, size, unsafe_ptr)`. */
  ProbeReadKernelStr = 115,
  /**
   * `long get_ns_current_pid_tgid(dev, ino, struct bpf_pidns_info *nsdata, size)`: 0 and
   * `{pid, tgid}` when the current task's active pid namespace is `(dev, ino)`, else -EINVAL and
   * zeroed output.
   */
  GetNsCurrentPidTgid = 120,
  /** `long ringbuf_output(ringbuf, data, size, flags)`. */
  RingbufOutput = 130,
  /** `void *ringbuf_reserve(ringbuf, size, flags)`: record or NULL. `size` must be constant. */
  RingbufReserve = 131,
  /** `void ringbuf_submit(data, flags)`. */
  RingbufSubmit = 132,
  /** `void ringbuf_discard(data, flags)`. */
  RingbufDiscard = 133,
  /** `u64 ringbuf_query(ringbuf, flags)`: see {@link RingbufQuery}. */
  RingbufQuery = 134,
}

/** Flags of `bpf_ringbuf_submit` / `bpf_ringbuf_output` / `bpf_ringbuf_discard`. */
export enum RingbufFlag {
  /** Let the kernel decide (wake the consumer if it is waiting). */
  Default = 0,
  /** Do not wake the consumer; it will see the record on its next poll. */
  NoWakeup = 1,
  /** Wake the consumer even if it would not be woken otherwise. */
  ForceWakeup = 2,
}

/** What `bpf_ringbuf_query` reports (`BPF_RB_*` query flags). */
export enum RingbufQuery {
  /** Bytes produced and not yet consumed. */
  AvailData = 0,
  /** Size of the ring in bytes. */
  RingSize = 1,
  /** Consumer position. */
  ConsPos = 2,
  /** Producer position. */
  ProdPos = 3,
}

/** Size of `struct bpf_pidns_info { u32 pid; u32 tgid; }`, the 4th argument of helper 120. */
export const PIDNS_INFO_SIZE = 8;
