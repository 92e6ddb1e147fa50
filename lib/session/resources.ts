/**
 * Everything a session puts into the kernel is registered here the moment it exists, so that one
 * call releases it all — on a normal end, Ctrl+C, SIGTERM, an error half-way through attaching, or
 * the target's death. Released in reverse order of acquisition (links before programs before maps).
 */
export class Resources {
  #releases: Array<{ what: string; release: () => void }> = [];

  /** Registers a release action; returns `value` for chaining at the acquisition site. */
  hold<T>(value: T, what: string, release: (value: T) => void): T {
    this.#releases.push({ what, release: () => release(value) });
    return value;
  }

  /** Number of resources currently held. */
  get size(): number {
    return this.#releases.length;
  }

  /**
   * Releases everything, newest first. Keeps going past failures and returns their descriptions,
   * so one stuck fd cannot keep the rest in the kernel. Idempotent.
   */
  releaseAll(): string[] {
    const failures: string[] = [];
    while (this.#releases.length > 0) {
      const { what, release } = this.#releases.pop()!;
      try {
        release();
      } catch (err) {
        failures.push(`${what}: ${(err as Error).message}`);
      }
    }
    return failures;
  }
}
