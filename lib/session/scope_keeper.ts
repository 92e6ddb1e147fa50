/**
 * Keeps pid-scoped uprobes on a live thread of the target.
 *
 * A uprobe opened with perf_event_open(pid) follows one *task*; the kernel then fires it for every
 * thread sharing that task's memory. When that task exits while the process lives on (the main
 * thread calls pthread_exit), its memory reference is gone and the uprobe goes silent. The keeper
 * notices (a /proc read every {@link CHECK_INTERVAL_MS}) and names a live thread to re-scope to.
 */
import { parseStat } from "../proc/stat.ts";

/** How often the scoped thread is checked. Events of a thread exit gap this long can be missed. */
export const CHECK_INTERVAL_MS = 200;

/** Tracks which thread of process `pid` the uprobes are scoped to. */
export class ScopeKeeper {
  #scopedTo: number;
  #nextCheck = 0;

  constructor(private readonly pid: number, private readonly procRoot = "/proc") {
    this.#scopedTo = pid;
  }

  /** The thread the uprobes are scoped to now. */
  get scopedTo(): number {
    return this.#scopedTo;
  }

  /** Returns a live thread to re-scope to when the current one is gone, else undefined. */
  check(now = Date.now()): number | undefined {
    if (now < this.#nextCheck) return undefined;
    this.#nextCheck = now + CHECK_INTERVAL_MS;
    if (this.#alive(this.#scopedTo)) return undefined;
    const next = this.#liveThreads().find((tid) => tid !== this.#scopedTo);
    if (next === undefined) return undefined; // the whole process is ending: its pidfd says so
    this.#scopedTo = next;
    return next;
  }

  #alive(tid: number): boolean {
    try {
      const path = `${this.procRoot}/${this.pid}/task/${tid}/stat`;
      const state = parseStat(Deno.readTextFileSync(path), path).state;
      return state !== "Z" && state !== "X";
    } catch {
      return false;
    }
  }

  #liveThreads(): number[] {
    try {
      return [...Deno.readDirSync(`${this.procRoot}/${this.pid}/task`)]
        .map((entry) => Number(entry.name))
        .filter((tid) => this.#alive(tid));
    } catch {
      return [];
    }
  }
}
