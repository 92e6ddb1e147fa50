/**
 * Runs a script against the script-language fixture (`tests/fixtures/lang/lang.c`, built by the
 * fixtures Makefile at -O0 / -O2 and DWARF 4 / 5) and returns ghostscope's event lines.
 */
import assert from "node:assert/strict";
import { fixture, spawnTarget, startGhostscope, waitForExit } from "./harness.ts";

/** The four builds of the fixture. */
export const LANG_VARIANTS = ["lang_O0_d5", "lang_O2_d5", "lang_O0_d4", "lang_O2_d4"] as const;

/** What a run printed. */
export interface LangRun {
  code: number;
  /** Event lines (the ready marker and empty lines dropped). */
  lines: string[];
  stderr: string;
}

/**
 * Runs `script` with `-p` on a fresh fixture process of `variant` doing `iterations` calls of
 * lang_probe, and collects up to `events` events.
 */
export async function runLang(
  variant: string,
  script: string,
  events: number,
  iterations = 4,
): Promise<LangRun> {
  const target = await spawnTarget(variant, [String(iterations), "20"], { wait: true });
  const gs = await startGhostscope([
    "-p",
    String(target.pid),
    "--output",
    "plain",
    "--emit-ready-marker",
    "READY",
    "--max-events",
    String(events),
    "-s",
    script,
  ]);
  try {
    await gs.stdout.waitFor("READY", 30_000);
  } catch {
    // exited before it was ready: a rejected script (its stderr says why)
    const r = await waitForExit(gs, 2000);
    return { code: r.code, lines: [], stderr: r.stderr };
  }
  target.go();
  const r = await waitForExit(gs, 20_000);
  const all = r.stdout.split("\n");
  const lines = all.slice(all.indexOf("READY") + 1).filter((l) => l !== "");
  return { code: r.code, lines, stderr: r.stderr };
}

/** Asserts a successful run and returns its lines. */
export async function langLines(
  variant: string,
  script: string,
  events: number,
  iterations = 4,
): Promise<string[]> {
  const r = await runLang(variant, script, events, iterations);
  assert.equal(r.code, 0, `${variant}: ${r.stderr}`);
  return r.lines;
}

/** Ensures the fixture builds exist (make fixtures). */
export function langFixture(variant: string): string {
  return fixture(variant);
}
