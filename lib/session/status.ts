/** Status lines on stderr: progress while attaching and the closing summary. */

/** Writes status lines to stderr unless status output is off. */
export class Status {
  constructor(private readonly enabled: boolean) {}

  /** A status line (suppressed with --no-status). */
  info(text: string): void {
    if (this.enabled) console.error(`ghostscope: ${text}`);
  }

  /** A notice the user must see even with --no-status (e.g. a thread id was resolved). */
  notice(text: string): void {
    console.error(`ghostscope: ${text}`);
  }
}

/** The one-line summary printed when a session ends. */
export function summaryLine(events: number, lost: number, reason: string): string {
  const lostText = lost > 0
    ? `lost ${lost} events (ring buffer full, try a larger --ringbuf-size)`
    : "0 lost";
  return `${events} events, ${lostText}; stopped: ${reason}`;
}
