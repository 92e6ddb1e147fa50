/**
 * Debug-info discovery on real files: embedded DWARF, `.gnu_debuglink` (module dir, `.debug/`,
 * `<debug dir>/<module dir>/`) with CRC32 verification, build-id trees, `--debug-file`, fake
 * container roots, and what a mismatch or a miss looks like to the user.
 */
import assert from "node:assert/strict";
import {
  DebugFinder,
  DebugInfoLoader,
  type DebugLookup,
  moduleDwarf,
  sessionDebugInfo,
  useDebugInfo,
} from "../lib/debuginfo/mod.ts";
import { UsageError } from "../lib/errors.ts";
import { buildIdPath, linkCrc, moduleAt, place, splitBuild } from "./debuginfo_fixtures.ts";

const A = splitBuild(1);
const B = splitBuild(2); // same program text shape, other code: other build-id and CRC
const NOID = splitBuild(3, { buildId: false });

/** A fresh directory tree for one test. */
function tree(): string {
  return Deno.makeTempDirSync({ prefix: "gs-debuginfo-tree-" });
}

function ok(lookup: DebugLookup): Extract<DebugLookup, { ok: true }> {
  if (!lookup.ok) assert.fail(`expected a debug file, got ${JSON.stringify(lookup)}`);
  return lookup;
}

Deno.test("debuginfo: the builds differ in build-id and debug-file CRC", () => {
  assert.match(A.buildId, /^[0-9a-f]{40}$/);
  assert.notEqual(A.buildId, B.buildId);
  assert.notEqual(linkCrc(A.stripped), linkCrc(B.stripped));
});

Deno.test("debuginfo: embedded .debug_info is used as is", () => {
  const r = ok(new DebugFinder({ debugDirs: [] }).find(moduleAt(A.full)));
  assert.equal(r.file.kind, "embedded");
  assert.equal(r.file.path, A.full);
});

Deno.test("debuginfo: .gnu_debuglink next to the module, in .debug/, under <debug dir>/<dir>/", () => {
  const t = tree();
  const exe = place(A.stripped, `${t}/bin/app`);
  const dbg = `${t}/debug`;
  const finder = () => new DebugFinder({ debugDirs: [dbg] });

  const global = place(A.debug, `${dbg}${t}/bin/prog.debug`);
  assert.deepEqual(
    [ok(finder().find(moduleAt(exe))).file.kind, ok(finder().find(moduleAt(exe))).file.path],
    ["debuglink", global],
  );
  const sub = place(A.debug, `${t}/bin/.debug/prog.debug`);
  assert.equal(ok(finder().find(moduleAt(exe))).file.path, sub);
  const same = place(A.debug, `${t}/bin/prog.debug`);
  assert.equal(ok(finder().find(moduleAt(exe))).file.path, same);
});

Deno.test("debuginfo: a debuglink CRC mismatch is refused, naming both CRCs", () => {
  const t = tree();
  const exe = place(A.stripped, `${t}/bin/app`);
  const wrong = place(B.debug, `${t}/bin/prog.debug`); // B's debug file under A's link name
  const r = new DebugFinder({ debugDirs: [] }).find(moduleAt(exe));
  assert.ok(!r.ok && r.reason === "mismatch", JSON.stringify(r));
  assert.deepEqual(r.mismatches[0], {
    kind: "crc",
    path: wrong,
    expected: linkCrc(A.stripped),
    actual: linkCrc(B.stripped),
  });
  const loader = new DebugInfoLoader({ debugDirs: [] });
  assert.throws(() => loader.dwarfFor(moduleAt(exe), "trace prog.c:5"), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.match(e.message, /^trace prog\.c:5: debug file .*prog\.debug does not match/);
    assert.ok(e.message.includes(linkCrc(A.stripped)) && e.message.includes(linkCrc(B.stripped)));
    assert.match(e.message, /--allow-debug-mismatch/);
    assert.ok(!e.message.includes("\n"));
    return true;
  });
  // Function targets have an ELF fallback, but a mismatched file is still refused, not ignored.
  assert.throws(() => loader.optionalDwarf(moduleAt(exe)), UsageError);
});

Deno.test("debuginfo: --allow-debug-mismatch uses the mismatched file, with a notice", () => {
  const t = tree();
  const exe = place(A.stripped, `${t}/bin/app`);
  place(B.debug, `${t}/bin/prog.debug`);
  const notices: string[] = [];
  const loader = new DebugInfoLoader({
    debugDirs: [],
    allowMismatch: true,
    notice: (n) => notices.push(n),
  });
  const r = loader.load(moduleAt(exe));
  assert.ok(r.ok);
  assert.equal(r.info.file.mismatch?.kind, "crc");
  assert.equal(notices.length, 1);
  assert.match(notices[0], /despite a \.gnu_debuglink CRC32 mismatch/);
  assert.ok(r.info.dwarf.findFunction("work").ok);
});

Deno.test("debuginfo: a matching file wins over a mismatched one found earlier", () => {
  const t = tree();
  const exe = place(A.stripped, `${t}/bin/app`);
  place(B.debug, `${t}/bin/prog.debug`); // first candidate: wrong CRC
  const good = place(A.debug, `${t}/bin/.debug/prog.debug`);
  assert.equal(ok(new DebugFinder({ debugDirs: [] }).find(moduleAt(exe))).file.path, good);
});

Deno.test("debuginfo: build-id tree, verified", () => {
  const t = tree();
  const exe = place(A.strippedNoLink, `${t}/bin/app`);
  const dbg = `${t}/debug`;
  const at = place(A.debug, buildIdPath(dbg, A.buildId));
  const r = ok(new DebugFinder({ debugDirs: [dbg] }).find(moduleAt(exe)));
  assert.deepEqual([r.file.kind, r.file.path], ["build-id", at]);

  // Another build's debug file under A's build-id: refused, naming both build-ids.
  const t2 = tree();
  const exe2 = place(A.strippedNoLink, `${t2}/bin/app`);
  place(B.debug, buildIdPath(`${t2}/debug`, A.buildId));
  const loader = new DebugInfoLoader({ debugDirs: [`${t2}/debug`] });
  assert.throws(() => loader.dwarfFor(moduleAt(exe2)), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.ok(e.message.includes(`build-id ${A.buildId} expected, the file has ${B.buildId}`));
    return true;
  });
  const allowed = new DebugInfoLoader({ debugDirs: [`${t2}/debug`], allowMismatch: true });
  assert.ok(allowed.load(moduleAt(exe2)).ok);
});

Deno.test("debuginfo: nothing found is a message naming what is missing and how to get it", () => {
  const t = tree();
  const exe = place(A.strippedNoLink, `${t}/bin/app`);
  const loader = new DebugInfoLoader({ debugDirs: [`${t}/debug`] });
  const r = loader.load(moduleAt(exe));
  assert.ok(!r.ok && r.reason === "missing");
  assert.equal(r.buildId, A.buildId);
  assert.throws(() => loader.dwarfFor(moduleAt(exe)), (e: unknown) => {
    assert.ok(e instanceof UsageError);
    assert.equal(
      e.message,
      `no DWARF debug info for ${exe} (no .debug_info, no .gnu_debuglink, build-id ` +
        `${A.buildId} not under .build-id/): install its -dbgsym/-dbg package, rebuild it ` +
        "with -g, or give --debug-file PATH",
    );
    return true;
  });
  assert.equal(loader.optionalDwarf(moduleAt(exe)), undefined);

  const linked = place(NOID.stripped, `${t}/bin/other`);
  assert.throws(
    () => loader.dwarfFor(moduleAt(linked), "trace prog.c:4"),
    /^UsageError: trace prog\.c:4: no DWARF debug info for .*other \(no \.debug_info, \.gnu_debuglink prog\.debug not found, no build-id\)/,
  );
});

Deno.test("debuginfo: --debug-file applies to the main module, verified by build-id", () => {
  const t = tree();
  const exe = place(A.strippedNoLink, `${t}/bin/app`);
  const lib = place(B.strippedNoLink, `${t}/lib/libb.so`);
  const explicit = place(A.debug, `${t}/elsewhere/renamed.debug`);
  const finder = new DebugFinder({ debugDirs: [], debugFile: explicit });
  const r = ok(finder.find(moduleAt(exe)));
  assert.deepEqual([r.file.kind, r.file.path], ["debug-file", explicit]);
  // A library it does not belong to does not get it.
  const other = finder.find(moduleAt(lib, { main: false }));
  assert.ok(!other.ok && other.reason === "missing");

  // The debug file of a library (same build-id) applies to that library, not to the executable.
  const libDebug = place(B.debug, `${t}/elsewhere/libb.debug`);
  const forLib = new DebugFinder({ debugDirs: [], debugFile: libDebug });
  assert.equal(ok(forLib.find(moduleAt(lib, { main: false }))).file.path, libDebug);
  const main = forLib.find(moduleAt(exe));
  assert.ok(!main.ok && main.reason === "mismatch");
  assert.deepEqual(main.mismatches[0], {
    kind: "build-id",
    path: libDebug,
    expected: A.buildId,
    actual: B.buildId,
  });
  const allowed = new DebugFinder({ debugDirs: [], debugFile: libDebug, allowMismatch: true });
  assert.equal(ok(allowed.find(moduleAt(exe))).file.mismatch?.kind, "build-id");

  assert.throws(
    () => new DebugFinder({ debugFile: `${t}/nope.debug` }).find(moduleAt(exe)),
    /--debug-file .*nope\.debug: .*no such file/,
  );
});

Deno.test("debuginfo: --debug-file without build-ids is checked against the debuglink CRC", () => {
  const t = tree();
  const exe = place(NOID.stripped, `${t}/bin/app`);
  const good = new DebugFinder({ debugDirs: [], debugFile: NOID.debug }).find(moduleAt(exe));
  assert.equal(ok(good).file.kind, "debug-file");
  const bad = new DebugFinder({ debugDirs: [], debugFile: A.debug }).find(moduleAt(exe));
  assert.ok(!bad.ok && bad.reason === "mismatch" && bad.mismatches[0].kind === "crc");
});

Deno.test("debuginfo: a module in another mount namespace: its root first, then the host", () => {
  const hostDebug = `${tree()}/usr/lib/debug`;
  const root = tree();
  place(A.strippedNoLink, `${root}/app/bin/app`);
  const m = () => moduleAt("/app/bin/app", { root });
  const finder = () => new DebugFinder({ debugDirs: [hostDebug] });

  // Only on the host.
  const onHost = place(A.debug, buildIdPath(hostDebug, A.buildId));
  assert.equal(ok(finder().find(m())).file.path, onHost);
  // In the container too: the container's copy wins.
  const inRoot = place(A.debug, buildIdPath(root + hostDebug, A.buildId));
  assert.equal(ok(finder().find(m())).file.path, inRoot);
  // A wrong file in the container does not hide the host's good one.
  place(B.debug, inRoot);
  assert.equal(ok(finder().find(m())).file.path, onHost);

  // Debuglink: the module's directory inside the container.
  const linked = tree();
  place(A.stripped, `${linked}/srv/app`);
  const inDir = place(A.debug, `${linked}/srv/prog.debug`);
  const r = new DebugFinder({ debugDirs: [] }).find(moduleAt("/srv/app", { root: linked }));
  assert.equal(ok(r).file.path, inDir);
});

Deno.test("debuginfo: absolute symlinks inside a container root resolve inside it", () => {
  const root = tree();
  place(A.strippedNoLink, `${root}/bin/app`);
  const real = place(A.debug, `${root}/usr/lib/debug/real/app.debug`);
  const link = buildIdPath(`${root}/usr/lib/debug`, A.buildId);
  Deno.mkdirSync(link.slice(0, link.lastIndexOf("/")), { recursive: true });
  Deno.symlinkSync("/usr/lib/debug/real/app.debug", link); // absolute, as the container sees it
  const r = new DebugFinder({ debugDirs: ["/usr/lib/debug"] }).find(moduleAt("/bin/app", { root }));
  assert.equal(ok(r).file.path, real);
});

Deno.test("debuginfo: loads once per file, shared by modules of the same file", () => {
  const t = tree();
  const exe = place(A.stripped, `${t}/bin/app`);
  place(A.debug, `${t}/bin/prog.debug`);
  const loader = new DebugInfoLoader({ debugDirs: [] });
  const first = loader.dwarfFor(moduleAt(exe));
  assert.equal(loader.dwarfFor(moduleAt(exe)), first);
  const viaLink = `${t}/bin/app-link`;
  Deno.linkSync(exe, viaLink); // same inode, other name
  assert.equal(loader.dwarfFor(moduleAt(viaLink)), first);
  const q = loader.query(moduleAt(exe), (d) => d.findFunction("work"));
  assert.ok(q.ok && q.value.ok);
  assert.equal(q.info.file.kind, "debuglink");
  assert.ok(q.info.dwarfBytes > 0);
});

Deno.test("debuginfo: the run's loader is shared; moduleDwarf words a miss", () => {
  const t = tree();
  const exe = place(A.strippedNoLink, `${t}/bin/app`);
  const loader = useDebugInfo(new DebugInfoLoader({ debugDirs: [`${t}/debug`] }));
  assert.equal(sessionDebugInfo(), loader);
  const miss = moduleDwarf(moduleAt(exe), "trace x.c:1");
  assert.ok(!miss.ok);
  assert.match(miss.message, /^trace x\.c:1: no DWARF debug info for .*\/app \(no \.debug_info/);
  place(A.debug, buildIdPath(`${t}/debug`, A.buildId));
  const hit = moduleDwarf(moduleAt(A.full));
  assert.ok(hit.ok && hit.dwarf.findFunction("work").ok);
});

Deno.test("debuginfo: a matching candidate without DWARF is named in the message", () => {
  const t = tree();
  const exe = place(A.strippedNoLink, `${t}/bin/app`);
  const empty = place(A.strippedNoLink, buildIdPath(`${t}/debug`, A.buildId)); // same build-id
  const loader = new DebugInfoLoader({ debugDirs: [`${t}/debug`] });
  const r = loader.load(moduleAt(exe));
  assert.ok(!r.ok && r.reason === "missing");
  assert.deepEqual(r.problems, [`${empty} has no .debug_info`]);
  assert.throws(() => loader.dwarfFor(moduleAt(exe)), (e: unknown) => {
    assert.ok(e instanceof UsageError && e.message.includes(`${empty} has no .debug_info`));
    return true;
  });
});
