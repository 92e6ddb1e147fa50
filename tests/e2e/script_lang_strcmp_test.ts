/**
 * `==` / `!=` between a C string and a literal on a real process (-O0 / -O2, DWARF 4 / 5), with
 * strict NUL semantics: a `char *` parameter and global, a `char[16]` global, a `char[8]`
 * member; a prefix of the string is not equal, the literal on either side.
 */
import assert from "node:assert/strict";
import { e2eTest } from "./harness.ts";
import { LANG_VARIANTS, langLines } from "./lang_run.ts";

const SCRIPT = `
trace lang_probe {
  print "EQ:{} {} {} {} {}", name == "beta", name != "beta", name == "alpha", g_label == "LABEL_X", g_label == "LABEL";
  print "EQ2:{} {}", "Hello, world" == g_greeting, r->tag == "T1";
  if name == "alpha-1" { print "A1"; } else if name != "beta" { print "NOT BETA"; } else { print "BETA"; }
}`;

for (const variant of LANG_VARIANTS) {
  e2eTest(`C strings compared with a literal (${variant})`, async () => {
    const lines = await langLines(variant, SCRIPT, 9, 3);
    assert.deepEqual(lines, [
      "EQ:false true false true false",
      "EQ2:true true",
      "A1",
      "EQ:true false false true false",
      "EQ2:true false",
      "BETA",
      "EQ:false true false true false",
      "EQ2:true false",
      "NOT BETA",
    ]);
  });
}
