/**
 * Shared helpers for the end-to-end tests: root gating, fixtures, target processes, running
 * ghostscope, kernel-object leak checks, and PID/mount namespace sandboxes.
 *
 * Conventions the helpers rely on:
 * - Every fixture (tests/fixtures/*.c) prints `pid=<getpid()>` as its first stdout line; with
 *   `GS_FIXTURE_WAIT=1` it then waits for SIGUSR1 (hotloop always waits unless given `nowait`).
 * - ghostscope runs as `deno run -A main.ts ...` from the repository root, unless
 *   `GHOSTSCOPE_BIN` names another entry: a `.js`/`.ts` file (run with `deno run -A`) or an
 *   executable (e.g. `dist/ghostscope`).
 * - ghostscope's kernel objects are named with the prefix `gs_` (BPF program and map names, at
 *   most 15 characters); {@link assertNoLeaks} only looks at objects named like that.
 *
 * Every process started here is registered and killed by {@link cleanupProcesses}, which
 * {@link e2eTest} calls after each test.
 *
 * @module
 */

import { fileURLToPath } from "node:url";

/** Absolute path of the repository root. */
export const REPO_ROOT: string = fileURLToPath(new URL("../../", import.meta.url)).replace(
  /\/$/,
  "",
);
/** Where `make fixtures` puts the built fixtures. */
export const FIXTURES_BUILD: string = `${REPO_ROOT}/tests/fixtures/build`;
/** True when running under CI (env CI=true): root-only tests must not be skipped there. */
export const IN_CI: boolean = (Deno.env.get("CI") ?? "").toLowerCase() === "true";
/** Prefix of ghostscope's BPF program and map names. */
export const GS_PREFIX = "gs_";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

// ---------------------------------------------------------------------------------------------
// Root gating
// ---------------------------------------------------------------------------------------------

/** True when the tests run as root (uid 0). */
export function isRoot(): boolean {
  return Deno.uid() === 0;
}

/**
 * Decides what a root-only test does. Root: run. Not root and CI=true: fail (no silent skip in
 * CI). Otherwise: skip with a visible message. Pure, for unit testing.
 */
export function rootGate(uid: number | null, ci: boolean): "run" | "fail" | "skip" {
  if (uid === 0) return "run";
  return ci ? "fail" : "skip";
}

/**
 * Inside a test: `if (!requireRoot(t)) return;`. Returns true as root. When not root it prints
 * `SKIP <test name>: needs root` on stderr and returns false, except with CI=true where it throws
 * (so CI fails instead of silently skipping). Prefer {@link e2eTest}, which also makes the skip
 * show up as "ignored" in deno's summary.
 */
export function requireRoot(t: Deno.TestContext): boolean {
  const gate = rootGate(Deno.uid(), IN_CI);
  if (gate === "run") return true;
  if (gate === "fail") {
    throw new Error(`${t.name}: needs root (CI=true: root-only tests are not skipped in CI)`);
  }
  console.error(`SKIP ${t.name}: needs root`);
  return false;
}

/** Options of {@link e2eTest}. */
export interface E2eTestOptions {
  /** Needs root (default true). */
  root?: boolean;
  /** Extra reason to ignore the test (shown as "ignored" by deno). */
  ignore?: boolean;
  /** Deno's sanitizers; off by default for e2e tests (they spawn processes and timers). */
  sanitize?: boolean;
  /** Restrict the run to this test (like Deno.test's `only`). */
  only?: boolean;
}

/**
 * Registers an e2e test. Root-only tests are ignored (visibly, "ignored" in the summary, plus a
 * SKIP line) when not root, but run, and therefore fail, when CI=true. After the test every
 * process started by this module is killed.
 */
export function e2eTest(
  name: string,
  fn: (t: Deno.TestContext) => void | Promise<void>,
  opts: E2eTestOptions = {},
): void {
  const needsRoot = opts.root ?? true;
  const gate = needsRoot ? rootGate(Deno.uid(), IN_CI) : "run";
  if (gate === "skip") console.error(`SKIP ${name}: needs root`);
  const sanitize = opts.sanitize ?? false;
  Deno.test({
    name,
    ignore: gate === "skip" || (opts.ignore ?? false),
    only: opts.only ?? false,
    sanitizeOps: sanitize,
    sanitizeResources: sanitize,
    sanitizeExit: true,
    async fn(t) {
      try {
        if (needsRoot && !requireRoot(t)) return;
        await fn(t);
      } finally {
        await cleanupProcesses();
      }
    },
  });
}

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

/** Names of the fixtures built by `make fixtures`. */
export type FixtureName =
  | "demo"
  | "target"
  | "hotloop"
  | "threads"
  | "forker"
  | "wildcard"
  | "returns";

/** Absolute path of a built fixture; runs `make fixtures` first if it is missing. */
export function fixture(name: FixtureName | string): string {
  const path = `${FIXTURES_BUILD}/${name}`;
  if (exists(path)) return path;
  const out = new Deno.Command("make", {
    args: ["-s", "fixtures"],
    cwd: REPO_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  if (!out.success) {
    throw new Error(
      `make fixtures failed (exit ${out.code}):\n${decoder.decode(out.stdout)}${
        decoder.decode(out.stderr)
      }`,
    );
  }
  if (!exists(path)) throw new Error(`fixture ${name} not built by make fixtures (${path})`);
  return path;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------
// Line streams
// ---------------------------------------------------------------------------------------------

/** Collects the lines of a byte stream as they arrive; {@link waitFor} waits for a match. */
export class LineStream {
  /** Every complete line so far (without the newline), plus the last partial line at EOF. */
  readonly lines: string[] = [];
  /** Resolves when the stream has ended. */
  readonly done: Promise<void>;
  #waiters = new Set<() => void>();
  #ended = false;

  constructor(stream: ReadableStream<Uint8Array> | null) {
    this.done = stream ? this.#pump(stream) : Promise.resolve().then(() => {
      this.#ended = true;
    });
  }

  async #pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    const dec = new TextDecoder();
    let partial = "";
    try {
      for await (const chunk of stream) {
        partial += dec.decode(chunk, { stream: true });
        let nl: number;
        let added = false;
        while ((nl = partial.indexOf("\n")) >= 0) {
          this.lines.push(partial.slice(0, nl));
          partial = partial.slice(nl + 1);
          added = true;
        }
        if (added) this.#notify();
      }
    } catch {
      // the stream was cancelled or the process died: keep what we have
    }
    partial += dec.decode();
    if (partial.length > 0) this.lines.push(partial);
    this.#ended = true;
    this.#notify();
  }

  #notify(): void {
    for (const w of [...this.#waiters]) w();
  }

  /** True once the stream has ended. */
  get ended(): boolean {
    return this.#ended;
  }

  /** All lines joined with "\n". */
  text(): string {
    return this.lines.join("\n");
  }

  /**
   * Waits for the first line at index >= `from` that contains `match` (string) or matches it
   * (RegExp). Rejects after `timeoutMs`, or when the stream ends without a match, with an
   * error that quotes the last lines seen.
   */
  waitFor(match: string | RegExp, timeoutMs = 10_000, from = 0): Promise<string> {
    const test = (l: string) => typeof match === "string" ? l.includes(match) : match.test(l);
    return new Promise((resolve, reject) => {
      let index = from;
      const tail = () => this.lines.slice(-10).map((l) => `  | ${l}`).join("\n");
      const timer = setTimeout(
        () =>
          finish(
            new Error(`no line matching ${match} within ${timeoutMs} ms; last lines:\n${tail()}`),
          ),
        timeoutMs,
      );
      const finish = (err: Error | null, line?: string) => {
        this.#waiters.delete(check);
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(line!);
      };
      const check = () => {
        for (; index < this.lines.length; index++) {
          if (test(this.lines[index])) return finish(null, this.lines[index]);
        }
        if (this.#ended) {
          finish(
            new Error(`stream ended without a line matching ${match}; last lines:\n${tail()}`),
          );
        }
      };
      this.#waiters.add(check);
      check();
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Processes
// ---------------------------------------------------------------------------------------------

/** A signal the helpers send. */
export type Signal = Deno.Signal;

/** A running process with streamed output. */
export interface ProcessHandle {
  /** The spawned child (for namespaced runs: the outermost `unshare`). */
  child: Deno.ChildProcess;
  /** Host pid of the real program (inside namespaces: found by walking the process tree). */
  pid: number;
  stdout: LineStream;
  stderr: LineStream;
  /** Resolves with the exit status once the process has exited and both streams ended. */
  status: Promise<Deno.CommandStatus>;
  /** Sends SIGTERM (SIGKILL after `graceMs`, default 2000) and waits for the exit. */
  kill(graceMs?: number): Promise<Deno.CommandStatus>;
}

/** A fixture process (see {@link spawnTarget}). */
export interface TargetHandle extends ProcessHandle {
  /** The pid the fixture printed: its pid in its own PID namespace (= host pid without ns). */
  nsPid: number;
  /** Host pid of the fixture (same as `pid`). */
  hostPid: number;
  /** The fixture's stdout lines (alias of `stdout.lines`, kept live). */
  stdoutLines: string[];
  /** Sends SIGUSR1 (for fixtures started with `wait: true`, and the hotloop). */
  go(): void;
}

/** Result of a finished command. */
export interface RunResult {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
  /** True when the helper had to stop the process because of the timeout. */
  timedOut: boolean;
}

const live = new Set<ProcessHandle>();

/** Kills every process started by this module that is still running. */
export async function cleanupProcesses(): Promise<void> {
  const all = [...live];
  await Promise.all(all.map((h) => h.kill(1000).catch(() => undefined)));
}

interface SpawnOptions {
  cwd?: string;
  env?: Record<string, string>;
  stdin?: string;
  ns?: NsOptions;
  /** Resolves the host pid of the real program: by default the child's pid (or, in a namespace,
   * the innermost non-unshare descendant). */
  hostPid?: (child: Deno.ChildProcess) => Promise<number>;
}

function spawnProcess(cmd: string[], opts: SpawnOptions = {}): {
  child: Deno.ChildProcess;
  stdout: LineStream;
  stderr: LineStream;
} {
  const argv = opts.ns ? unshareArgv(cmd, opts.ns) : cmd;
  const child = new Deno.Command(argv[0], {
    args: argv.slice(1),
    cwd: opts.cwd ?? REPO_ROOT,
    env: opts.env,
    stdin: opts.stdin !== undefined ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.stdin !== undefined) {
    const w = child.stdin.getWriter();
    w.write(encoder.encode(opts.stdin)).then(() => w.close()).catch(() => undefined);
  }
  return { child, stdout: new LineStream(child.stdout), stderr: new LineStream(child.stderr) };
}

function makeHandle(
  child: Deno.ChildProcess,
  stdout: LineStream,
  stderr: LineStream,
  pid: number,
): ProcessHandle {
  let exited = false;
  const status = (async () => {
    const st = await child.status;
    exited = true;
    await Promise.all([stdout.done, stderr.done]);
    return st;
  })();
  const handle: ProcessHandle = {
    child,
    pid,
    stdout,
    stderr,
    status,
    async kill(graceMs = 2000) {
      if (!exited) {
        // In a PID namespace the program may be the namespace's init, which ignores SIGTERM
        // unless it has a handler: SIGKILL follows after the grace period either way. The outer
        // unshare then exits by itself; it is killed too (and --kill-child with it kills the
        // namespace) if it has not after another second.
        trySignal(handle.pid, "SIGTERM");
        const t1 = setTimeout(() => trySignal(handle.pid, "SIGKILL"), graceMs);
        const t2 = setTimeout(() => trySignal(child.pid, "SIGKILL"), graceMs + 1000);
        try {
          await child.status;
        } finally {
          clearTimeout(t1);
          clearTimeout(t2);
        }
      }
      // The program itself (not our child when namespaced) may still be dying.
      await waitUntil(() => isAlive(handle.pid) ? null : true, 2000);
      const st = await status;
      live.delete(handle);
      return st;
    },
  };
  live.add(handle);
  status.then(() => live.delete(handle));
  return handle;
}

function trySignal(pid: number, sig: Deno.Signal): void {
  try {
    Deno.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Options of {@link spawnTarget}. */
export interface TargetOptions {
  /** Run inside new namespaces (see {@link NsOptions}). */
  ns?: NsOptions;
  /** Start paused: the fixture waits for SIGUSR1 ({@link TargetHandle.go}) after its pid line. */
  wait?: boolean;
  env?: Record<string, string>;
  /** How long to wait for the pid line (default 10 s). */
  timeoutMs?: number;
}

/**
 * Starts a fixture (built on demand) and waits for its `pid=N` line. In namespaces, `nsPid` is
 * the printed pid and `hostPid`/`pid` the host pid, found through NSpid.
 */
export async function spawnTarget(
  name: FixtureName | string,
  args: string[] = [],
  opts: TargetOptions = {},
): Promise<TargetHandle> {
  const path = fixture(name);
  const env: Record<string, string> = { ...opts.env };
  if (opts.wait) env.GS_FIXTURE_WAIT = "1";
  const { child, stdout, stderr } = spawnProcess([path, ...args], { ns: opts.ns, env });
  const base = makeHandle(child, stdout, stderr, child.pid);
  let nsPid: number;
  try {
    const line = await stdout.waitFor(/^pid=\d+$/, opts.timeoutMs ?? 10_000);
    nsPid = Number(line.slice(4));
  } catch (e) {
    await base.kill(500);
    throw new Error(`${name} did not print its pid: ${(e as Error).message}\n${stderr.text()}`);
  }
  let hostPid = child.pid;
  if (opts.ns) {
    const found = await waitUntil(() => hostPidOf(nsPid, child.pid), 5000);
    if (found === null) {
      await base.kill(500);
      throw new Error(`cannot find the host pid of ${name} (ns pid ${nsPid}) under ${child.pid}`);
    }
    hostPid = found;
  }
  base.pid = hostPid;
  const handle = Object.assign(base, {
    nsPid,
    hostPid,
    stdoutLines: stdout.lines,
    go: () => trySignal(hostPid, "SIGUSR1"),
  });
  return handle;
}

/** Argv that runs ghostscope with `args`: see the module doc for `GHOSTSCOPE_BIN`. */
export function ghostscopeArgv(args: string[]): string[] {
  const bin = Deno.env.get("GHOSTSCOPE_BIN");
  if (bin && !/\.(js|ts|mjs)$/.test(bin)) return [absolute(bin), ...args];
  return [Deno.execPath(), "run", "-A", absolute(bin ?? "main.ts"), ...args];
}

function absolute(p: string): string {
  return p.startsWith("/") ? p : `${REPO_ROOT}/${p}`;
}

/** Options of {@link runGhostscope} and {@link startGhostscope}. */
export interface GhostscopeOptions {
  /** Kill the run after this long (default 30 s); then `timedOut` is true. */
  timeoutMs?: number;
  /** Text written to ghostscope's stdin (stdin is /dev/null otherwise). */
  stdin?: string;
  env?: Record<string, string>;
  /** Run ghostscope inside new namespaces. */
  ns?: NsOptions;
}

/** Starts ghostscope (`deno run -A main.ts ...args` from the repo root) with streamed output. */
export async function startGhostscope(
  args: string[],
  opts: GhostscopeOptions = {},
): Promise<ProcessHandle> {
  const { child, stdout, stderr } = spawnProcess(ghostscopeArgv(args), {
    ns: opts.ns,
    env: opts.env,
    stdin: opts.stdin,
  });
  const handle = makeHandle(child, stdout, stderr, child.pid);
  if (opts.ns) {
    const inner = await waitUntil(() => innermostDescendant(child.pid, opts.ns?.init), 5000);
    if (inner !== null) handle.pid = inner;
  }
  return handle;
}

/** Runs ghostscope to completion (or until `timeoutMs`) and returns its exit code and output. */
export async function runGhostscope(
  args: string[],
  opts: GhostscopeOptions = {},
): Promise<RunResult> {
  const h = await startGhostscope(args, opts);
  return await finish(h, opts.timeoutMs ?? 30_000);
}

async function finish(h: ProcessHandle, timeoutMs: number): Promise<RunResult> {
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    h.kill(2000).catch(() => undefined);
  }, timeoutMs);
  let st: Deno.CommandStatus;
  try {
    st = await h.status;
  } finally {
    clearTimeout(timer);
  }
  live.delete(h);
  return {
    code: st.code,
    signal: st.signal,
    stdout: h.stdout.text(),
    stderr: h.stderr.text(),
    timedOut,
  };
}

/**
 * Waits for a line containing `text` (or matching a RegExp) on the handle's stdout, stderr or
 * either (default "any"). Rejects after `timeoutMs` quoting the last lines.
 */
export async function waitForLine(
  handle: ProcessHandle,
  text: string | RegExp,
  timeoutMs = 10_000,
  stream: "stdout" | "stderr" | "any" = "any",
): Promise<string> {
  if (stream === "stdout") return await handle.stdout.waitFor(text, timeoutMs);
  if (stream === "stderr") return await handle.stderr.waitFor(text, timeoutMs);
  const a = handle.stdout.waitFor(text, timeoutMs);
  const b = handle.stderr.waitFor(text, timeoutMs);
  a.catch(() => undefined);
  b.catch(() => undefined);
  try {
    return await Promise.any([a, b]);
  } catch {
    throw new Error(
      `no line matching ${text} within ${timeoutMs} ms on stdout or stderr\nstdout:\n${
        handle.stdout.lines.slice(-10).join("\n")
      }\nstderr:\n${handle.stderr.lines.slice(-10).join("\n")}`,
    );
  }
}

/** Sends a signal to the real program (inside namespaces too). */
export function sendSignal(handle: ProcessHandle, sig: "SIGINT" | "SIGTERM" | Deno.Signal): void {
  Deno.kill(handle.pid, sig);
}

/**
 * Waits for a started process to exit (default 15 s, then it is killed and `timedOut` is true)
 * and returns its result, like {@link runGhostscope}.
 */
export async function waitForExit(handle: ProcessHandle, timeoutMs = 15_000): Promise<RunResult> {
  return await finish(handle, timeoutMs);
}

async function waitUntil<T>(probe: () => T | null, timeoutMs: number): Promise<T | null> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v !== null) return v;
    if (Date.now() > end) return null;
    await new Promise((r) => setTimeout(r, 10));
  }
}

// ---------------------------------------------------------------------------------------------
// /proc helpers (host view: the tests run in the initial PID namespace)
// ---------------------------------------------------------------------------------------------

interface ProcInfo {
  pid: number;
  ppid: number;
  nspid: number[];
  name: string;
}

function readProc(pid: number): ProcInfo | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/status`);
  } catch {
    return null;
  }
  const field = (k: string) => text.match(new RegExp(`^${k}:\\s*(.*)$`, "m"))?.[1] ?? "";
  return {
    pid,
    ppid: Number(field("PPid")),
    nspid: field("NSpid").split(/\s+/).filter(Boolean).map(Number),
    name: field("Name"),
  };
}

function allProcs(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const e of Deno.readDirSync("/proc")) {
    if (!/^\d+$/.test(e.name)) continue;
    const p = readProc(Number(e.name));
    if (p) out.push(p);
  }
  return out;
}

/** The NSpid chain of a host pid (host pid first, innermost last), or null if it is gone. */
export function nsPidChain(hostPid: number): number[] | null {
  return readProc(hostPid)?.nspid ?? null;
}

function isDescendant(p: ProcInfo, ancestor: number, byPid: Map<number, ProcInfo>): boolean {
  let cur: ProcInfo | undefined = p;
  for (let depth = 0; cur && depth < 64; depth++) {
    if (cur.pid === ancestor) return true;
    cur = byPid.get(cur.ppid);
  }
  return false;
}

/**
 * Host pid of the process whose innermost pid is `nsPid` and which descends from
 * `ancestorHostPid` (e.g. the `unshare` that created its namespace); null if none.
 */
export function hostPidOf(nsPid: number, ancestorHostPid: number): number | null {
  const procs = allProcs();
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  let best: ProcInfo | null = null;
  for (const p of procs) {
    if (p.nspid.length < 2 || p.nspid[p.nspid.length - 1] !== nsPid) continue;
    // the wrappers of nested namespaces are PID 1 of the outer ones: skip them
    if (p.name === "unshare" || !isDescendant(p, ancestorHostPid, byPid)) continue;
    if (!best || p.nspid.length > best.nspid.length) best = p;
  }
  return best?.pid ?? null;
}

/** True while `pid` exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return stat.slice(stat.lastIndexOf(")") + 2)[0] !== "Z";
  } catch {
    return false;
  }
}

/**
 * The program that a chain of `unshare --fork ... [fake-container.sh] CMD` started under
 * `rootPid` ends up running: the first descendant (or `rootPid` itself) that is not `unshare`
 * (every other wrapper execs, keeping the pid). With `skipInit` (see {@link NsOptions.init}),
 * the first child of that process instead. Null while the chain is still starting.
 */
export function innermostDescendant(rootPid: number, skipInit = false): number | null {
  const procs = allProcs();
  const children = new Map<number, ProcInfo[]>();
  for (const p of procs) {
    const list = children.get(p.ppid) ?? [];
    list.push(p);
    children.set(p.ppid, list);
  }
  let cur = procs.find((p) => p.pid === rootPid);
  for (let depth = 0; cur && depth < 16; depth++) {
    if (cur.name !== "unshare") {
      if (!skipInit) return cur.pid;
      return children.get(cur.pid)?.[0]?.pid ?? null;
    }
    cur = children.get(cur.pid)?.[0];
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Namespaces
// ---------------------------------------------------------------------------------------------

/**
 * Where to run a command. `pidns`: how many nested PID namespaces (each `unshare --pid --fork
 * --mount-proc`; default 1 when `ns` is given, 0 = none). `fakeRoot`: run under
 * scripts/fake-container.sh, a private overlay root in a private mount namespace, with the
 * container markers `/.dockerenv` and `/run/.containerenv` present or absent as asked (the real
 * / is never modified). `init`: keep a shell as PID 1 of the innermost namespace, so the
 * command is not the namespace's init (default false: the command is PID 1).
 */
export interface NsOptions {
  pidns?: number;
  fakeRoot?: { dockerenv: boolean; containerenv: boolean };
  init?: boolean;
}

/** Argv that runs `cmd` inside the namespaces described by `ns`. */
export function unshareArgv(cmd: string[], ns: NsOptions): string[] {
  const depth = ns.pidns ?? 1;
  const argv: string[] = [];
  for (let i = 0; i < depth; i++) {
    argv.push("unshare", "--pid", "--fork", "--mount-proc", "--kill-child");
  }
  if (ns.fakeRoot) {
    const denoDir = Deno.env.get("DENO_DIR") ??
      `${Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME") ?? "/root"}/.cache`}/deno`;
    argv.push(
      `${REPO_ROOT}/scripts/fake-container.sh`,
      ns.fakeRoot.dockerenv ? "--dockerenv" : "--no-dockerenv",
      ns.fakeRoot.containerenv ? "--containerenv" : "--no-containerenv",
      "--bind",
      REPO_ROOT,
      "--cwd",
      REPO_ROOT,
    );
    if (exists(denoDir)) argv.push("--bind", denoDir);
    argv.push("--");
  }
  if (ns.init) argv.push("/bin/sh", "-c", '"$@" & wait $!', "gs-init");
  return [...argv, ...cmd];
}

/** Runs a command to completion inside namespaces (see {@link NsOptions}). */
export async function unshareRun(
  cmd: string[],
  ns: NsOptions = {},
  opts: { timeoutMs?: number; stdin?: string; env?: Record<string, string> } = {},
): Promise<RunResult> {
  const { child, stdout, stderr } = spawnProcess(cmd, { ns, stdin: opts.stdin, env: opts.env });
  const h = makeHandle(child, stdout, stderr, child.pid);
  return await finish(h, opts.timeoutMs ?? 30_000);
}

/** Starts a long-running command inside namespaces; `pid` is the command's host pid. */
export async function unshareSpawn(
  cmd: string[],
  ns: NsOptions = {},
  opts: { stdin?: string; env?: Record<string, string> } = {},
): Promise<ProcessHandle> {
  const { child, stdout, stderr } = spawnProcess(cmd, { ns, stdin: opts.stdin, env: opts.env });
  const h = makeHandle(child, stdout, stderr, child.pid);
  const inner = await waitUntil(() => innermostDescendant(child.pid, ns.init), 5000);
  if (inner !== null) h.pid = inner;
  return h;
}

// ---------------------------------------------------------------------------------------------
// Kernel objects and leaks
// ---------------------------------------------------------------------------------------------

/** A snapshot of the BPF objects and tracefs uprobe events that exist right now. */
export interface KernelObjects {
  progs: Set<number>;
  maps: Set<number>;
  links: Set<number>;
  /** Contents of /sys/kernel/tracing/uprobe_events ("" if tracefs is not mounted). */
  uprobeEvents: string;
  /** prog id -> "name (type)". */
  progNames: Map<number, string>;
  /** map id -> "name (type)". */
  mapNames: Map<number, string>;
  /** link id -> prog id. */
  linkProgs: Map<number, number>;
}

interface BpftoolObject {
  id: number;
  name?: string;
  type?: string;
  prog_id?: number;
}

async function bpftoolList(kind: "prog" | "map" | "link"): Promise<BpftoolObject[]> {
  const out = await new Deno.Command("bpftool", {
    args: ["-j", kind, "show"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`bpftool -j ${kind} show failed: ${decoder.decode(out.stderr).trim()}`);
  }
  const text = decoder.decode(out.stdout).trim();
  return text ? JSON.parse(text) as BpftoolObject[] : [];
}

/** Lists the BPF programs, maps and links (bpftool -j) and the tracefs uprobe events. */
export async function kernelObjects(): Promise<KernelObjects> {
  const [progs, maps, links] = await Promise.all([
    bpftoolList("prog"),
    bpftoolList("map"),
    bpftoolList("link"),
  ]);
  let uprobeEvents = "";
  try {
    uprobeEvents = await Deno.readTextFile("/sys/kernel/tracing/uprobe_events");
  } catch {
    // tracefs not mounted: scripts/ensure-deps.sh mounts it
  }
  return {
    progs: new Set(progs.map((p) => p.id)),
    maps: new Set(maps.map((m) => m.id)),
    links: new Set(links.map((l) => l.id)),
    uprobeEvents,
    progNames: new Map(progs.map((p) => [p.id, `${p.name ?? ""} (${p.type ?? "?"})`])),
    mapNames: new Map(maps.map((m) => [m.id, `${m.name ?? ""} (${m.type ?? "?"})`])),
    linkProgs: new Map(links.map((l) => [l.id, l.prog_id ?? -1])),
  };
}

/**
 * The objects present in `after` but not in `before` that look like ghostscope's: programs and
 * maps whose name starts with `prefix`, links to such programs, and uprobe_events lines that
 * mention `prefix` or "ghostscope". Empty when nothing leaked.
 */
export function leakedObjects(
  before: KernelObjects,
  after: KernelObjects,
  prefix = GS_PREFIX,
): string[] {
  const leaks: string[] = [];
  const ours = (label: string | undefined) => (label ?? "").startsWith(prefix);
  const newProgs = [...after.progs].filter((id) => !before.progs.has(id));
  const ourProgs = new Set(newProgs.filter((id) => ours(after.progNames.get(id))));
  for (const id of ourProgs) leaks.push(`prog ${id} ${after.progNames.get(id)}`);
  for (const id of after.maps) {
    if (!before.maps.has(id) && ours(after.mapNames.get(id))) {
      leaks.push(`map ${id} ${after.mapNames.get(id)}`);
    }
  }
  for (const id of after.links) {
    if (before.links.has(id)) continue;
    const prog = after.linkProgs.get(id) ?? -1;
    if (ourProgs.has(prog) || ours(after.progNames.get(prog))) {
      leaks.push(`link ${id} -> prog ${prog} ${after.progNames.get(prog) ?? ""}`.trimEnd());
    }
  }
  const old = new Set(before.uprobeEvents.split("\n"));
  for (const line of after.uprobeEvents.split("\n")) {
    if (line && !old.has(line) && (line.includes(prefix) || line.includes("ghostscope"))) {
      leaks.push(`uprobe_events: ${line}`);
    }
  }
  return leaks;
}

/** Throws, naming every leaked object, if `after` has ghostscope objects `before` had not. */
export function assertNoLeaks(before: KernelObjects, after: KernelObjects, prefix = GS_PREFIX) {
  const leaks = leakedObjects(before, after, prefix);
  if (leaks.length > 0) {
    throw new Error(`leaked kernel objects (${leaks.length}):\n  ${leaks.join("\n  ")}`);
  }
}

/**
 * Like {@link assertNoLeaks} against a fresh snapshot, retrying for up to `timeoutMs` (default
 * 3 s): the kernel frees programs and maps asynchronously after their last fd is closed.
 */
export async function waitNoLeaks(
  before: KernelObjects,
  timeoutMs = 3000,
  prefix = GS_PREFIX,
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const after = await kernelObjects();
    if (leakedObjects(before, after, prefix).length === 0 || Date.now() > end) {
      assertNoLeaks(before, after, prefix);
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}
