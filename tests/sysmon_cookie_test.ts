/** Module cookies: FNV-1a 64, build-id form and inode form. */
import assert from "node:assert/strict";
import { assertEquals } from "./assert.ts";
import { fnv1a64, moduleCookie } from "../lib/sysmon/cookie.ts";

const enc = new TextEncoder();

Deno.test("sysmon cookie: FNV-1a 64 reference vectors", () => {
  assertEquals(fnv1a64(new Uint8Array()), 0xcbf29ce484222325n);
  assertEquals(fnv1a64(enc.encode("a")), 0xaf63dc4c8601ec8cn);
  assertEquals(fnv1a64(enc.encode("foobar")), 0x85944171f73967e8n);
});

Deno.test("sysmon cookie: build-id decides when present, whatever the inode", () => {
  const id = "4f2a9c0e11d3";
  const a = moduleCookie({ buildId: id, dev: 1n, ino: 2n });
  const b = moduleCookie({ buildId: id.toUpperCase(), dev: 9n, ino: 99n });
  assertEquals(a, b);
  assert.notEqual(a, moduleCookie({ buildId: "4f2a9c0e11d4", dev: 1n, ino: 2n }));
});

Deno.test("sysmon cookie: inode form without a build-id, distinct from the build-id form", () => {
  const a = moduleCookie({ dev: 0xfe01n, ino: 1234n });
  assertEquals(a, moduleCookie({ dev: 0xfe01n, ino: 1234n }));
  assert.notEqual(a, moduleCookie({ dev: 0xfe01n, ino: 1235n }));
  assert.notEqual(a, moduleCookie({ dev: 0xfe02n, ino: 1234n }));
  // A malformed build-id falls back to the inode form.
  assertEquals(moduleCookie({ buildId: "xyz", dev: 0xfe01n, ino: 1234n }), a);
  assert.ok(a >= 0n && a < 1n << 64n);
});
