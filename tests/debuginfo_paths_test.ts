/** Candidate paths for separate debug files, and symlinks resolved inside a container root. */
import assert from "node:assert/strict";
import {
  buildIdPaths,
  debugLinkPaths,
  resolveUnderRoot,
  withRoot,
} from "../lib/debuginfo/paths.ts";

Deno.test("paths: debuglink candidates follow gdb's order", () => {
  assert.deepEqual(debugLinkPaths("/usr/bin/app", "app.debug", ["/usr/lib/debug"]), [
    "/usr/bin/app.debug",
    "/usr/bin/.debug/app.debug",
    "/usr/lib/debug/usr/bin/app.debug",
  ]);
  assert.deepEqual(debugLinkPaths("/app", "a.dbg", []), ["/a.dbg", "/.debug/a.dbg"]);
});

Deno.test("paths: build-id candidates", () => {
  assert.deepEqual(buildIdPaths("93ac61ec", ["/usr/lib/debug", "/opt/dbg"]), [
    "/usr/lib/debug/.build-id/93/ac61ec.debug",
    "/opt/dbg/.build-id/93/ac61ec.debug",
  ]);
  assert.deepEqual(buildIdPaths("9", ["/usr/lib/debug"]), []);
});

Deno.test("paths: a container's root first, then the host", () => {
  const noLinks = () => undefined;
  assert.deepEqual(withRoot(["/a/x.debug"], undefined), ["/a/x.debug"]);
  const rooted = withRoot(["/usr/lib/debug/x.debug"], "/proc/42/root");
  assert.deepEqual(rooted, ["/proc/42/root/usr/lib/debug/x.debug", "/usr/lib/debug/x.debug"]);
  assert.equal(resolveUnderRoot("/r", "/a/../b/./c", noLinks), "/r/b/c");
});

Deno.test("paths: symlinks inside the root: absolute targets restart at the root", () => {
  const links: Record<string, string> = {
    "/r/lib": "usr/lib", // relative, like merged /usr
    "/r/usr/lib/debug/.build-id/ab/cd.debug": "/usr/lib/debug/usr/bin/app.debug",
  };
  const readLink = (p: string) => links[p];
  assert.equal(
    resolveUnderRoot("/r", "/lib/debug/.build-id/ab/cd.debug", readLink),
    "/r/usr/lib/debug/usr/bin/app.debug",
  );
  // A link loop gives up instead of spinning.
  const loop = (p: string) => (p === "/r/a" ? "/a" : undefined);
  assert.equal(resolveUnderRoot("/r", "/a/x", loop).startsWith("/r/"), true);
});
