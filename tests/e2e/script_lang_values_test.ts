/**
 * `let` aliases of DWARF expressions, pointer arithmetic scaled by the pointee, and bit-fields
 * on a real process (-O0 / -O2, DWARF 4 / 5): an alias of a global array (indexed, its address
 * taken), of `&arr[1]`, of a struct member; `p + n`, `p - n`, `q - p`, `void *` arithmetic in
 * bytes; unsigned and signed bit-fields of a struct passed by pointer.
 */
import assert from "node:assert/strict";
import { e2eTest } from "./harness.ts";
import { LANG_VARIANTS, langLines } from "./lang_run.ts";

const SCRIPT = `
trace lang_probe {
  let t = g_table;
  let p = &g_table[1];
  let rec = r;
  let f = r->f;
  print "AL:{} {} {} {} {}", t[2], *(p + 2), rec->id == i, f.mode == i % 8, &t[3] == &g_table[3];
  print "PA:{} {} {} {}", *(p - 1), &g_table[4] - p, (g_opaque + 8) - g_opaque, *(t + 5);
  print "BF:{} {} {} {}", r->f.ready, r->f.mode, r->f.level, r->f.wide;
  print "F:{} {} {} {}", g_f, g_d, r->ratio, r->scale;
}`;

for (const variant of LANG_VARIANTS) {
  e2eTest(`aliases, pointer arithmetic and bit-fields (${variant})`, async () => {
    const lines = await langLines(variant, SCRIPT, 8, 2);
    assert.deepEqual(lines, [
      "AL:30 40 true true true",
      "PA:10 3 8 60",
      "BF:1 1 -3 1000",
      "F:1.5 -2.25 0.5 -1.25",
      "AL:30 40 true true true",
      "PA:10 3 8 60",
      "BF:0 2 -2 2000",
      "F:1.5 -2.25 1 -2.5",
    ]);
  });
}
