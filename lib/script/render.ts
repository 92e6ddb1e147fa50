/**
 * Turn a decoded event into the text of its `print` (hot path: the format was precompiled by the
 * checker; rendering is string concatenation).
 * @module
 */

import type { DecodedEvent } from "../../bpf/wire.ts";
import type { BacktraceOptions } from "./ast.ts";
import type { PrintInfo } from "./checker.ts";
import { renderFormat } from "./format.ts";

/**
 * What rendering needs beyond the event (the session's render context): a `bt` event becomes its
 * backtrace's text through the process's modules and symbols.
 */
export interface EventContext {
  /** A `bt` event's backtrace as text lines (header first). */
  backtrace(ev: DecodedEvent, mode: BacktraceOptions): string;
}

/** Render the payload line of an event, e.g. `pid=42 x=0x1f`. */
export function renderEvent(
  script: { readonly prints: readonly PrintInfo[] },
  ev: DecodedEvent,
  ctx?: EventContext,
): string {
  const p = script.prints[ev.printId];
  if (p === undefined) return `<unknown print #${ev.printId} from trace #${ev.traceId}>`;
  if (p.backtrace !== undefined) {
    return ctx?.backtrace(ev, p.backtrace) ?? "backtrace: <no render context>";
  }
  return renderFormat(p.format, ev.values, p.views);
}
