/** One decoded, formatted event as the renderers see it. */
export interface EventLine {
  traceId: number;
  /** Wall-clock time of the event in nanoseconds since the epoch. */
  wallNs: bigint;
  /** PID and TID as the user would recognize them (see README: "Which PID is shown"). */
  pid: number;
  tid: number;
  /** Host-view TGID/TID from the kernel (0 when unknowable from this PID namespace). */
  hostPid: number;
  hostTid: number;
  /** The formatted message. */
  text: string;
  /** The argument values in script order. */
  values: readonly unknown[];
  /** A `bt` event's frames (JSON output carries them as an array of objects). */
  backtrace?: unknown;
}
