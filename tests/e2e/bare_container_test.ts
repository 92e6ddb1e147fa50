/**
 * The droppable artifact in bare containers: a Debian bookworm minbase rootfs (built once by
 * scripts/bare-rootfs.sh, cached outside the repository) holding nothing of ghostscope's but the
 * bundle and Deno, with every libbpf/libelf removed, entered through scripts/bare-container.sh.
 *
 * - `--pid=host`-style (new mount namespace only): trace a host process by its host PID; the
 *   run's /proc/PID/maps shows libbpf, libelf and zlib mapped from memfds, none from a file.
 * - private (new PID and mount namespace): trace a process started inside by the PID seen there;
 *   `$pid` is that PID and `$host_pid` the host's.
 * - without /sys, and `-t` without tracefs: each fails with the one line naming the mount.
 * - `GHOSTSCOPE_LIBBPF` naming a missing file: one line, exit 1.
 * - without /proc: the embedded libraries still load (from a temporary file instead of
 *   /proc/self/fd), and a trace fails with the one line naming /proc (not a Deno panic).
 *
 * Root-only; CI=true runs it (debootstrap comes from scripts/ensure-deps.sh, `make test`'s first
 * step).
 */
import assert from "node:assert/strict";
import {
  e2eTest,
  fixture,
  hostPidOf,
  kernelObjects,
  REPO_ROOT,
  sendSignal,
  spawnTarget,
  unshareRun,
  unshareSpawn,
  waitForExit,
  waitForLine,
  waitNoLeaks,
} from "./harness.ts";

const GS = "/opt/ghostscope/ghostscope.js";
const TARGET = "/opt/fixtures/target";
const SCRIPT = 'trace add { print "pid={} host={}", $pid, $host_pid; }';

interface Artifact {
  rootfs: string;
  bundle: string;
}

let artifact: Promise<Artifact> | undefined;

async function run(cmd: string, args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(cmd, { args, env, cwd: REPO_ROOT, stdin: "null" }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b).trim();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed:\n${text(out.stderr)}\n${text(out.stdout)}`);
  }
  return text(out.stdout);
}

/** The rootfs (built on first use) and a bundle built for this run (not dist/, which is shared). */
function prepare(): Promise<Artifact> {
  artifact ??= (async () => {
    const rootfs = (await run(`${REPO_ROOT}/scripts/bare-rootfs.sh`, [])).split("\n").pop()!;
    const dist = await Deno.makeTempDir({ prefix: "gs-bare-dist-" });
    globalThis.addEventListener("unload", () => Deno.removeSync(dist, { recursive: true }));
    await run(`${REPO_ROOT}/scripts/build.sh`, ["--bundle-only"], { GHOSTSCOPE_DIST: dist });
    return { rootfs, bundle: `${dist}/ghostscope.js` };
  })();
  return artifact;
}

/** scripts/bare-container.sh argv: the bundle, Deno and the target fixture copied in. */
function container(a: Artifact, options: string[], cmd: string[]): string[] {
  return [
    `${REPO_ROOT}/scripts/bare-container.sh`,
    a.rootfs,
    ...options,
    "--copy",
    `${a.bundle}:${GS}`,
    "--copy",
    `${Deno.execPath()}:/usr/local/bin/deno`,
    "--copy",
    `${fixture("target")}:${TARGET}`,
    "--",
    ...cmd,
  ];
}

const ghostscope = (...args: string[]) => ["deno", "run", "-A", GS, ...args];

/** `pid=N host=M` event lines of a run's stdout. */
function events(lines: string[]): Array<{ pid: number; host: number }> {
  return lines.flatMap((line) => {
    const m = / pid=(\d+) host=(\d+)$/.exec(line);
    return m ? [{ pid: Number(m[1]), host: Number(m[2]) }] : [];
  });
}

/** Exactly one stderr line. */
function oneLine(stderr: string): string {
  const lines = stderr.split("\n").filter((l) => l.trim() !== "");
  assert.equal(lines.length, 1, `expected one stderr line, got:\n${stderr}`);
  return lines[0];
}

e2eTest(
  "bare container, --pid=host: traces a host process by its host PID with the embedded libbpf",
  async () => {
    const a = await prepare();
    const target = await spawnTarget("target");
    const before = await kernelObjects();
    const gs = await unshareSpawn(
      container(a, [], ghostscope("-p", String(target.hostPid), "-s", SCRIPT)),
      { pidns: 0 },
    );
    await waitForLine(gs, /^ghostscope: tracing PID /, 20_000, "stderr");
    await gs.stdout.waitFor(/ host=/, 10_000);
    // libbpf and what it needs come from memory (the loader reuses them by soname), not from files.
    const maps = Deno.readTextFileSync(`/proc/${gs.pid}/maps`);
    const mapped = new Set(maps.split("\n").map((l) => l.split(/\s+/).slice(5).join(" ")));
    for (const soname of ["libbpf.so.1", "libelf.so.1", "libz.so.1"]) {
      assert.ok(mapped.has(`/memfd:${soname} (deleted)`), `${soname} not mapped from a memfd`);
    }
    const fromFiles = [...mapped].filter((p) =>
      /\/lib(bpf|elf|z)[.-]/.test(p) && !p.startsWith("/memfd:")
    );
    assert.deepEqual(fromFiles, [], "a library mapped from a file");
    sendSignal(gs, "SIGINT");
    const res = await waitForExit(gs);
    assert.equal(res.code, 0, res.stderr);
    const seen = events(res.stdout.split("\n"));
    assert.ok(seen.length >= 1, res.stdout);
    for (const e of seen) assert.deepEqual(e, { pid: target.hostPid, host: target.hostPid });
    await waitNoLeaks(before);
  },
);

e2eTest(
  "bare container, private PID namespace: traces a process by the PID seen there; $host_pid is the host's",
  async () => {
    const a = await prepare();
    const inner = [
      `${TARGET} >/dev/null & t=$!; echo target=$t`,
      `${ghostscope().join(" ")} -p $t -s '${SCRIPT}' --max-events 3`,
      "echo ghostscope-exit=$?",
    ].join("; ");
    const h = await unshareSpawn(container(a, ["--private-pid"], ["sh", "-c", inner]), {
      pidns: 0,
    });
    const line = await waitForLine(h, /^target=\d+$/, 20_000, "stdout");
    const nsPid = Number(line.slice("target=".length));
    // While the namespace lives: the target's host PID, found from outside.
    let hostPid: number | null = null;
    for (let i = 0; i < 50 && hostPid === null; i++) {
      hostPid = hostPidOf(nsPid, h.pid);
      if (hostPid === null) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(hostPid !== null, `no host PID for ${nsPid}`);
    assert.notEqual(hostPid, nsPid);
    const exit = await waitForLine(h, /^ghostscope-exit=\d+$/, 30_000, "stdout");
    assert.equal(exit, "ghostscope-exit=0", h.stderr.lines.join("\n"));
    const seen = events(h.stdout.lines);
    assert.equal(seen.length, 3, h.stdout.lines.join("\n"));
    for (const e of seen) assert.deepEqual(e, { pid: nsPid, host: hostPid });
    await waitForExit(h);
  },
);

e2eTest(
  "bare container without /sys: one line naming sysfs, not a kernel without uprobes",
  async () => {
    const a = await prepare();
    const target = await spawnTarget("target");
    for (const args of [["-p", String(target.hostPid)], ["-t", TARGET]]) {
      const res = await unshareRun(
        container(a, ["--no-sys"], ghostscope(...args, "-s", SCRIPT)),
        { pidns: 0 },
        { timeoutMs: 30_000 },
      );
      assert.equal(res.code, 1, `${args[0]}: ${res.stderr}`);
      assert.match(
        oneLine(res.stderr),
        /^ghostscope: sysfs is not mounted at \/sys .*-v \/sys:\/sys/,
      );
    }
  },
);

e2eTest("bare container, -t without tracefs: one line naming the tracefs mount", async () => {
  const a = await prepare();
  const res = await unshareRun(
    container(a, ["--no-tracefs"], ghostscope("-t", TARGET, "-s", SCRIPT)),
    { pidns: 0 },
    { timeoutMs: 30_000 },
  );
  assert.equal(res.code, 1, res.stderr);
  assert.match(
    oneLine(res.stderr),
    /^ghostscope: tracefs is not mounted .*mount -t tracefs .*-v \/sys\/kernel\/tracing:\/sys\/kernel\/tracing/,
  );
});

e2eTest(
  "bare container: --version names the embedded libbpf; GHOSTSCOPE_LIBBPF=/missing is one line, exit 1",
  async () => {
    const a = await prepare();
    const version = await unshareRun(container(a, [], ghostscope("--version")), { pidns: 0 });
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^libbpf 1\.\d+ \(embedded: Debian libbpf1 /m);
    const missing = await unshareRun(
      container(a, ["--private-pid"], [
        "env",
        "GHOSTSCOPE_LIBBPF=/usr/lib/libbpf-missing.so",
        ...ghostscope("-p", "1", "-s", SCRIPT),
      ]),
      { pidns: 0 },
    );
    assert.equal(missing.code, 1, missing.stderr);
    assert.equal(
      oneLine(missing.stderr),
      "ghostscope: GHOSTSCOPE_LIBBPF=/usr/lib/libbpf-missing.so: no such file",
    );
  },
);

e2eTest(
  "bare container without /proc: the embedded libbpf loads from a file; a trace names /proc",
  async () => {
    const a = await prepare();
    const inner = `${ghostscope("--version").join(" ")}; ls -A /tmp | wc -l`;
    const version = await unshareRun(container(a, ["--no-proc"], ["sh", "-c", inner]), {
      pidns: 0,
    });
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^libbpf 1\.\d+ \(embedded: Debian libbpf1 /m);
    assert.match(version.stdout, /^0$/m, "the temporary copies were not removed");
    const traced = await unshareRun(
      container(a, ["--no-proc"], ghostscope("-t", TARGET, "-s", SCRIPT)),
      { pidns: 0 },
    );
    assert.equal(traced.code, 1, traced.stderr);
    assert.match(oneLine(traced.stderr), /^ghostscope: \/proc is not mounted: mount it/);
  },
);

e2eTest(
  "bare container with capabilities dropped: one line naming them; the capabilities it names suffice",
  async () => {
    const a = await prepare();
    const target = await spawnTarget("target");
    const args = ["-p", String(target.hostPid), "-s", SCRIPT, "--max-events", "2"];
    const none = await unshareRun(
      container(a, [], ["setpriv", "--bounding-set=-all", ...ghostscope(...args)]),
      { pidns: 0 },
    );
    assert.equal(none.code, 1, none.stderr);
    assert.match(
      oneLine(none.stderr),
      /^ghostscope: root privileges .*CAP_SYS_ADMIN.* --cap-add SYS_ADMIN --cap-add SYS_PTRACE\)$/,
    );
    const named = await unshareRun(
      container(a, [], [
        "setpriv",
        "--bounding-set=-all,+sys_admin,+sys_ptrace",
        ...ghostscope(...args),
      ]),
      { pidns: 0 },
    );
    assert.equal(named.code, 0, named.stderr);
    assert.equal(events(named.stdout.split("\n")).length, 2, named.stdout);
  },
);

e2eTest(
  "bare container with CAP_SYS_ADMIN but not CAP_SYS_PTRACE: a host process needs SYS_PTRACE, said in one line",
  async () => {
    const a = await prepare();
    const target = await spawnTarget("target");
    const res = await unshareRun(
      container(a, [], [
        "setpriv",
        "--bounding-set=-all,+sys_admin",
        ...ghostscope("-p", String(target.hostPid), "-s", SCRIPT),
      ]),
      { pidns: 0 },
    );
    assert.equal(res.code, 1, res.stderr);
    assert.match(
      oneLine(res.stderr),
      /CAP_SYS_PTRACE is needed; in a container, --cap-add SYS_PTRACE\)$/,
    );
  },
);
