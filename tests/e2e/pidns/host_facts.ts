/**
 * Facts about processes read from OUTSIDE every test namespace: the test runner's own /proc,
 * which must belong to the initial PID namespace (see {@link runnerInInitialPidNs}). These are
 * the values the PID-matrix tests compare ghostscope's events and plans against; nothing here
 * uses ghostscope's code.
 *
 * Kernel facts used: `NStgid`/`NSpid` in /proc/<pid>/status list the ids from the reader's PID
 * namespace (here: the host's) down to the task's own one; /proc/<pid>/task/<tid> lists every
 * thread; stat() of /proc/<pid>/ns/pid gives the namespace inode.
 *
 * @module
 */

/** Inode of the initial PID namespace (PROC_PID_INIT_INO). */
export const INITIAL_PID_NS_INO = 0xEFFFFFFC;

/** True when the test runner itself is in the initial PID namespace (host ids are readable). */
export function runnerInInitialPidNs(): boolean {
  try {
    return Deno.statSync("/proc/self/ns/pid").ino === INITIAL_PID_NS_INO;
  } catch {
    return false;
  }
}

function readStatus(pid: number | string): string | null {
  try {
    return Deno.readTextFileSync(`/proc/${pid}/status`);
  } catch {
    return null;
  }
}

function field(status: string, key: string): string | undefined {
  return status.match(new RegExp(`^${key}:\\s*(.*)$`, "m"))?.[1];
}

function numbers(text: string | undefined): number[] {
  return (text ?? "").split(/\s+/).filter(Boolean).map(Number);
}

/** `Name:` of a process, or null when it is gone. */
export function commOf(pid: number): string | null {
  const status = readStatus(pid);
  return status === null ? null : field(status, "Name") ?? null;
}

/** The NStgid chain of a process (host TGID first, own-namespace TGID last), or null. */
export function tgidChain(pid: number): number[] | null {
  const status = readStatus(pid);
  if (status === null) return null;
  const chain = numbers(field(status, "NStgid") ?? field(status, "NSpid"));
  return chain.length > 0 ? chain : null;
}

/** Every live process with its parent, from one scan of /proc. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const entry of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(entry.name)) continue;
    const status = readStatus(entry.name);
    if (status !== null) out.set(Number(entry.name), Number(field(status, "PPid")));
  }
  return out;
}

/** `root` and every process below it (host pids), breadth first. */
export function descendants(root: number): number[] {
  const byParent = new Map<number, number[]>();
  for (const [pid, ppid] of parents()) {
    const list = byParent.get(ppid) ?? [];
    list.push(pid);
    byParent.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    out.push(pid);
    queue.push(...(byParent.get(pid) ?? []));
  }
  return out;
}

/** One thread of a target, as the host sees it. */
export interface ThreadFacts {
  /** Host thread id. */
  hostTid: number;
  /** Its NSpid chain (host tid first, tid in the target's own namespace last). */
  chain: number[];
}

/** Everything the assertions need about one target process, read from the host. */
export interface HostFacts {
  hostPid: number;
  /** NStgid chain: index i = the TGID in the namespace i levels below the host's. */
  chain: number[];
  /** The TGID in the target's own (innermost) PID namespace. */
  ownPid: number;
  /** Inode of the target's PID namespace (decimal string, as pid-info --json prints it). */
  nsIno: string;
  threads: ThreadFacts[];
}

/**
 * Reads the facts of a live process.
 *
 * @throws Error when it is gone
 */
export function hostFacts(hostPid: number): HostFacts {
  const chain = tgidChain(hostPid);
  if (chain === null) throw new Error(`process ${hostPid} is gone`);
  const threads: ThreadFacts[] = [];
  for (const entry of Deno.readDirSync(`/proc/${hostPid}/task`)) {
    const status = readStatus(`${hostPid}/task/${entry.name}`);
    if (status === null) continue;
    threads.push({ hostTid: Number(entry.name), chain: numbers(field(status, "NSpid")) });
  }
  threads.sort((a, b) => a.hostTid - b.hostTid);
  return {
    hostPid,
    chain,
    ownPid: chain[chain.length - 1],
    nsIno: String(Deno.statSync(`/proc/${hostPid}/ns/pid`).ino),
    threads,
  };
}

/** Polls `probe` every 20 ms until it returns non-null, or null after `timeoutMs`. */
export async function pollUntil<T>(probe: () => T | null, timeoutMs: number): Promise<T | null> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== null) return value;
    if (Date.now() > end) return null;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
