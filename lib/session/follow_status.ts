/**
 * The `-t` status line: how many processes are followed, printed as it changes — at most once
 * per interval, so that a storm of short-lived processes does not flood the terminal, and the
 * last count is still shown once things settle (`flush` from the poll loop).
 */

/** Default minimum time between two status lines. */
export const FOLLOW_STATUS_INTERVAL_MS = 1000;

/** Rate-limited "following N processes" lines. */
export class FollowStatus {
  #shown: number | undefined;
  #latest: number | undefined;
  #lastAt = -Infinity;

  /**
   * @param print writes one status line
   * @param modulePath the -t module, named in the line
   * @param intervalMs minimum time between lines
   * @param now clock (injectable for tests)
   */
  constructor(
    private readonly print: (text: string) => void,
    private readonly modulePath: string,
    private readonly intervalMs = FOLLOW_STATUS_INTERVAL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Records a new count; prints it unless a line was printed less than an interval ago. */
  update(count: number): void {
    this.#latest = count;
    this.flush();
  }

  /** Prints the latest count if it was not shown yet and the interval has passed. */
  flush(): void {
    if (this.#latest === undefined || this.#latest === this.#shown) return;
    const now = this.now();
    if (now - this.#lastAt < this.intervalMs) return;
    this.#shown = this.#latest;
    this.#lastAt = now;
    this.print(`following ${followedText(this.#latest)} that map ${this.modulePath}`);
  }
}

/** "1 process", "3 processes". */
export function followedText(n: number): string {
  return `${n} process${n === 1 ? "" : "es"}`;
}
