/**
 * Real-world DWARF: tracing libc functions in a running process with Debian's libc6-dbg debug
 * info, found by build-id under /usr/lib/debug/.build-id. The probes go where gdb's `break fopen`
 * goes on libc with that debug file (the DWARF post-prologue address; `fopen` is an ELF alias of
 * `_IO_new_fopen`), and parameters print by name. Root only (skipped visibly otherwise, failing
 * with CI=true); skipped with a message when libc6-dbg is not installed.
 */
import assert from "node:assert/strict";
import { DebugInfoLoader, functionSites, NO_PROGRESS } from "../../lib/debuginfo/mod.ts";
import { openElf } from "../../lib/elf/mod.ts";
import { fileModule } from "../../lib/session/process_modules.ts";
import { e2eTest, runGhostscope, unshareSpawn } from "./harness.ts";
import { gdbBreak, LINES_DIR, run } from "../debuginfo_fixtures.ts";

const LIBC = "/usr/lib/x86_64-linux-gnu/libc.so.6";

/** The libc6-dbg file for this libc, if installed. */
function libcDebugFile(): string | undefined {
  try {
    const id = openElf(LIBC).buildId!;
    const path = `/usr/lib/debug/.build-id/${id.slice(0, 2)}/${id.slice(2)}.debug`;
    return Deno.statSync(path).isFile ? path : undefined;
  } catch {
    return undefined;
  }
}

const DEBUG = libcDebugFile();
if (!DEBUG) {
  console.error("SKIP line_targets_libc: libc6-dbg is not installed (apt install libc6-dbg)");
}

e2eTest("libc: fopen and getaddrinfo at gdb's break addresses, parameters by name", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "gs-libc-calls-" });
  run("gcc", ["-g", "-O0", "-I..", "-o", `${dir}/libc_calls`, "libc_calls.c"], LINES_DIR);
  const h = await unshareSpawn([`${dir}/libc_calls`, "50"], { pidns: 0 });
  await h.stdout.waitFor(/^pid=\d+$/, 10_000);

  const res = await runGhostscope([
    "-p",
    String(h.pid),
    "-s",
    'trace fopen { print "fopen {:s} {:s}", filename, mode; } ' +
    'trace getaddrinfo { print "gai {:s}", name; }',
    "--output",
    "plain",
    "--duration",
    "1.5",
  ]);
  assert.equal(res.code, 0, res.stderr);

  // Where the probes went: "fopen (libc.so.6+0x762d0), getaddrinfo (libc.so.6+0xefc70)".
  const loader = new DebugInfoLoader({ progress: () => NO_PROGRESS });
  const libc = fileModule(LIBC);
  const found = loader.load(libc);
  assert.ok(found.ok && found.info.file.kind === "build-id" && found.info.file.path === DEBUG);
  for (const fn of ["fopen", "getaddrinfo"]) {
    const shown = res.stderr.match(new RegExp(`${fn} \\(libc\\.so\\.6\\+(0x[0-9a-f]+)\\)`));
    assert.ok(shown, res.stderr);
    const attached = parseInt(shown[1], 16);
    assert.deepEqual([attached], gdbBreak(LIBC, fn).addresses, `${fn} vs gdb`);
    const symbol = openElf(LIBC).findFunction(fn)!.value;
    const dwarf = loader.query(libc, (d) => functionSites(d, fn, symbol));
    assert.ok(dwarf.ok && dwarf.value.ok);
    assert.deepEqual(dwarf.value.sites.map((s) => s.address), [attached], `${fn} vs DWARF`);
  }

  const lines = res.stdout.split("\n");
  assert.ok(lines.filter((l) => l === "fopen /etc/hostname r").length >= 5, res.stdout);
  assert.ok(lines.filter((l) => l === "gai 127.0.0.1").length >= 5, res.stdout);
}, { ignore: DEBUG === undefined });
