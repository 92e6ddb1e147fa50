/**
 * lib/cli/parse_args.ts must behave exactly like node:util's parseArgs (strict, positionals
 * allowed): same values, same positionals, same error messages. Checked on hand-picked command
 * lines and on random ones built from the pieces that matter (dashes, groups, `=`, `--`).
 */
import { parseArgs } from "node:util";
import { assertEquals } from "./assert.ts";
import { type OptionSpec, parseCommandLine } from "../lib/cli/parse_args.ts";

const OPTIONS = {
  pid: { type: "string", short: "p" },
  target: { type: "string", short: "t" },
  script: { type: "string", short: "s" },
  output: { type: "string" },
  "no-status": { type: "boolean" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
} as const satisfies Record<string, OptionSpec>;

type Outcome = { values: Record<string, unknown>; positionals: string[] } | { error: string };

function viaNode(args: string[]): Outcome {
  try {
    const r = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
    return { values: { ...r.values }, positionals: r.positionals };
  } catch (err) {
    return { error: `${(err as Error).name}: ${(err as Error).message}` };
  }
}

function viaOurs(args: string[]): Outcome {
  try {
    const r = parseCommandLine(args, OPTIONS);
    return { values: { ...r.values }, positionals: r.positionals };
  } catch (err) {
    return { error: `${(err as Error).name}: ${(err as Error).message}` };
  }
}

const CASES: string[][] = [
  [],
  ["-p", "42", "-s", "trace f {}"],
  ["--pid", "42", "--script=trace f {}"],
  ["-p42"],
  ["-p", "-3"],
  ["--pid", "-3"],
  ["--pid=-3"],
  ["-p-3"],
  ["-p"],
  ["--pid"],
  ["--output"],
  ["--json=1"],
  ["--json="],
  ["--no-status", "x"],
  ["-hV"],
  ["-hp3"],
  ["-hp", "3"],
  ["-Vh"],
  ["-x"],
  ["-hx"],
  ["--zz=3"],
  ["--zz"],
  ["--", "-p"],
  ["-p", "--"],
  ["--pid", "-"],
  ["-", "x"],
  ["---"],
  ["--=3"],
  ["-h=3"],
  ["--__proto__"],
  ["--constructor"],
  ["-pVALUE", "-h"],
  ["pid-info", "12", "--json"],
  ["-p", "1", "-p", "2"],
  ["--output", "json", "--output=plain"],
  ["-ph"],
  ["-hph"],
  ["--pid=", "x"],
  ["-s", 'trace f { print "-x"; }'],
];

Deno.test("parseCommandLine matches node:util parseArgs on known command lines", () => {
  for (const args of CASES) assertEquals(viaOurs(args), viaNode(args), JSON.stringify(args));
});

Deno.test("parseCommandLine matches node:util parseArgs on random command lines", () => {
  const pieces = [
    "-p",
    "-s",
    "-h",
    "-V",
    "-t",
    "-x",
    "--pid",
    "--json",
    "--help",
    "--output",
    "--no-status",
    "--",
    "-",
    "--x",
    "-hV",
    "-hp",
    "-pV",
    "--pid=",
    "--json=1",
    "=",
    "42",
    "-42",
    "a=b",
    "--output=-",
    "pid-info",
  ];
  let seed = 12345;
  const rand = (n: number) => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  for (let i = 0; i < 5000; i++) {
    const args = Array.from({ length: rand(6) }, () => pieces[rand(pieces.length)]);
    assertEquals(viaOurs(args), viaNode(args), JSON.stringify(args));
  }
});
