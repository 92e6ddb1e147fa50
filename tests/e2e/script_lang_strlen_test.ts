/**
 * `strlen(s)` on a real process (-O0 / -O2, DWARF 4 / 5): a `char *` parameter, a `char[16]`
 * global, a literal (folded), and a NULL member (0 and an ExprError event).
 */
import assert from "node:assert/strict";
import { e2eTest } from "./harness.ts";
import { LANG_VARIANTS, langLines } from "./lang_run.ts";

const SCRIPT = `
trace lang_probe {
  print "L:{} {} {} {}", strlen(name), strlen(g_label), strlen("four"), strlen(r->ptr);
  if strlen(name) > 4 { print "long"; } else { print "short"; }
}`;

for (const variant of LANG_VARIANTS) {
  e2eTest(`strlen (${variant})`, async () => {
    const lines = await langLines(variant, SCRIPT, 5, 2);
    assert.deepEqual(lines, [
      "L:7 7 4 12",
      "long",
      "L:4 7 4 0",
      "ExprError: strlen(r->ptr) <null pointer>",
      "short",
    ]);
  });
}
