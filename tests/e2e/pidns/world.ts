/**
 * The topology the PID-matrix tests run in: a handful of "environments" (where a process can run:
 * host-like, a container sharing the host PID namespace, private and nested PID namespaces) and
 * long-running copies of the `target` / `threads` fixtures inside them. Built once per test file,
 * shared by every cell of that file, torn down in `finally` by {@link World.destroy}.
 *
 * How (no Docker): each environment has an ANCHOR process (`sleep infinity`) created with the
 * harness's namespace helpers (`unshare --pid --fork --mount-proc`, scripts/fake-container.sh for a
 * private root with or without the container markers). Processes are started INSIDE an environment
 * with `nsenter --target <anchor> [--pid] --mount --root --wd`, so several processes (targets,
 * decoys, ghostscope itself) share one namespace. In a private PID namespace the anchor is PID 1:
 * killing it kills every process of the namespace, nested ones included.
 *
 * Environments (names are used by the cell table, see cells.ts):
 * - `host`: the initial PID namespace, in a private root WITHOUT container markers (this VM's real
 *   / has a /.dockerenv, which would make a "host" look containerized).
 * - `ctr`: the initial PID namespace, in a private root WITH /.dockerenv (a `--pid=host`
 *   container).
 * - `priv`: a private PID namespace with its own /proc (`unshare --pid --fork --mount-proc`).
 * - `nested`: a PID namespace created inside `priv` (a child container).
 * - `twin`: a second, unrelated private PID namespace.
 * - `noproc`: `unshare --pid --fork` WITHOUT --mount-proc: a private PID namespace that still sees
 *   the host's /proc (a fresh one per run; it has no anchor).
 *
 * @module
 */

import {
  fixture,
  ghostscopeArgv,
  type ProcessHandle,
  type RunResult,
  unshareRun,
  unshareSpawn,
} from "../harness.ts";
import {
  commOf,
  descendants,
  type HostFacts,
  hostFacts,
  pollUntil,
  tgidChain,
} from "./host_facts.ts";

/** Names of the environments. */
export type EnvName = "host" | "ctr" | "priv" | "nested" | "twin" | "noproc";

/** Where processes run. */
export interface Env {
  name: EnvName;
  /** Nesting depth of its PID namespace (0 = the initial one). */
  level: number;
  /** Host pid of the anchor (`sleep infinity`); undefined for `noproc`. */
  anchor: number | undefined;
  /** True when the environment has its own PID namespace. */
  privatePidNs: boolean;
  handle: ProcessHandle | undefined;
}

/** Names of the long-running fixture processes. */
export type TargetName =
  | "tHost"
  | "decoyHost"
  | "thrHost"
  | "tCtr"
  | "tPriv"
  | "decoyPriv"
  | "samePriv"
  | "thrPriv"
  | "tNested"
  | "thrNested"
  | "tTwin";

/** A running fixture. */
export interface Target {
  name: TargetName;
  env: Env;
  fixture: "target" | "threads";
  /** What the fixture printed: getpid() in its own namespace. */
  printedPid: number;
  hostPid: number;
  handle: ProcessHandle;
  /** Re-reads the host-side facts (threads may appear after start). */
  facts(): HostFacts;
}

/** Milliseconds between two calls of add() in every fixture. */
export const TARGET_PERIOD_MS = 100;
const ANCHOR = ["sleep", "infinity"];
const SETUP_TIMEOUT_MS = 15_000;

/** Argv that runs `argv` inside `env`. */
export function inEnv(env: Env, argv: string[]): string[] {
  if (env.name === "noproc") return ["unshare", "--pid", "--fork", "--kill-child", ...argv];
  if (env.anchor === undefined) throw new Error(`environment ${env.name} has no anchor`);
  // -r / -w without a value: the anchor's root and working directory (the repository).
  return [
    "nsenter",
    "--target",
    String(env.anchor),
    ...(env.privatePidNs ? ["--pid"] : []),
    "--mount",
    "-r",
    "-w",
    ...argv,
  ];
}

function exited(handle: ProcessHandle): string {
  return `stdout:\n${handle.stdout.text()}\nstderr:\n${handle.stderr.text()}`;
}

/** Finds the anchor (`sleep` at the given namespace depth) below `root`. */
async function findAnchor(root: number, level: number, what: string): Promise<number> {
  const found = await pollUntil(() => {
    for (const pid of descendants(root)) {
      const chain = tgidChain(pid);
      if (commOf(pid) !== "sleep" || chain === null || chain.length !== level + 1) continue;
      if (level > 0 && chain[level] !== 1) continue;
      return pid;
    }
    return null;
  }, SETUP_TIMEOUT_MS);
  if (found === null) throw new Error(`the anchor of ${what} did not start below ${root}`);
  return found;
}

async function makeEnv(name: EnvName, parent?: Env): Promise<Env> {
  if (name === "noproc") {
    return { name, level: 1, anchor: undefined, privatePidNs: true, handle: undefined };
  }
  let handle: ProcessHandle;
  let level: number;
  switch (name) {
    case "host":
      handle = await unshareSpawn(ANCHOR, {
        pidns: 0,
        fakeRoot: { dockerenv: false, containerenv: false },
      });
      level = 0;
      break;
    case "ctr":
      handle = await unshareSpawn(ANCHOR, {
        pidns: 0,
        fakeRoot: { dockerenv: true, containerenv: false },
      });
      level = 0;
      break;
    case "priv":
    case "twin":
      handle = await unshareSpawn(ANCHOR, { pidns: 1 });
      level = 1;
      break;
    case "nested": {
      if (!parent) throw new Error("nested needs a parent environment");
      const argv = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child", ...ANCHOR];
      handle = await unshareSpawn(inEnv(parent, argv), { pidns: 0 });
      level = parent.level + 1;
      break;
    }
  }
  const anchor = await findAnchor(handle.child.pid, level, name).catch(async (e) => {
    await handle.kill(500);
    throw new Error(`${(e as Error).message}\n${exited(handle)}`);
  });
  handle.pid = anchor;
  return { name, level, anchor, privatePidNs: level > 0, handle };
}

/** Writes the PID namespace's ns_last_pid from inside it: the next fork gets `pid + 1` or up. */
async function setLastPid(env: Env, pid: number): Promise<void> {
  const r = await unshareRun(
    inEnv(env, [
      "/bin/sh",
      "-c",
      'echo "$1" > /proc/sys/kernel/ns_last_pid',
      "gs-lastpid",
      `${pid}`,
    ]),
    { pidns: 0 },
    { timeoutMs: SETUP_TIMEOUT_MS },
  );
  if (r.code !== 0) throw new Error(`cannot set ns_last_pid in ${env.name}: ${r.stderr}`);
}

/** Options of {@link spawnIn}. */
interface SpawnInOptions {
  /** Make the fixture get exactly this PID in its namespace (via ns_last_pid). */
  pid?: number;
}

/** Starts a fixture inside `env` and waits for its `pid=N` line and its host pid. */
async function spawnIn(
  env: Env,
  name: TargetName,
  fixtureName: "target" | "threads",
  opts: SpawnInOptions = {},
): Promise<Target> {
  let argv = [fixture(fixtureName), String(TARGET_PERIOD_MS)];
  if (opts.pid !== undefined) {
    // ns_last_pid is per PID namespace (written from inside it): the next fork gets pid + 1.
    // The wrapper shell forks exactly once after the write ("&"), so the fixture gets `pid`.
    argv = [
      "/bin/sh",
      "-c",
      'echo "$1" > /proc/sys/kernel/ns_last_pid || exit 1; shift; "$@" & wait $!',
      "gs-lastpid",
      String(opts.pid - 1),
      ...argv,
    ];
  }
  const handle = await unshareSpawn(inEnv(env, argv), { pidns: 0 });
  let printedPid: number;
  try {
    printedPid = Number((await handle.stdout.waitFor(/^pid=\d+$/, SETUP_TIMEOUT_MS)).slice(4));
  } catch (e) {
    await handle.kill(500);
    throw new Error(
      `${name} in ${env.name} did not start: ${(e as Error).message}\n${exited(handle)}`,
    );
  }
  if (opts.pid !== undefined && printedPid !== opts.pid) {
    await handle.kill(500);
    throw new Error(`${name}: asked for PID ${opts.pid} in ${env.name}, got ${printedPid}`);
  }
  const hostPid = await pollUntil(() => {
    for (const pid of descendants(handle.child.pid)) {
      const chain = tgidChain(pid);
      if (commOf(pid) !== fixtureName || chain === null) continue;
      if (chain.length === env.level + 1 && chain[chain.length - 1] === printedPid) return pid;
    }
    return null;
  }, SETUP_TIMEOUT_MS);
  if (hostPid === null) {
    await handle.kill(500);
    throw new Error(`cannot find the host pid of ${name} (pid ${printedPid} in ${env.name})`);
  }
  handle.pid = hostPid;
  if (fixtureName === "threads") {
    // The fixture prints one line per thread once it runs: wait for all four.
    await handle.stdout.waitFor(/^thread=3 /, SETUP_TIMEOUT_MS);
    await handle.stdout.waitFor(/^thread=0 /, SETUP_TIMEOUT_MS);
  }
  return {
    name,
    env,
    fixture: fixtureName,
    printedPid,
    hostPid,
    handle,
    facts: () => hostFacts(hostPid),
  };
}

/** Every environment and fixture process of one test file. */
export class World {
  readonly envs = new Map<EnvName, Env>();
  readonly targets = new Map<TargetName, Target>();

  env(name: EnvName): Env {
    const env = this.envs.get(name);
    if (!env) throw new Error(`no environment ${name}`);
    return env;
  }

  target(name: TargetName): Target {
    const target = this.targets.get(name);
    if (!target) throw new Error(`no target ${name}`);
    return target;
  }

  async #add(env: Env | Promise<Env>): Promise<Env> {
    const e = await env;
    this.envs.set(e.name, e);
    return e;
  }

  async #spawn(
    env: Env,
    name: TargetName,
    fixtureName: "target" | "threads",
    opts?: SpawnInOptions,
  ): Promise<Target> {
    const target = await spawnIn(env, name, fixtureName, opts);
    this.targets.set(name, target);
    return target;
  }

  /**
   * Builds the topology. Order matters only inside `priv` and `twin`: their first fixture gets
   * PID 2 (both `tPriv` and `tTwin`), and `samePriv` gets, inside `priv`, the number that
   * `decoyHost` has on the host.
   */
  static async build(): Promise<World> {
    const w = new World();
    try {
      const hostSide = (async () => {
        const host = await w.#add(makeEnv("host"));
        await w.#spawn(host, "tHost", "target");
        await w.#spawn(host, "decoyHost", "target");
        await w.#spawn(host, "thrHost", "threads");
      })();
      const ctrSide = (async () => {
        const ctr = await w.#add(makeEnv("ctr"));
        await w.#spawn(ctr, "tCtr", "target");
      })();
      const twinSide = (async () => {
        const twin = await w.#add(makeEnv("twin"));
        await w.#spawn(twin, "tTwin", "target");
      })();
      const privSide = (async () => {
        const priv = await w.#add(makeEnv("priv"));
        await w.#spawn(priv, "tPriv", "target");
        const nested = await w.#add(makeEnv("nested", priv));
        await w.#spawn(nested, "tNested", "target");
        await w.#spawn(nested, "thrNested", "threads");
        await w.#spawn(priv, "decoyPriv", "target");
        await w.#spawn(priv, "thrPriv", "threads");
      })();
      await Promise.all([hostSide, ctrSide, twinSide, privSide]);
      await w.#spawn(w.env("priv"), "samePriv", "target", {
        pid: w.target("decoyHost").hostPid,
      });
      // S7 types tHost's host PID inside priv, so priv must never have that number. Later
      // processes in priv (ghostscope runs, with all their threads) get PIDs counted from here:
      // start them half the PID space away from it (pid_max can be as small as 32768).
      const pidMax = Number(Deno.readTextFileSync("/proc/sys/kernel/pid_max").trim());
      const far = w.target("tHost").hostPid > pidMax / 2 ? 1 : Math.floor(pidMax / 2);
      await setLastPid(w.env("priv"), far);
      w.envs.set("noproc", await makeEnv("noproc"));
      w.#checkLayout();
    } catch (e) {
      await w.destroy();
      throw e;
    }
    return w;
  }

  /** Fails early (with the facts) if the topology is not what the cells assume. */
  #checkLayout(): void {
    const expect = (ok: boolean, what: string) => {
      if (!ok) throw new Error(`test topology: ${what}`);
    };
    const chain = (name: TargetName) => this.target(name).facts().chain;
    expect(chain("tHost").length === 1, "tHost is in the initial PID namespace");
    expect(chain("tCtr").length === 1, "tCtr is in the initial PID namespace");
    expect(chain("tPriv").length === 2 && chain("tPriv")[1] === 2, "tPriv is PID 2 in priv");
    expect(chain("tTwin").length === 2 && chain("tTwin")[1] === 2, "tTwin is PID 2 in twin");
    expect(chain("tNested").length === 3, "tNested is two namespaces below the host");
    expect(
      chain("samePriv")[1] === this.target("decoyHost").hostPid,
      "samePriv's PID in priv is decoyHost's host PID",
    );
    expect(this.target("thrHost").facts().threads.length === 4, "thrHost has 4 threads");
    expect(this.target("thrPriv").facts().threads.length === 4, "thrPriv has 4 threads");
    expect(this.target("thrNested").facts().threads.length === 4, "thrNested has 4 threads");
  }

  /** Kills every fixture and anchor (SIGKILL: PID 1 of a namespace ignores SIGTERM). */
  async destroy(): Promise<void> {
    const handles: ProcessHandle[] = [];
    for (const target of this.targets.values()) handles.push(target.handle);
    for (const env of this.envs.values()) if (env.handle) handles.push(env.handle);
    for (const h of handles) {
      try {
        Deno.kill(h.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await Promise.all(handles.map((h) => h.kill(500).catch(() => undefined)));
  }
}

/** Runs ghostscope (`deno run -A main.ts ...args`) inside `env` to completion. */
export async function ghostscopeIn(
  env: Env,
  args: string[],
  vars: Record<string, string>,
  timeoutMs: number,
): Promise<RunResult> {
  return await unshareRun(inEnv(env, ghostscopeArgv(args)), { pidns: 0 }, {
    env: vars,
    timeoutMs,
  });
}
