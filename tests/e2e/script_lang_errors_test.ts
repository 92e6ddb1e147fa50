/**
 * The ExprError rules on a real process (-O0 / -O2, DWARF 4 / 5): a built-in whose read fails
 * inside a print is false and the print still shows, followed by an ExprError event; an `if`
 * whose condition cannot be evaluated takes the else branch after an ExprError event (an
 * `else if` chain goes on); later statements still run.
 */
import assert from "node:assert/strict";
import { e2eTest } from "./harness.ts";
import { LANG_VARIANTS, langLines } from "./lang_run.ts";

const SCRIPT = `
trace lang_probe {
  print "SW:{} AFTER", starts_with(r->ptr, "HTTP");
  if memcmp(r->ptr, hex("48"), 1) { print "THEN"; } else { print "ELSE"; }
  if r->ptr == "x" { print "X"; } else if r->id > 0 { print "ID"; }
  print "LAST {}", r->id;
}`;

for (const variant of LANG_VARIANTS) {
  e2eTest(
    `failed reads: false, an ExprError event, later statements run (${variant})`,
    async () => {
      const lines = await langLines(variant, SCRIPT, 11, 2);
      assert.deepEqual(lines, [
        // i = 1: r->ptr = "HTTP/1.1 200"
        "SW:true AFTER",
        "THEN",
        "ID",
        "LAST 1",
        // i = 2: r->ptr = NULL
        "SW:false AFTER",
        'ExprError: starts_with(r->ptr, "HTTP") <null pointer>',
        'ExprError: memcmp(r->ptr, hex("48"), 1) <null pointer>',
        "ELSE",
        'ExprError: r->ptr == "x" <null pointer>',
        "ID",
        "LAST 2",
      ]);
    },
  );
}
