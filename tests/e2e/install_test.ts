/**
 * `make install PREFIX=...` from a fresh clone puts a working `ghostscope` command on PATH: run
 * from another directory (with a deno.json of its own, which must not matter), `--version` names
 * the embedded libbpf and a short trace of a host process gets its events. The install must not
 * need the clone: it is deleted before the command runs. Root-only (the trace).
 */
import assert from "node:assert/strict";
import { e2eTest, REPO_ROOT, spawnTarget } from "./harness.ts";

const decoder = new TextDecoder();

async function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: Record<string, string> },
) {
  const out = await new Deno.Command(cmd, { args, ...opts, stdin: "null" }).output();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

e2eTest(
  "make install from a fresh clone: `ghostscope` on PATH runs --version and a trace from elsewhere",
  async () => {
    const tmp = await Deno.makeTempDir({ prefix: "gs-install-" });
    try {
      const clone = `${tmp}/clone`;
      const cloned = await run("git", ["clone", "-q", REPO_ROOT, clone], {});
      assert.equal(cloned.code, 0, cloned.stderr);
      // The project's Deno on PATH, so the clone's `make deps` has nothing to install.
      await Deno.mkdir(`${tmp}/tools`);
      await Deno.symlink(Deno.execPath(), `${tmp}/tools/deno`);
      const path = `${tmp}/prefix/bin:${tmp}/tools:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`;
      const env = { PATH: path, DENO: "" };
      const made = await run("make", ["-s", "install", `PREFIX=${tmp}/prefix`], {
        cwd: clone,
        env,
      });
      assert.equal(made.code, 0, `${made.stdout}\n${made.stderr}`);
      assert.match(made.stdout, /^installed .*\/prefix\/bin\/ghostscope/m);
      await Deno.remove(clone, { recursive: true });

      const elsewhere = `${tmp}/elsewhere`;
      await Deno.mkdir(elsewhere);
      await Deno.writeTextFile(
        `${elsewhere}/deno.json`,
        '{ "imports": { "yaml": "./nope.js" } }\n',
      );
      const version = await run("ghostscope", ["--version"], {
        cwd: elsewhere,
        env: { PATH: path },
      });
      assert.equal(version.code, 0, version.stderr);
      assert.match(version.stdout, /^ghostscope \d+\.\d+\.\d+\nlibbpf 1\.\d+ \(embedded: Debian /);

      const target = await spawnTarget("target");
      const script = 'trace add { print "pid={}", $pid; }';
      const traced = await run(
        "ghostscope",
        ["-p", String(target.hostPid), "-s", script, "--max-events", "2"],
        { cwd: elsewhere, env: { PATH: path } },
      );
      assert.equal(traced.code, 0, traced.stderr);
      const events = traced.stdout.split("\n").filter((l) => l.endsWith(` pid=${target.hostPid}`));
      assert.equal(events.length, 2, traced.stdout);
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
);
