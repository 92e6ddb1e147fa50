/** Ctrl+C and SIGTERM end the session cleanly instead of killing the process mid-attach. */

/** Why a session stopped, in the words of the summary line. */
export enum StopReason {
  Interrupted = "interrupted",
  Terminated = "terminated",
  MaxEvents = "event limit reached",
  Duration = "duration elapsed",
  TargetExited = "target exited",
  OutputClosed = "output closed",
  AllTargetsGone = "no process maps the target any more",
}

/** Watches SIGINT/SIGTERM; `reason` becomes set when one arrives. */
export class StopSignals {
  reason: StopReason | undefined;
  readonly #listeners: Array<[Deno.Signal, () => void]> = [];

  constructor() {
    this.#listen("SIGINT", StopReason.Interrupted);
    this.#listen("SIGTERM", StopReason.Terminated);
  }

  #listen(signal: Deno.Signal, reason: StopReason) {
    const handler = () => {
      this.reason ??= reason;
    };
    Deno.addSignalListener(signal, handler);
    this.#listeners.push([signal, handler]);
  }

  /** Stops listening; later signals take the default action again. */
  dispose(): void {
    for (const [signal, handler] of this.#listeners) Deno.removeSignalListener(signal, handler);
    this.#listeners.length = 0;
  }
}
