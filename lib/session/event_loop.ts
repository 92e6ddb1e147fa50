/**
 * The event loop: synchronous ring-buffer polls on the main thread (callbacks run inline, which
 * is ~70x faster than thread-safe callbacks), yielding to the JS event loop between polls so that
 * signal listeners and timers still run.
 */
import { StopReason, type StopSignals } from "./stop_signals.ts";

/** What the loop polls and when it stops. */
export interface LoopSource {
  /**
   * Blocks up to `timeoutMs` for a wake-up, then consumes everything available; returns how many
   * events that was.
   */
  pollOnce(timeoutMs: number): number;
  /** Called after each poll; returns a reason to stop, if any. */
  checkStop(): StopReason | undefined;
  /** Called after each poll batch (flush output). */
  afterBatch(): void;
}

/** How long one poll may block: bounds latency of sparse events and of reacting to Ctrl+C. */
export const POLL_TIMEOUT_MS = 20;
/**
 * A poll that found fewer events than this is followed by a short pause rather than the next poll
 * at once: while events keep coming at a rate the reader outpaces, polling again immediately finds
 * a handful each time, and the per-poll costs (syscalls, a write, timers) then dominate the
 * reader's CPU, which on a busy machine is taken from the traced process.
 */
export const SMALL_BATCH = 512;
/** The pause after a small batch (the extra latency of a busy probe's events). */
export const SMALL_BATCH_PAUSE_MS = 2;

/** Runs until a stop condition; returns why it stopped. Drains once more after stopping. */
export async function runEventLoop(
  source: LoopSource,
  signals: StopSignals,
  deadlineMs?: number,
): Promise<StopReason> {
  let reason: StopReason | undefined;
  while (reason === undefined) {
    const delivered = source.pollOnce(POLL_TIMEOUT_MS);
    source.afterBatch();
    reason = signals.reason ?? source.checkStop();
    if (reason === undefined && deadlineMs !== undefined && Date.now() >= deadlineMs) {
      reason = StopReason.Duration;
    }
    // Let signal listeners, timers and child-process promises run.
    const pause = delivered > 0 && delivered < SMALL_BATCH ? SMALL_BATCH_PAUSE_MS : 0;
    await new Promise((resolve) => setTimeout(resolve, pause));
    reason ??= signals.reason;
  }
  if (reason !== StopReason.MaxEvents && reason !== StopReason.OutputClosed) {
    // Events already in the ring when the stop came are still delivered.
    source.pollOnce(0);
    source.afterBatch();
  }
  return reason;
}
