/**
 * Thread-local globals of the executable (x86_64 static TLS) on a real process (-O0 / -O2,
 * DWARF 4 / 5): each of three worker threads sees its own `t_counter`, the main thread its own
 * (7, incremented once per call), and a `long` TLS total; the thread pointer is read from the
 * kernel's task_struct (offset from BTF).
 */
import assert from "node:assert/strict";
import { e2eTest } from "./harness.ts";
import { LANG_VARIANTS, langLines } from "./lang_run.ts";

const SCRIPT = `
trace lang_probe {
  if i >= 1000 { print "W:{} {}", i, t_counter; } else { print "M:{} {} {}", i, t_counter, t_total; }
}`;

for (const variant of LANG_VARIANTS) {
  e2eTest(`thread-local globals (${variant})`, async () => {
    const lines = await langLines(variant, SCRIPT, 6, 3, 3);
    assert.deepEqual(lines, [
      "W:1000 100",
      "W:1001 200",
      "W:1002 300",
      "M:1 7 0",
      "M:2 8 1",
      "M:3 9 3",
    ]);
  });
}
