/**
 * `cast(expr, "TYPE")` on a real process (-O0 / -O2, DWARF 4 / 5): a `void *` global seen as a
 * struct pointer (by tag and by typedef) and as the struct itself, scalar conversions (u8 / i8
 * wrap, bool, uint32_t % int32_t of script values), pointer and array casts of addresses, an enum
 * as int, casts of casts, `$sp` / `$pc`; an unknown type is one line at the type string, exit 2.
 */
import assert from "node:assert/strict";
import { e2eTest } from "./harness.ts";
import { LANG_VARIANTS, langLines, runLang } from "./lang_run.ts";

const SCRIPT = `
trace lang_probe {
  let rr = cast(g_opaque, "struct rec *");
  print "C1:{} {} {}", rr->id == i, cast(g_opaque, "rec_t *")->tag[0] == 84, cast(g_opaque, "struct rec").id == i;
  print "C2:{} {} {} {}", cast(g_neg, "u8"), cast(g_neg, "i8"), cast(g_mask, "bool"), cast(0xffffffff, "uint32_t") % cast(-1, "int32_t");
  print "C3:{} {} {}", *cast(&g_table[0], "uint32_t *"), cast(&g_table, "int[3]")[2], cast(&g_word, "unsigned char *")[1] == 2;
  print "C4:{} {}", cast(g_color, "int") + 1, cast(cast(cast(g_opaque, "void *"), "const volatile rec_t *"), "struct rec *")->id == i;
  print "C5:{} {}", cast($sp, "unsigned char *") != 0, $pc > 0x1000;
}`;

for (const variant of LANG_VARIANTS) {
  e2eTest(`cast to struct, typedef, pointer, array and scalar types (${variant})`, async () => {
    const lines = await langLines(variant, SCRIPT, 5, 1);
    assert.deepEqual(lines, [
      "C1:true true true",
      "C2:248 -8 true 0",
      "C3:10 30 true",
      "C4:3 true",
      "C5:true true",
    ]);
  });
}

e2eTest("cast to an unknown type: one line with line:column and a caret, exit 2", async () => {
  const r = await runLang(
    LANG_VARIANTS[0],
    'trace lang_probe {\n  print cast(g_opaque, "struct missing_type *")->id;\n}',
    1,
  );
  assert.equal(r.code, 2, r.stderr);
  assert.equal(
    r.stderr.trim(),
    "ghostscope: script:2:24: cast: type 'struct missing_type' was not found in the debug info\n" +
      '  print cast(g_opaque, "struct missing_type *")->id;\n' +
      "                       ^^^^^^^^^^^^^^^^^^^^^^^",
  );
});
