/**
 * The kernel-side view of "which task is this": how a trace program decides whether the current
 * task is traced ({@link TaskFilter}) and which pid numbers `$pid`/`$tid` report
 * ({@link PidView}). Policy (which filter to pick) lives in `lib/pid/`; this file only names the
 * shapes the program builders understand.
 * @module
 */

/**
 * A pid namespace as `bpf_get_ns_current_pid_tgid` identifies it: `dev` in the kernel's internal
 * `MKDEV(major, minor) = major << 20 | minor` encoding, `ino` the nsfs inode number.
 */
export type PidNsRef = { dev: bigint; ino: bigint };

/** Which task the program keeps; every other task exits the program immediately. */
export type TaskFilter =
  /** No filter: every task hitting the probe is traced. */
  | { kind: "none" }
  /** Keep tasks whose host tgid (`bpf_get_current_pid_tgid() >> 32`) equals `tgid`. */
  | { kind: "host-tgid"; tgid: number }
  /** Keep tasks whose active pid namespace is `ns` and whose tgid in that namespace is `tgid`. */
  | { kind: "ns-tgid"; ns: PidNsRef; tgid: number }
  /**
   * Keep every task except process `tgid` (host view, or in `ns` when given): ghostscope's own
   * process, so that `-t` on a library ghostscope itself maps (libc) never traces its own calls.
   */
  | { kind: "exclude-tgid"; tgid: number; ns?: PidNsRef };

/** Which pid numbers `$pid` / `$tid` report. */
export type PidView =
  /** Host (initial namespace) numbers from `bpf_get_current_pid_tgid`. */
  | { kind: "host" }
  /** Numbers inside `ns` from `bpf_get_ns_current_pid_tgid`; 0 when the task is not in `ns`. */
  | { kind: "ns"; ns: PidNsRef };

/** True when two namespace references name the same namespace. */
export function sameNs(a: PidNsRef, b: PidNsRef): boolean {
  return a.dev === b.dev && a.ino === b.ino;
}
