/** The three output modes. Each turns an {@link EventLine} into one line of text. */
import { OutputMode } from "../config/settings.ts";
import type { EventLine } from "./event_line.ts";

/** Renders an event as one line (no newline). */
export type Renderer = (event: EventLine) => string;

/** Returns the renderer for a mode. */
export function rendererFor(mode: OutputMode): Renderer {
  switch (mode) {
    case OutputMode.Pretty:
      return renderPretty;
    case OutputMode.Plain:
      return (event) => event.text;
    case OutputMode.Json:
      return renderJson;
  }
}

/** `[HH:MM:SS.mmmmmm] TraceID:N PID:p TID:t <text>` in local time. */
export function renderPretty(event: EventLine): string {
  return `[${
    clock(event.wallNs)
  }] TraceID:${event.traceId} PID:${event.pid} TID:${event.tid} ${event.text}`;
}

/** One JSON object per line; 64-bit values beyond 2^53 become strings so nothing is rounded. */
export function renderJson(event: EventLine): string {
  return JSON.stringify({
    trace_id: event.traceId,
    timestamp_ns: event.wallNs.toString(),
    pid: event.pid,
    tid: event.tid,
    host_pid: event.hostPid,
    host_tid: event.hostTid,
    message: event.text,
    values: event.values.map(jsonValue),
    ...(event.backtrace === undefined ? {} : { backtrace: event.backtrace }),
  });
}

function jsonValue(value: unknown): unknown {
  if (typeof value === "bigint") {
    return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
      ? Number(value)
      : value.toString();
  }
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonValue(v)]));
  }
  return value;
}

let cachedSecond = -1;
let cachedPrefix = "";

/**
 * Local wall-clock time with microseconds; the H:M:S prefix is cached per second. One BigInt
 * division per event (to microseconds since the epoch, exact as a Number until the year 2255),
 * the rest in Numbers: this runs once per printed event.
 */
function clock(wallNs: bigint): string {
  const micros = Number(wallNs / 1000n);
  const second = Math.floor(micros / 1_000_000);
  if (second !== cachedSecond) {
    const d = new Date(second * 1000);
    cachedSecond = second;
    cachedPrefix = `${pad(d.getHours(), 2)}:${pad(d.getMinutes(), 2)}:${pad(d.getSeconds(), 2)}`;
  }
  return `${cachedPrefix}.${pad(micros - second * 1_000_000, 6)}`;
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, "0");
}
