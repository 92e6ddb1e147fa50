/**
 * The event loop: synchronous ring-buffer polls on the main thread (callbacks run inline, which
 * is ~70x faster than thread-safe callbacks), yielding to the JS event loop between polls so that
 * signal listeners and timers still run.
 */
import { StopReason, type StopSignals } from "./stop_signals.ts";

/** What the loop polls and when it stops. */
export interface LoopSource {
  /** Blocks up to `timeoutMs` for a wake-up, then consumes everything available. */
  pollOnce(timeoutMs: number): void;
  /** Called after each poll; returns a reason to stop, if any. */
  checkStop(): StopReason | undefined;
  /** Called after each poll batch (flush output). */
  afterBatch(): void;
}

/** How long one poll may block: bounds latency of sparse events and of reacting to Ctrl+C. */
export const POLL_TIMEOUT_MS = 20;

/** Runs until a stop condition; returns why it stopped. Drains once more after stopping. */
export async function runEventLoop(
  source: LoopSource,
  signals: StopSignals,
  deadlineMs?: number,
): Promise<StopReason> {
  let reason: StopReason | undefined;
  while (reason === undefined) {
    source.pollOnce(POLL_TIMEOUT_MS);
    source.afterBatch();
    reason = signals.reason ?? source.checkStop();
    if (reason === undefined && deadlineMs !== undefined && Date.now() >= deadlineMs) {
      reason = StopReason.Duration;
    }
    // Let signal listeners, timers and child-process promises run.
    await new Promise((resolve) => setTimeout(resolve, 0));
    reason ??= signals.reason;
  }
  if (reason !== StopReason.MaxEvents && reason !== StopReason.OutputClosed) {
    // Events already in the ring when the stop came are still delivered.
    source.pollOnce(0);
    source.afterBatch();
  }
  return reason;
}
