/**
 * Decodes, renders and counts trace events for one session; stops accepting at --max-events.
 * Which PID/TID an event is shown with is the caller's choice (`pid_display.ts` for `-p`, the
 * `-t` session's own mapping), as is anything to learn from each event (`observe`).
 */
import { type DecodedEvent, decodeEvent } from "../../bpf/wire.ts";
import { OutputMode, type Settings } from "../config/settings.ts";
import { rendererFor } from "../output/renderers.ts";
import { LineWriter } from "../output/writer.ts";
import {
  type BacktraceOptions,
  type CompiledScript,
  type EventContext,
  renderEvent,
} from "../script/mod.ts";
import { KtimeClock } from "./ktime_clock.ts";
import type { ShownIds } from "./pid_display.ts";

/** Renders a `bt` event (`render_context.ts`). */
export interface BacktraceContext extends EventContext {
  /** Text lines, and the JSON form when `json` (JSON output). */
  describe(
    event: DecodedEvent,
    mode: BacktraceOptions,
    json: boolean,
  ): { text: string; json?: unknown };
}

/** Maps an event to the ids it is shown with. */
export type PidDisplay = (event: DecodedEvent) => ShownIds;

/** Turns ring buffer records into output lines. */
export class EventConsumer {
  readonly writer = new LineWriter();
  count = 0;
  readonly #render;
  readonly #clock = new KtimeClock();
  readonly #max: number;
  readonly #json: boolean;

  /**
   * @param compiled the script the events come from
   * @param settings output mode and event limit
   * @param display which ids each event is shown with
   * @param observe called with every decoded event before it is rendered
   * @param context what rendering needs beyond the event (backtraces), when the script has `bt`
   */
  constructor(
    private readonly compiled: CompiledScript,
    settings: Settings,
    private readonly display: PidDisplay,
    private readonly observe?: (event: DecodedEvent) => void,
    private readonly context?: BacktraceContext,
  ) {
    this.#render = rendererFor(settings.output);
    this.#json = settings.output === OutputMode.Json;
    this.#max = settings.maxEvents ?? Infinity;
  }

  /** True once --max-events events were written. */
  get limitReached(): boolean {
    return this.count >= this.#max;
  }

  /** The ring buffer callback. */
  onSample(bytes: Uint8Array): void {
    if (this.count >= this.#max) return;
    const event = decodeEvent(bytes);
    this.observe?.(event);
    const shown = this.display(event);
    const bt = this.compiled.prints[event.printId]?.backtrace;
    const described = bt === undefined ? undefined : this.context?.describe(event, bt, this.#json);
    this.writer.line(this.#render({
      traceId: event.traceId,
      wallNs: this.#clock.wallNs(event.ktimeNs),
      pid: shown.pid,
      tid: shown.tid,
      hostPid: shown.hostPid,
      hostTid: shown.hostTid,
      text: described?.text ?? renderEvent(this.compiled, event, this.context),
      values: described === undefined ? event.values.map((v) => v.value) : [],
      backtrace: described?.json,
    }));
    this.count++;
  }
}
