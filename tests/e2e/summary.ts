/** Parses the closing summary line ghostscope prints on stderr. */
import assert from "node:assert/strict";

/** `ghostscope: N events, 0 lost; stopped: REASON` (or `lost N events (...)`). */
const SUMMARY_RE =
  /^ghostscope: (\d+) events, (?:0 lost|lost (\d+) events(?: \([^)]*\))?); stopped: (.+)$/;

/** What the summary line says. */
export interface Summary {
  events: number;
  lost: number;
  reason: string;
}

/** The summary line of a run's stderr (asserting there is exactly one). */
export function summaryOf(stderr: string): Summary {
  const found = stderr.split("\n").map((l) => l.match(SUMMARY_RE)).filter((m) => m !== null);
  assert.equal(found.length, 1, `expected one summary line on stderr, got:\n${stderr}`);
  const m = found[0]!;
  return { events: Number(m[1]), lost: Number(m[2] ?? 0), reason: m[3] };
}
