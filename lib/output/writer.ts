/**
 * Buffered line writer for stdout. Events arrive in bursts of thousands; one write per line would
 * dominate the cost, so lines are batched and flushed after each poll batch or when the buffer
 * fills.
 */

/** A sink that accepts whole lines and writes them in large chunks. */
export class LineWriter {
  #parts: string[] = [];
  #pending = 0;
  #closed = false;
  readonly #encoder = new TextEncoder();

  constructor(
    private readonly file: { writeSync(p: Uint8Array): number } = Deno.stdout,
    private readonly flushAt = 256 * 1024,
  ) {}

  /** True once the reader went away (EPIPE): the session should stop. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Queues one line (without its newline). */
  line(text: string): void {
    this.#parts.push(text);
    this.#pending += text.length + 1;
    if (this.#pending >= this.flushAt) this.flush();
  }

  /** Writes everything queued. A closed pipe marks the writer closed instead of throwing. */
  flush(): void {
    if (this.#parts.length === 0) return;
    const bytes = this.#encoder.encode(this.#parts.join("\n") + "\n");
    this.#parts = [];
    this.#pending = 0;
    if (this.#closed) return;
    try {
      let off = 0;
      while (off < bytes.length) off += this.file.writeSync(bytes.subarray(off));
    } catch (err) {
      if (err instanceof Deno.errors.BrokenPipe) this.#closed = true;
      else throw err;
    }
  }
}
