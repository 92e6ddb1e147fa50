/**
 * Where libbpf comes from (ffi/library_loader.ts) as far as it can be checked without loading a
 * library: the override's errors, the source-tree stub, and that a library that cannot be loaded
 * is never reported as a PID-namespace helper problem. Loading the embedded copy from memfds is
 * checked end to end by tests/e2e/bare_container_test.ts (and /proc/PID/maps there).
 */
import { assertEquals, assertThrows } from "./assert.ts";
import {
  LIBBPF_OVERRIDE_ENV,
  libbpfLocation,
  LibraryLoadError,
  systemLibbpfMissing,
} from "../ffi/library_loader.ts";
import { EMBEDDED_LIBRARIES } from "../ffi/embedded_libs_payload.ts";
import { type CapsProbe, detectKernelCaps } from "../lib/pid/caps.ts";

const override = (path: string) => (name: string) =>
  name === LIBBPF_OVERRIDE_ENV ? path : undefined;

Deno.test("GHOSTSCOPE_LIBBPF naming a missing file: one line that names the variable and the path", () => {
  const err = assertThrows(
    () => libbpfLocation([], override("/nonexistent/libbpf.so.1")),
    LibraryLoadError,
  );
  assertEquals(err.message, "GHOSTSCOPE_LIBBPF=/nonexistent/libbpf.so.1: no such file");
});

Deno.test("GHOSTSCOPE_LIBBPF naming a directory or a non-library: refused with the reason", () => {
  const dir = Deno.makeTempDirSync();
  try {
    assertThrows(() => libbpfLocation([], override(dir)), LibraryLoadError, "not a file");
    const text = `${dir}/libbpf.so.1`;
    Deno.writeTextFileSync(text, "not an ELF file\n");
    const err = assertThrows(() => libbpfLocation([], override(text)), LibraryLoadError);
    assertEquals(err.message.startsWith(`GHOSTSCOPE_LIBBPF=${text} cannot be loaded: `), true);
    assertEquals(err.message.includes("\n"), false);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("the source tree embeds nothing (build.sh fills a staging copy only)", () => {
  assertEquals(EMBEDDED_LIBRARIES.length, 0);
});

Deno.test("a missing libbpf stops the PID plan with its own message, not as a helper probe", () => {
  const missing: CapsProbe = {
    ringbuf: () => {
      throw systemLibbpfMissing();
    },
    nsPidHelper: () => {
      throw systemLibbpfMissing();
    },
  };
  const err = assertThrows(() => detectKernelCaps({ probe: missing }), LibraryLoadError);
  assertEquals(err.message.startsWith("libbpf.so.1 not found: install the libbpf1 package"), true);
});
