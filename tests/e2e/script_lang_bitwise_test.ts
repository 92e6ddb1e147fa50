/**
 * Bitwise operators with C precedence and C types on a real process (-O0 / -O2, DWARF 4 / 5):
 * `& | ^ ~ << >>` on an `unsigned int` global (32-bit wrap of `~` and `<<`), an `int64_t`
 * global (arithmetic `>>`), an `int` parameter as the shift count; integer literals in
 * `0x` / `0o` / `0b` with `_` separators.
 */
import assert from "node:assert/strict";
import { e2eTest } from "./harness.ts";
import { LANG_VARIANTS, langLines } from "./lang_run.ts";

const SCRIPT = `
trace lang_probe {
  print "B:{} {} {} {}", g_mask & 0xff00, g_mask | 0x0f, g_mask ^ 0xffff, ~g_mask;
  print "S:{} {} {} {}", g_neg >> 1, g_mask >> 4, 1 << i, g_mask << 20;
  print "P:{} {} {}", 1 + 2 << 1, g_mask & 0xf0 == 0xf0, 6 & 3 | 8 ^ 1;
  print "L:{} {} {} {}", 0x10 + 0o10 + 0b10, 0xFF_FF, -0x1, ~0;
}`;

for (const variant of LANG_VARIANTS) {
  e2eTest(`bitwise operators and integer literals (${variant})`, async () => {
    const lines = await langLines(variant, SCRIPT, 8, 2);
    const fixed = ["B:61440 61695 3855 4294905615", "P:6 0 11", "L:26 65535 -1 -1"];
    assert.deepEqual(lines, [
      fixed[0],
      "S:-4 3855 2 251658240",
      fixed[1],
      fixed[2],
      fixed[0],
      "S:-4 3855 4 251658240",
      fixed[1],
      fixed[2],
    ]);
  });
}
