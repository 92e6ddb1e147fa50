/**
 * `--ringbuf-size` (and GHOSTSCOPE_RINGBUF_SIZE) outside the one ring-size rule of bpf/maps.ts is
 * a usage error: exit 2 with one line naming the flag, before any kernel object is made. 2^32
 * used to pass the check (its low 32 bits are 0) and fail later in the kernel with exit 1.
 */
import assert from "node:assert/strict";
import { e2eTest, runGhostscope, spawnTarget } from "./harness.ts";

const SCRIPT = 'trace add { print "{}", $pid; }';

e2eTest("ringbuf size: out-of-rule sizes are usage errors (exit 2), one line", async () => {
  const target = await spawnTarget("target", ["20"]);
  const cases: Array<[string[], Record<string, string>, RegExp]> = [
    [["--ringbuf-size", "4294967296"], {}, /--ringbuf-size.*power of two.*got 4294967296$/],
    [["--ringbuf-size", String(2 ** 33)], {}, /--ringbuf-size.*got 8589934592$/],
    [["--ringbuf-size", "5000"], {}, /--ringbuf-size.*power of two.*got 5000$/],
    [["--ringbuf-size", "2048"], {}, /--ringbuf-size.*got 2048$/],
    [[], { GHOSTSCOPE_RINGBUF_SIZE: "4294967296" }, /GHOSTSCOPE_RINGBUF_SIZE.*got 4294967296$/],
  ];
  for (const [flags, env, message] of cases) {
    const res = await runGhostscope(["-p", String(target.pid), "-s", SCRIPT, ...flags], { env });
    const lines = res.stderr.split("\n").filter((l) => l.length > 0);
    const context = `${flags.join(" ")} ${JSON.stringify(env)}: exit ${res.code}\n${res.stderr}`;
    assert.equal(res.code, 2, context);
    assert.equal(lines.length, 1, context);
    assert.match(lines[0], /^ghostscope: /, context);
    assert.match(lines[0], message, context);
    assert.equal(res.stdout, "", context);
  }
}, { root: false });
