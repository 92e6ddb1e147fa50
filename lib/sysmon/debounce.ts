/**
 * Per-key debouncing driven by the caller's clock: `touch` a key on every change, and `due`
 * returns the keys that have been quiet for `quietMs` — or waited `maxWaitMs` since their first
 * touch, so a process that keeps mapping memory is still refreshed. No timers: the poll loop
 * asks.
 * @module
 */

/** Debounces changes per key. */
export class Debouncer<K> {
  readonly #pending = new Map<K, { first: number; last: number }>();

  /**
   * @param quietMs how long a key must stay untouched before it is due
   * @param maxWaitMs upper bound on the delay after the first touch
   */
  constructor(readonly quietMs: number, readonly maxWaitMs: number) {}

  /** Records a change of `key` at `nowMs`. */
  touch(key: K, nowMs: number): void {
    const p = this.#pending.get(key);
    if (p === undefined) this.#pending.set(key, { first: nowMs, last: nowMs });
    else p.last = nowMs;
  }

  /** Forgets `key` (e.g. its process exited). */
  cancel(key: K): void {
    this.#pending.delete(key);
  }

  /** Removes and returns the keys that are due at `nowMs`. */
  due(nowMs: number): K[] {
    const out: K[] = [];
    for (const [key, p] of this.#pending) {
      if (nowMs - p.last >= this.quietMs || nowMs - p.first >= this.maxWaitMs) out.push(key);
    }
    for (const key of out) this.#pending.delete(key);
    return out;
  }

  /** Number of keys waiting. */
  get size(): number {
    return this.#pending.size;
  }
}
