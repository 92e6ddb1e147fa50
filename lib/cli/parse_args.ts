/**
 * A strict command-line tokenizer with the semantics and messages of `node:util`'s `parseArgs`
 * (`strict: true`, `allowPositionals: true`, string and boolean options, no defaults, no
 * `multiple`). It exists because importing any `node:` module starts Deno's Node compatibility
 * layer, which costs 6-20 ms of start-up; tests/cli_parse_args_test.ts checks it against
 * `node:util` on a corpus of command lines.
 *
 * @module
 */

/** One option: its type and optional one-letter alias. */
export interface OptionSpec {
  type: "string" | "boolean";
  short?: string;
}

/** The parsed command line: option values by long name, then positionals. */
export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Thrown for a malformed command line; `message` is `node:util`'s, word for word. */
export class ParseArgsError extends TypeError {
  constructor(message: string, readonly code: string) {
    super(message);
  }
}

interface OptionToken {
  kind: "option";
  name: string;
  rawName: string;
  value: string | undefined;
  inlineValue: boolean | undefined;
}

type Token = OptionToken | { kind: "positional"; value: string };

/** Parses `args` against `options` like `parseArgs({strict: true, allowPositionals: true})`. */
export function parseCommandLine(
  args: readonly string[],
  options: Readonly<Record<string, OptionSpec>>,
): ParsedArgs {
  const values: Record<string, string | boolean | undefined> = Object.create(null);
  const positionals: string[] = [];
  for (const token of tokenize(args, options)) {
    if (token.kind === "positional") {
      positionals.push(token.value);
      continue;
    }
    checkOptionUsage(token, options);
    checkOptionLikeValue(token);
    if (token.name !== "__proto__") values[token.name] = token.value ?? true;
  }
  return { values, positionals };
}

function own(options: Readonly<Record<string, OptionSpec>>, name: string): OptionSpec | undefined {
  return Object.hasOwn(options, name) ? options[name] : undefined;
}

function longForShort(short: string, options: Readonly<Record<string, OptionSpec>>): string {
  for (const [name, spec] of Object.entries(options)) if (spec.short === short) return name;
  return short;
}

function isString(options: Readonly<Record<string, OptionSpec>>, name: string): boolean {
  return own(options, name)?.type === "string";
}

/** Splits argv into option and positional tokens (never throws; checks come afterwards). */
function tokenize(args: readonly string[], options: Readonly<Record<string, OptionSpec>>): Token[] {
  const tokens: Token[] = [];
  const remaining = [...args];
  while (remaining.length > 0) {
    const arg = remaining.shift()!;
    const next = remaining[0];
    if (arg === "--") {
      for (const rest of remaining) tokens.push({ kind: "positional", value: rest });
      break;
    }
    const short = arg.length >= 2 && arg[0] === "-" && arg[1] !== "-";
    if (short && arg.length === 2) {
      // -f [value]
      const name = longForShort(arg[1], options);
      const value = isString(options, name) && next !== undefined ? remaining.shift() : undefined;
      tokens.push({
        kind: "option",
        name,
        rawName: arg,
        value,
        inlineValue: value === undefined ? undefined : false,
      });
      continue;
    }
    if (short) {
      const name = longForShort(arg[1], options);
      if (!isString(options, name)) {
        // A group -abc expands to -a -b -c; a string option inside it takes the rest: -abfFILE.
        const expanded: string[] = [];
        for (let i = 1; i < arg.length; i++) {
          const inner = longForShort(arg[i], options);
          if (!isString(options, inner) || i === arg.length - 1) {
            expanded.push(`-${arg[i]}`);
          } else {
            expanded.push(`-${arg.slice(i)}`);
            break;
          }
        }
        remaining.unshift(...expanded);
        continue;
      }
      // -fVALUE
      tokens.push({
        kind: "option",
        name,
        rawName: `-${arg[1]}`,
        value: arg.slice(2),
        inlineValue: true,
      });
      continue;
    }
    if (arg.length > 2 && arg.startsWith("--")) {
      const eq = arg.indexOf("=", 3);
      if (eq < 0) {
        // --foo [value]
        const name = arg.slice(2);
        const value = isString(options, name) && next !== undefined ? remaining.shift() : undefined;
        tokens.push({
          kind: "option",
          name,
          rawName: arg,
          value,
          inlineValue: value === undefined ? undefined : false,
        });
      } else {
        // --foo=value
        const name = arg.slice(2, eq);
        tokens.push({
          kind: "option",
          name,
          rawName: `--${name}`,
          value: arg.slice(eq + 1),
          inlineValue: true,
        });
      }
      continue;
    }
    tokens.push({ kind: "positional", value: arg });
  }
  return tokens;
}

function checkOptionUsage(token: OptionToken, options: Readonly<Record<string, OptionSpec>>) {
  const spec = own(options, token.name);
  if (spec === undefined) {
    throw new ParseArgsError(
      `Unknown option '${token.rawName}'. To specify a positional argument starting with a '-', ` +
        `place it at the end of the command after '--', as in '-- ${JSON.stringify(token.rawName)}`,
      "ERR_PARSE_ARGS_UNKNOWN_OPTION",
    );
  }
  const shortAndLong = `${spec.short ? `-${spec.short}, ` : ""}--${token.name}`;
  if (spec.type === "string" && typeof token.value !== "string") {
    throw new ParseArgsError(
      `Option '${shortAndLong} <value>' argument missing`,
      "ERR_PARSE_ARGS_INVALID_OPTION_VALUE",
    );
  }
  if (spec.type === "boolean" && token.value !== undefined) {
    throw new ParseArgsError(
      `Option '${shortAndLong}' does not take an argument`,
      "ERR_PARSE_ARGS_INVALID_OPTION_VALUE",
    );
  }
}

function checkOptionLikeValue(token: OptionToken) {
  const value = token.value;
  if (token.inlineValue || value === undefined || value.length <= 1 || value[0] !== "-") return;
  const example = token.rawName.startsWith("--")
    ? `'${token.rawName}=-XYZ'`
    : `'--${token.name}=-XYZ' or '${token.rawName}-XYZ'`;
  throw new ParseArgsError(
    `Option '${token.rawName}' argument is ambiguous.\n` +
      `Did you forget to specify the option argument for '${token.rawName}'?\n` +
      `To specify an option argument starting with a dash use ${example}.`,
    "ERR_PARSE_ARGS_INVALID_OPTION_VALUE",
  );
}
