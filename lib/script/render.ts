/**
 * Turn a decoded event into the text of its `print` (hot path: the format was precompiled by the
 * checker; rendering is string concatenation).
 * @module
 */

import type { DecodedEvent } from "../../bpf/wire.ts";
import type { PrintInfo } from "./checker.ts";
import { renderFormat } from "./format.ts";

/** Render the payload line of an event, e.g. `pid=42 x=0x1f`. */
export function renderEvent(
  script: { readonly prints: readonly PrintInfo[] },
  ev: DecodedEvent,
): string {
  const p = script.prints[ev.printId];
  if (p === undefined) return `<unknown print #${ev.printId} from trace #${ev.traceId}>`;
  return renderFormat(p.format, ev.values, p.views);
}
