/**
 * String and memory built-ins on a real process, at -O0 / -O2 and DWARF 4 / 5:
 * `strncmp`, `starts_with`, `memcmp` with `hex("..")` (explicit, inferred, zero and run-time
 * lengths) on parameters, globals (`const char *`, `char[N]`, `unsigned char[N]`) and members;
 * a comparison larger than the stack buffers goes through the per-CPU scratch map.
 */
import assert from "node:assert/strict";
import { e2eTest } from "./harness.ts";
import { LANG_VARIANTS, langLines } from "./lang_run.ts";

const SCRIPT = `
trace lang_probe {
  print "SN:{} SW:{} SWB:{} SN0:{}", strncmp(name, "alpha", 5), starts_with(name, "alpha-"), starts_with(name, "beta"), strncmp(name, "zzz", 0);
  print "G:{} {} {}", starts_with(g_greeting, "Hello"), strncmp(g_label, "LABEL_", 6), strncmp("LABEL_", g_label, 7);
  print "MC:{} {} {} {}", memcmp(g_magic, hex("de ad be ef"), 4), memcmp(g_magic, hex("DEADBEEF01")), memcmp(&g_magic[1], hex("ad")), memcmp(g_magic, hex("00"));
  let n = 3;
  let z = 0 - 2;
  print "DYN:{} {} {}", memcmp(&g_magic[0], &g_magic[0], n), memcmp(&g_magic[0], &g_magic[1], z), memcmp(r->bytes, hex("00 11 22 33"), n + 1);
  if memcmp(r->tag, hex("54"), 1) { print "TAG T"; } else { print "TAG ?"; }
  print "BIG:{} {}", memcmp(g_opaque, &g_rec, 72), memcmp(g_opaque, &g_table[0], 72);
  print "DN:{} {} {} {}", strncmp(name, "alphaZ", i + 4), strncmp(name, "alphaZ", i + 5), 1 || *r, 0 && *r;
}`;

for (const variant of LANG_VARIANTS) {
  e2eTest(`string built-ins and memcmp (${variant})`, async () => {
    const lines = await langLines(variant, SCRIPT, 14, 2);
    assert.deepEqual(lines, [
      // i = 1: name "alpha-1"
      "SN:true SW:true SWB:false SN0:true",
      "G:true true true",
      "MC:true true true false",
      "DYN:true true true",
      "TAG T",
      "BIG:true false",
      "DN:true false true false",
      // i = 2: name "beta"
      "SN:false SW:false SWB:true SN0:true",
      "G:true true true",
      "MC:true true true false",
      "DYN:true true true",
      "TAG T",
      "BIG:true false",
      "DN:false false true false",
    ]);
  });
}

const STRING_VARIABLES = `
trace lang_probe {
  let s = "alpha";
  let t = s;
  print "SV:{} {} {} {:s}", t, starts_with(name, t), strncmp(s, "alp", 3), s;
  if name == t { print "never"; } else { print "not equal"; }
  print t;
}`;

e2eTest("script string variables: printed, compared, passed to built-ins", async () => {
  const lines = await langLines(LANG_VARIANTS[1], STRING_VARIABLES, 6, 2);
  assert.deepEqual(lines, [
    'SV:"alpha" true true alpha',
    "not equal",
    't = "alpha"',
    'SV:"alpha" false true alpha',
    "not equal",
    't = "alpha"',
  ]);
});
