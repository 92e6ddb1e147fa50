import assert from "node:assert/strict";
import type { DwarfType } from "../lib/dwarf/index.ts";
import { UsageError } from "../lib/errors.ts";
import { parseHex } from "../lib/script/builtins.ts";
import { type CompileOptions, compileScript } from "../lib/script/compiler.ts";
import { ScriptError } from "../lib/script/diagnostics.ts";
import type { VariableResolver } from "../lib/script/resolver.ts";

const U8: DwarfType = {
  kind: "base",
  name: "unsigned char",
  size: 1,
  encoding: "unsigned",
  signed: false,
  dieOffset: 1,
};
const BUF: DwarfType = { kind: "array", element: U8, count: 8, dieOffset: 2 } as DwarfType;
const INT: DwarfType = {
  kind: "base",
  name: "int",
  size: 4,
  encoding: "signed",
  signed: true,
  dieOffset: 3,
};

const RESOLVER: VariableResolver = {
  resolve(name) {
    if (name === "buf") {
      return { value: { kind: "memory", type: BUF, addr: { kind: "const", value: 0x1000n } } };
    }
    if (name === "n") {
      return { value: { kind: "memory", type: INT, addr: { kind: "const", value: 0x2000n } } };
    }
    return undefined;
  },
};

const OPTS: CompileOptions = {
  filter: { kind: "none" },
  pidView: { kind: "host" },
  resolveVariable: RESOLVER,
};

function error(body: string): string {
  const src = `trace f {\n  ${body}\n}`;
  try {
    compileScript(src, OPTS);
  } catch (e) {
    assert.ok(e instanceof ScriptError, String(e));
    assert.ok(e instanceof UsageError, "a usage error: exit 2");
    assert.equal(e.message.split("\n").length, 3, "one line, the source line and the caret");
    return e.message;
  }
  assert.fail(`no error for ${body}`);
}

Deno.test("hex: digit pairs, spaces; odd digits and other characters are errors", () => {
  assert.deepEqual([...parseHex("de AD 01")], [0xde, 0xad, 0x01]);
  assert.deepEqual([...parseHex("")], []);
  assert.equal(
    error('if memcmp(buf, hex("abc")) { print "x"; }'),
    "script:2:22: hex: odd number of hex digits (3); each byte takes two\n" +
      '  if memcmp(buf, hex("abc")) { print "x"; }\n' +
      "                     ^^^^^",
  );
  assert.match(
    error('if memcmp(buf, hex("0x12")) { print "x"; }'),
    /^script:2:22: hex: 'x' is not a hex digit/,
  );
  assert.match(
    error('if memcmp(buf, hex("12\\t34")) { print "x"; }'),
    /^script:2:22: hex: a tab is not a hex digit/,
  );
});

Deno.test("memcmp: length checks against hex(..)'s size, arity, roles", () => {
  assert.equal(
    error('if memcmp(buf, hex("de ad"), 3) { print "x"; }'),
    "script:2:32: memcmp: length 3 is larger than the 2 bytes of hex(..)\n" +
      '  if memcmp(buf, hex("de ad"), 3) { print "x"; }\n' +
      "                               ^",
  );
  assert.match(
    error('print memcmp(buf, hex("de"), -1);'),
    /^script:2:32: memcmp: the length must not be negative \(got -1\)/,
  );
  assert.match(error("print memcmp(buf, buf);"), /^script:2:9: memcmp needs a length/);
  assert.match(
    error('print memcmp(hex("de"), hex("dead"));'),
    /memcmp: the hex sides have different sizes \(1 and 2 bytes\)/,
  );
  assert.match(
    error("print memcmp(buf);"),
    /^script:2:9: memcmp takes 2 or 3 arguments \(memcmp\(a, b, n\)\), but 1 argument was given/,
  );
  assert.match(
    error('print memcmp(buf, "AB", 2);'),
    /^script:2:21: argument 2 of memcmp \(b\) must be a pointer, an array or hex\("\.\."\) \(compare strings with strncmp or starts_with\)/,
  );
  assert.match(
    error("print memcmp(n, buf, 2);"),
    /^script:2:16: argument 1 of memcmp \(a\) must be a pointer, an array or hex\("\.\."\), but 'n' is int/,
  );
  assert.match(
    error("let p = 1; print memcmp(p, buf, 2);"),
    /must be a pointer, an array or hex\("\.\."\), not a script value \(i64\); the expression is not a pointer\/address/,
  );
  // a length over the limit
  assert.match(
    error("print memcmp(buf, buf, 5000);"),
    /length 5000 is over the limit of 1024 bytes/,
  );
});

Deno.test("a non-string where a string is required, and bytes where a number is", () => {
  assert.match(
    error("if memcmp(buf, hex(12)) { print 1; }"),
    /^script:2:22: argument 1 of hex \(digits\) must be a string literal/,
  );
  assert.match(
    error("print starts_with(buf, buf);"),
    /^script:2:21: starts_with: at least one of the first two arguments must be a string literal/,
  );
  assert.match(
    error('print hex("de") + 1;'),
    /'hex\("de"\)' is a byte string: it can only be compared with memcmp/,
  );
  assert.match(error('print strncmp(buf, "a", 1) + "b";'), /string literals can only be used/);
});

Deno.test("folding: memcmp of two hex strings and zero lengths need no probe reads", () => {
  const c = compileScript(
    'trace f { print "{} {} {}", memcmp(hex("0102"), hex("0102")), memcmp(hex("01"), hex("02")), memcmp(buf, buf, 0); }',
    OPTS,
  );
  const p = c.traces[0].ir.body[0];
  assert.ok(p.kind === "print");
  assert.deepEqual(
    p.args.map((a) => a.kind !== "memory" && a.expr.kind === "const" ? a.expr.value : "not folded"),
    [1n, 0n, 1n],
  );
});

Deno.test("== with a string literal: C strings only, == and != only, folded when it cannot hold", () => {
  assert.match(
    error('print n == "abc";'),
    /^script:2:9: a string literal can only be compared with a C string \(char \* or char\[N\]\), but 'n' is int/,
  );
  assert.match(
    error('print buf < "abc";'),
    /^script:2:13: strings can only be compared with '==' and '!='/,
  );
  assert.match(error('let x = 1; print x == "a";'), /can only be compared with a C string/);
  const c = compileScript(
    'trace f { print "{} {} {} {}", "ab" == "ab", "ab" != "ab", buf == "12345678", buf == "1234567"; }',
    OPTS,
  );
  const p = c.traces[0].ir.body[0];
  assert.ok(p.kind === "print");
  const [same, differ, tooLong, fits] = p.args.map((a) =>
    a.kind === "memory" ? undefined : a.expr.kind === "guard" ? a.expr.operand : a.expr
  );
  assert.ok(same?.kind === "const" && same.value === 1n);
  assert.ok(differ?.kind === "const" && differ.value === 0n);
  // 8 characters and a NUL never fit in unsigned char[8]
  assert.ok(tooLong?.kind === "const" && tooLong.value === 0n);
  // 7 characters: 8 bytes read (no str read: an array), compared with the NUL
  assert.ok(fits?.kind === "bytesEqual" && fits.length === 8 && fits.left.kind === "userBytes");
  assert.equal(fits.left.string, false);
});

Deno.test("strlen: folded on a literal, one argument, a string or memory", () => {
  const c = compileScript('trace f { print strlen("hello"); print strlen(buf); }', OPTS);
  const [lit, mem] = c.traces[0].ir.body;
  assert.ok(lit.kind === "print" && lit.args[0].kind !== "memory");
  assert.deepEqual(lit.args[0].expr, { kind: "const", value: 5n });
  assert.ok(mem.kind === "print" && mem.args[0].kind !== "memory");
  const g = mem.args[0].expr;
  assert.ok(g.kind === "guard" && g.operand.kind === "strLen" && g.operand.cap === 8);
  assert.match(
    error("print strlen();"),
    /^script:2:9: strlen takes 1 argument \(strlen\(s\)\), but 0 arguments were given/,
  );
  assert.match(
    error("print strlen(n);"),
    /argument 1 of strlen \(s\) must be a string, a pointer or an array, but 'n' is int/,
  );
});
