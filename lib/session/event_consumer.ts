/**
 * Decodes, renders and counts trace events for one session; stops accepting at --max-events.
 * Which PID/TID an event is shown with is the caller's choice (`pid_display.ts` for `-p`, the
 * `-t` session's own mapping), as is anything to learn from each event (`observe`).
 */
import { type DecodedEvent, decodeEvent, decodeEventAt } from "../../bpf/wire.ts";
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

const NO_VALUES: readonly unknown[] = [];

/** Maps an event to the ids it is shown with. */
export type PidDisplay = (event: DecodedEvent) => ShownIds;

/** Turns ring buffer records into output lines. */
export class EventConsumer {
  readonly writer = new LineWriter();
  count = 0;
  readonly #render;
  readonly #clock = new KtimeClock();
  readonly #max: number;
  /** Plain output is the message alone: no ids, clock or value list to compute per event. */
  readonly #plain: boolean;
  /** Only JSON lists the raw values. */
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
    this.#max = settings.maxEvents ?? Infinity;
    this.#plain = settings.output === OutputMode.Plain;
    this.#json = settings.output === OutputMode.Json;
  }

  /** True once --max-events events were written. */
  get limitReached(): boolean {
    return this.count >= this.#max;
  }

  /** The ring buffer callback for a record copied out of the ring. */
  onSample(bytes: Uint8Array): void {
    if (this.count >= this.#max) return;
    this.#emit(decodeEvent(bytes));
  }

  /** The ring reader's callback: the record is decoded in place (`length` bytes at `offset`). */
  onRecord(bytes: Uint8Array, view: DataView, offset: number, length: number): void {
    if (this.count >= this.#max) return;
    this.#emit(decodeEventAt(bytes, view, offset, length));
  }

  #emit(event: DecodedEvent): void {
    this.observe?.(event);
    const bt = this.compiled.prints[event.printId]?.backtrace;
    const described = bt === undefined ? undefined : this.context?.describe(event, bt, this.#json);
    const text = described?.text ?? renderEvent(this.compiled, event, this.context);
    if (this.#plain) {
      this.writer.line(text);
    } else {
      const shown = this.display(event);
      this.writer.line(this.#render({
        traceId: event.traceId,
        wallNs: this.#clock.wallNs(event.ktimeNs),
        pid: shown.pid,
        tid: shown.tid,
        hostPid: shown.hostPid,
        hostTid: shown.hostTid,
        text,
        values: described === undefined && this.#json
          ? event.values.map((v) => v.value)
          : NO_VALUES,
        backtrace: described?.json,
      }));
    }
    this.count++;
  }
}
