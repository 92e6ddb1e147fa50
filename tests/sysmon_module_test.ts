/** `-t PATH` module identification: kinds, identity, cookie, errors. Builds fixtures with gcc. */
import assert from "node:assert/strict";
import { assertEquals, assertThrows } from "./assert.ts";
import { fileIdentity, ModuleKind, openTargetModule } from "../lib/sysmon/module.ts";
import { moduleCookie } from "../lib/sysmon/cookie.ts";
import { UsageError } from "../lib/errors.ts";
import { sysmonFixtures } from "./fixtures/sysmon/build.ts";

Deno.test("sysmon module: executable and shared library", () => {
  const fx = sysmonFixtures();
  const exe = openTargetModule(fx.target);
  assertEquals(exe.kind, ModuleKind.Executable);
  assertEquals(exe.positionIndependent, true);
  assertEquals(exe.identity, fileIdentity(Deno.statSync(fx.target)));
  assert.ok(exe.loads.length >= 2);
  assertEquals(
    exe.cookie,
    moduleCookie({
      buildId: exe.elf.buildId,
      dev: BigInt(Deno.statSync(fx.target).dev),
      ino: exe.identity.ino,
    }),
  );
  const lib = openTargetModule(fx.library);
  assertEquals(lib.kind, ModuleKind.SharedLibrary);
  assert.notEqual(lib.cookie, exe.cookie);
});

Deno.test("sysmon module: relative paths resolve from the working directory", () => {
  const fx = sysmonFixtures();
  const m = openTargetModule("sm_target", fx.dir);
  assertEquals(m.path, fx.target);
});

Deno.test("sysmon module: libc (PT_INTERP and DT_SONAME) is a library", () => {
  const candidates = [
    "/lib/x86_64-linux-gnu/libc.so.6",
    "/usr/lib/x86_64-linux-gnu/libc.so.6",
    "/lib64/libc.so.6",
  ];
  const libc = candidates.find((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });
  if (libc === undefined) return;
  assertEquals(openTargetModule(libc).kind, ModuleKind.SharedLibrary);
});

Deno.test("sysmon module: missing, directory, non-ELF and object files are usage errors", () => {
  const fx = sysmonFixtures();
  assertThrows(() => openTargetModule(`${fx.dir}/nope`), UsageError, "no such file");
  assertThrows(() => openTargetModule(fx.dir), UsageError, "not a regular file");
  const text = `${fx.dir}/notes.txt`;
  Deno.writeTextFileSync(text, "hello");
  assertThrows(() => openTargetModule(text), UsageError);
  const obj = `${fx.dir}/sm_lib.o`;
  const out = new Deno.Command("gcc", {
    args: ["-c", "-o", obj, new URL("./fixtures/sysmon/sm_lib.c", import.meta.url).pathname],
  }).outputSync();
  assert.ok(out.success);
  assertThrows(() => openTargetModule(obj), UsageError, "not an executable or shared library");
});
