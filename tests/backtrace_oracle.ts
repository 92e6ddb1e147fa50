/**
 * gdb as the oracle of backtrace tests: runs a backtrace fixture under gdb to a stop, and returns
 * gdb's own frames (name, pc, inline) with a snapshot of that stop (registers, stack copy, maps)
 * that ghostscope's unwinder can walk (`tests/fixtures/backtrace/gdb_snapshot.py`). Also parses
 * the frame names out of `bt` text, to compare both.
 * @module
 */
import { FIXTURES_BUILD, REPO_ROOT } from "./e2e/harness.ts";

/** One frame as gdb sees it. */
export interface GdbFrame {
  name: string | null;
  pc: string;
  inline: boolean;
}

/** What {@link gdbStop} returns. */
export interface GdbStop {
  regs: Record<string, string>;
  stack: string;
  maps: string;
  frames: GdbFrame[];
}

/** The backtrace fixture build directory. */
export const BT_BUILD = `${FIXTURES_BUILD}/backtrace`;

/** True when gdb can be run. */
export function haveGdb(): boolean {
  try {
    return new Deno.Command("gdb", { args: ["--version"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

/**
 * Runs `binary args` under gdb, executes `commands` (breakpoints, `run`, `continue`, ...), then
 * snapshots the stop.
 */
export async function gdbStop(
  binary: string,
  args: string[],
  commands: string[],
  env: Record<string, string> = {},
): Promise<GdbStop> {
  const out = await Deno.makeTempFile({ suffix: ".json" });
  try {
    const ex = [
      "set debuginfod enabled off",
      "set pagination off",
      "set breakpoint pending on",
      ...commands,
      `source ${REPO_ROOT}/tests/fixtures/backtrace/gdb_snapshot.py`,
      "kill",
    ].flatMap((c) => ["-ex", c]);
    const r = await new Deno.Command("gdb", {
      args: ["-q", "-batch", "-nx", ...ex, "--args", binary, ...args],
      env: { ...env, GS_SNAPSHOT: out },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = await Deno.readTextFile(out);
    if (text === "") {
      throw new Error(`gdb made no snapshot:\n${new TextDecoder().decode(r.stdout)}`);
    }
    return JSON.parse(text);
  } finally {
    await Deno.remove(out).catch(() => {});
  }
}

/** gdb's function names up to and including `main` (gdb stops there), `*` marking inline. */
export function gdbNames(frames: GdbFrame[]): string[] {
  const out: string[] = [];
  for (const f of frames) {
    out.push(`${f.inline ? "*" : ""}${f.name ?? "??"}`);
    if (f.name === "main") break;
  }
  return out;
}

/**
 * The function names of a `bt` text block (`  #0.inline add3 at ...` → `*add3`), up to and
 * including `main`.
 */
export function btNames(lines: string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    const m = /^\s*#\d+(\.inline)? (\S+?)(\(.*\))? at /.exec(line);
    if (!m) continue;
    out.push(`${m[1] ? "*" : ""}${m[2]}`);
    if (m[2] === "main") break;
  }
  return out;
}
