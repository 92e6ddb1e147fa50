/**
 * Error raised when a /proc file does not have the shape the kernel documents. Callers in
 * `lib/pid` translate it into a `RuntimeFailure` (the environment is not what we expect) rather
 * than a `UsageError`.
 *
 * @module
 */

/** A /proc file was readable but its content could not be parsed. */
export class ProcFormatError extends Error {
  override name = "ProcFormatError";

  /**
   * @param path the file that was read
   * @param detail what was wrong with it
   */
  constructor(readonly path: string, detail: string) {
    super(`unexpected content in ${path}: ${detail}`);
  }
}
