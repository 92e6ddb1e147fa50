/**
 * Resolves settings with precedence CLI > environment > config file > defaults.
 *
 * Config file: `--config FILE` (must exist), else `./ghostscope.yaml`, else
 * `~/.config/ghostscope/config.yaml`. Keys are snake_case; an unknown key is an error naming it.
 */
import { isFile } from "../fs_checks.ts";
import { UsageError } from "../errors.ts";
import {
  DEFAULT_SETTINGS,
  parseOutputMode,
  type PartialSettings,
  type Settings,
  validateSettings,
} from "./settings.ts";
import { parseDuration, parsePositiveInt } from "../cli/numbers.ts";

/** One configurable key: its spelling in the file and in the environment, and its parser. */
interface KeySpec {
  setting: keyof Settings;
  file: string;
  env: string;
  /** The command-line flag, named in validation errors of a value given on the command line. */
  flag?: string;
  parse: (raw: unknown, where: string) => Settings[keyof Settings];
}

const KEYS: KeySpec[] = [
  {
    setting: "output",
    file: "output",
    env: "GHOSTSCOPE_OUTPUT",
    parse: (v, w) => parseOutputMode(String(v), w),
  },
  {
    setting: "maxEvents",
    file: "max_events",
    env: "GHOSTSCOPE_MAX_EVENTS",
    parse: (v, w) => parsePositiveInt(String(v), w),
  },
  {
    setting: "durationSeconds",
    file: "duration",
    env: "GHOSTSCOPE_DURATION",
    parse: (v, w) => parseDuration(String(v), w),
  },
  {
    setting: "readyMarker",
    file: "emit_ready_marker",
    env: "GHOSTSCOPE_EMIT_READY_MARKER",
    parse: (v) => String(v),
  },
  { setting: "status", file: "status", env: "GHOSTSCOPE_STATUS", parse: parseBool },
  {
    setting: "ringbufSize",
    file: "ringbuf_size",
    env: "GHOSTSCOPE_RINGBUF_SIZE",
    flag: "--ringbuf-size",
    parse: (v, w) => parsePositiveInt(String(v), w),
  },
  {
    setting: "enableSysmonForTarget",
    file: "enable_sysmon_for_target",
    env: "GHOSTSCOPE_ENABLE_SYSMON_FOR_TARGET",
    parse: parseBool,
  },
  {
    setting: "backtraceDepth",
    file: "backtrace_depth",
    env: "GHOSTSCOPE_BACKTRACE_DEPTH",
    parse: (v, w) => parsePositiveInt(String(v), w),
  },
  {
    setting: "allowDebugMismatch",
    file: "allow_debug_mismatch",
    env: "GHOSTSCOPE_ALLOW_DEBUG_MISMATCH",
    parse: parseBool,
  },
];

/** Where a setting's value came from, for error messages. */
export type SettingSource = "option" | "environment" | "config" | "default";

/** Inputs to {@link loadSettings}; everything injectable for tests. */
export interface LoadOptions {
  cli: PartialSettings;
  configPath?: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
  home?: string;
}

/** The merged settings and the config file that was read, if any. */
export interface LoadedSettings {
  settings: Settings;
  configFile?: string;
}

/** Merges every source into one {@link Settings}; throws {@link UsageError} on bad values. */
export async function loadSettings(opts: LoadOptions): Promise<LoadedSettings> {
  const env = opts.env ?? Deno.env.toObject();
  const configFile = findConfigFile(opts.configPath, opts.cwd ?? Deno.cwd(), opts.home ?? env.HOME);
  const fromFile = configFile ? await readConfigFile(configFile) : {};
  const fromEnv = readEnv(env);
  const settings: Settings = { ...DEFAULT_SETTINGS, ...fromFile, ...fromEnv, ...opts.cli };
  validateSettings(settings, (key) => {
    const spec = KEYS.find((k) => k.setting === key)!;
    if (key in opts.cli) return spec.flag ?? "option";
    if (key in fromEnv) return spec.env;
    if (key in fromFile) return `${configFile}: ${spec.file}`;
    return "default";
  });
  return { settings, configFile };
}

function findConfigFile(explicit: string | undefined, cwd: string, home?: string) {
  if (explicit !== undefined) {
    if (!isFile(explicit)) throw new UsageError(`config file ${explicit} does not exist`);
    return explicit;
  }
  const candidates = [`${cwd}/ghostscope.yaml`];
  if (home) candidates.push(`${home}/.config/ghostscope/config.yaml`);
  return candidates.find(isFile);
}

async function readConfigFile(path: string): Promise<PartialSettings> {
  // The YAML parser costs ~35 ms to load: only pay for it when there is a config file.
  const { parse: parseYaml } = await import("yaml");
  let doc: unknown;
  try {
    doc = parseYaml(Deno.readTextFileSync(path));
  } catch (err) {
    const firstLine = (err as Error).message.split("\n")[0];
    throw new UsageError(`config file ${path}: ${firstLine}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) {
    throw new UsageError(`config file ${path}: expected a mapping of settings`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(doc as Record<string, unknown>)) {
    const spec = KEYS.find((k) => k.file === key);
    if (!spec) {
      const known = KEYS.map((k) => k.file).join(", ");
      throw new UsageError(`config file ${path}: unknown key '${key}' (known keys: ${known})`);
    }
    out[spec.setting] = spec.parse(raw, `config file ${path}: ${key}`);
  }
  return out as PartialSettings;
}

function readEnv(env: Record<string, string | undefined>): PartialSettings {
  const out: Record<string, unknown> = {};
  for (const spec of KEYS) {
    const raw = env[spec.env];
    if (raw !== undefined && raw !== "") out[spec.setting] = spec.parse(raw, spec.env);
  }
  return out as PartialSettings;
}

function parseBool(raw: unknown, where: string): boolean {
  if (typeof raw === "boolean") return raw;
  const text = String(raw).toLowerCase();
  if (["1", "true", "yes", "on"].includes(text)) return true;
  if (["0", "false", "no", "off"].includes(text)) return false;
  throw new UsageError(`${where} expects true or false, got '${raw}'`);
}
