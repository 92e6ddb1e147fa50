/**
 * Debug info of a process in another mount namespace: the target runs under a fake container
 * root (scripts/fake-container.sh, in its own PID namespace) whose /usr/lib/debug/.build-id holds
 * the debug file of a stripped binary; the host has none. ghostscope on the host finds it through
 * /proc/PID/root and `trace file.c:LINE` works. Root only (skipped visibly otherwise, failing
 * with CI=true).
 */
import assert from "node:assert/strict";
import { openElf } from "../../lib/elf/mod.ts";
import { e2eTest, runGhostscope, unshareSpawn } from "./harness.ts";
import { buildLines, markerLine, place, run } from "../debuginfo_fixtures.ts";

e2eTest("line targets: debug files inside the target's container root are found", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "gs-lines-ctr-" }); // /tmp is shared with it
  const bin = place(buildLines("O0"), `${dir}/lines`);
  run("objcopy", ["--only-keep-debug", bin, `${dir}/lines.dbg`]);
  run("objcopy", ["--strip-debug", bin]);
  const id = openElf(bin).buildId!;
  const inContainer = `/usr/lib/debug/.build-id/${id.slice(0, 2)}/${id.slice(2)}.debug`;
  let onHost = true;
  try {
    Deno.statSync(inContainer);
  } catch {
    onHost = false;
  }
  assert.ok(!onHost, `${inContainer} must not exist on the host for this test`);

  // Inside the container: put the debug file in its (overlay) /usr/lib/debug, then run.
  const setup = `mkdir -p ${inContainer.slice(0, inContainer.lastIndexOf("/"))} && ` +
    `cp ${dir}/lines.dbg ${inContainer} && exec ${bin} 20`;
  const h = await unshareSpawn(["/bin/sh", "-c", setup], {
    pidns: 1,
    fakeRoot: { dockerenv: true, containerenv: false },
  });
  await h.stdout.waitFor(/^pid=\d+$/, 10_000);

  const line = markerLine("a/helper.c", "helper_a");
  const res = await runGhostscope([
    "-p",
    String(h.pid),
    "-s",
    `trace a/helper.c:${line} { print "helper_a"; }`,
    "--output",
    "plain",
    "--duration",
    "1",
  ]);
  assert.equal(res.code, 0, res.stderr);
  assert.ok(res.stdout.split("\n").filter((l) => l === "helper_a").length >= 5, res.stdout);
});
