/**
 * "loading debug info for X: 43%…" on stderr while a slow load runs: shown only when stderr is
 * a terminal and the load has already taken longer than a delay (0.5 s), redrawn in place at
 * most every 100 ms, and erased when the load is done.
 * @module
 */

/** Receives the progress of one load. */
export interface ProgressSink {
  /**
   * `fraction` (0..1) of the load is done; `phase` says what is running (`indexing`). `now`
   * shows it at once, before the delay (for a step known to be slow that reports nothing).
   */
  update(fraction: number, phase?: string, now?: boolean): void;
  /** The load is over (successfully or not): erase anything shown. */
  done(): void;
}

/** Makes the sink of a load; `label` names what is loaded (a module path). */
export type ProgressFactory = (label: string) => ProgressSink;

/** Options of {@link terminalProgress}; everything injectable for tests. */
export interface ProgressOptions {
  /** Show nothing before this many milliseconds (default 500). */
  delayMs?: number;
  /** Redraw at most this often (default 100 ms). */
  intervalMs?: number;
  /** Whether to show anything (default: stderr is a terminal). */
  enabled?: boolean;
  /** Where the text goes (default: stderr, synchronously). */
  write?: (text: string) => void;
  /** Clock in milliseconds (default `performance.now`). */
  now?: () => number;
}

/** Does nothing (stderr not a terminal, `--no-status`, tests). */
export const NO_PROGRESS: ProgressSink = { update() {}, done() {} };

const encoder = new TextEncoder();
const ERASE = "\r\x1b[K";

/** A progress line on stderr for loading `label` (see the module comment). */
export function terminalProgress(label: string, opts: ProgressOptions = {}): ProgressSink {
  const enabled = opts.enabled ?? stderrIsTerminal();
  if (!enabled) return NO_PROGRESS;
  const now = opts.now ?? (() => performance.now());
  const write = opts.write ?? ((t: string) => void Deno.stderr.writeSync(encoder.encode(t)));
  const delay = opts.delayMs ?? 500;
  const interval = opts.intervalMs ?? 100;
  const start = now();
  let shown = false;
  let lastDraw = -Infinity;
  let lastText = "";
  return {
    update(fraction, phase, immediately) {
      const t = now();
      if (!immediately && (t - start < delay || t - lastDraw < interval)) return;
      const pct = Math.max(0, Math.min(99, Math.floor(fraction * 100)));
      const text = `loading debug info for ${label}: ${pct}%${phase ? ` (${phase})` : ""}…`;
      if (text === lastText) return;
      write(ERASE + text);
      shown = true;
      lastDraw = t;
      lastText = text;
    },
    done() {
      if (shown) write(ERASE);
      shown = false;
    },
  };
}

function stderrIsTerminal(): boolean {
  try {
    return Deno.stderr.isTerminal();
  } catch {
    return false;
  }
}
