/** The tunable settings of a tracing run, their defaults and their validation. */
import { UsageError } from "../errors.ts";
import { DEFAULT_RINGBUF_SIZE, isValidRingbufSize, RINGBUF_SIZE_RULE } from "../../bpf/maps.ts";

/** How events are written to stdout. */
export enum OutputMode {
  Pretty = "pretty",
  Plain = "plain",
  Json = "json",
}

/** Every setting, resolved. */
export interface Settings {
  output: OutputMode;
  /** Stop after this many events (undefined: no limit). */
  maxEvents?: number;
  /** Stop after this many seconds (undefined: until Ctrl+C or the target exits). */
  durationSeconds?: number;
  /** Printed on its own line on stdout once every probe is attached. */
  readyMarker?: string;
  /** Status lines on stderr (attach progress, summary). */
  status: boolean;
  /** Size in bytes of the event ring buffer (a power of two, at least one page). */
  ringbufSize: number;
  /** `-t` follows process lifecycles (exec/fork/exit/mmap) through sysmon. */
  enableSysmonForTarget: boolean;
  /**
   * `--debug-file PATH`: DWARF for the executable (or `-t` target), or for the mapped library
   * whose build-id the file carries.
   */
  debugFile?: string;
  /** Use a separate debug file even when its CRC32 or build-id does not match the module. */
  allowDebugMismatch: boolean;
  /** Frames a `bt` shows at most (1..128). */
  backtraceDepth: number;
}

/** Settings as given by one source (CLI, environment or file): anything may be missing. */
export type PartialSettings = Partial<Settings>;

/** Defaults: the lowest-precedence source. */
export const DEFAULT_SETTINGS: Settings = {
  output: OutputMode.Pretty,
  status: true,
  ringbufSize: DEFAULT_RINGBUF_SIZE,
  enableSysmonForTarget: true,
  allowDebugMismatch: false,
  backtraceDepth: 128,
};

/** Parses an output mode, naming `where` it came from in the error. */
export function parseOutputMode(text: string, where: string): OutputMode {
  const modes = Object.values(OutputMode) as string[];
  if (!modes.includes(text)) {
    throw new UsageError(`${where}: unknown output mode '${text}' (use ${modes.join(", ")})`);
  }
  return text as OutputMode;
}

/** Checks cross-field rules once every source is merged. */
export function validateSettings(settings: Settings, where: (key: keyof Settings) => string) {
  const depth = settings.backtraceDepth;
  if (depth < 1 || depth > 128) {
    throw new UsageError(
      `${where("backtraceDepth")}: backtrace depth must be 1..128, got ${depth}`,
    );
  }
  const size = settings.ringbufSize;
  if (!isValidRingbufSize(size)) {
    throw new UsageError(
      `${where("ringbufSize")}: ring buffer size must be ${RINGBUF_SIZE_RULE}, got ${size}`,
    );
  }
}
