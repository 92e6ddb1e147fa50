/**
 * Start-up phase times on stderr when `GHOSTSCOPE_TIMING=1` (bench/startup.ts collects them):
 *
 *   ghostscope timing: <phase> +<ms since the previous mark> at <ms since Deno's time origin> epoch <ms>
 *
 * Off, a mark costs one boolean test.
 * @module
 */

const enabled = (() => {
  try {
    return Deno.env.get("GHOSTSCOPE_TIMING") === "1";
  } catch {
    return false; // no env permission
  }
})();

let previous = 0;

/** Records the end of a start-up phase. */
export function mark(phase: string): void {
  if (!enabled) return;
  const now = performance.now();
  const delta = (now - previous).toFixed(2);
  const epoch = (performance.timeOrigin + now).toFixed(3);
  console.error(`ghostscope timing: ${phase} +${delta} at ${now.toFixed(2)} epoch ${epoch}`);
  previous = now;
}
