import assert from "node:assert/strict";
import { Reporter, ScriptError } from "../lib/script/diagnostics.ts";
import { tokenize, TokKind } from "../lib/script/lexer.ts";
import { UsageError } from "../lib/errors.ts";

function lex(src: string) {
  return tokenize(src, new Reporter(src));
}

function lexError(src: string): string {
  try {
    lex(src);
  } catch (e) {
    assert.ok(e instanceof ScriptError);
    assert.ok(e instanceof UsageError, "script errors exit with the usage code");
    return e.message;
  }
  assert.fail(`no error for ${JSON.stringify(src)}`);
}

Deno.test("tokens: keywords, identifiers, builtins, punctuation, comments", () => {
  const toks = lex("trace main { // hi\n let x = $pid >= 0x1F && !y; /* c\n */ }");
  assert.deepEqual(toks.map((t) => [t.kind, t.text]), [
    [TokKind.Keyword, "trace"],
    [TokKind.Target, "main"],
    [TokKind.Punct, "{"],
    [TokKind.Keyword, "let"],
    [TokKind.Ident, "x"],
    [TokKind.Punct, "="],
    [TokKind.Builtin, "$pid"],
    [TokKind.Punct, ">="],
    [TokKind.Int, "0x1F"],
    [TokKind.Punct, "&&"],
    [TokKind.Punct, "!"],
    [TokKind.Ident, "y"],
    [TokKind.Punct, ";"],
    [TokKind.Punct, "}"],
    [TokKind.Eof, ""],
  ]);
  assert.equal(toks[8].int, 31n);
});

Deno.test("the word after 'trace' is one raw target token", () => {
  for (
    const t of ["sample.c:42", "/home/u/src/utils.c:100", "0x401234", "libc.so.6:0x1234", "ns::f"]
  ) {
    const toks = lex(`trace ${t}{ }`);
    assert.equal(toks[1].kind, TokKind.Target);
    assert.equal(toks[1].text, t);
  }
});

Deno.test("integer literals: decimal, hex, octal, binary, underscores, u64 range", () => {
  const vals = lex("1_048_576 0xff 0o755 0b1010 18446744073709551615").filter((t) =>
    t.kind === TokKind.Int
  ).map((t) => t.int);
  assert.deepEqual(vals, [1048576n, 255n, 493n, 10n, 18446744073709551615n]);
  assert.match(
    lexError("18446744073709551616"),
    /^script:1:1: integer literal .* does not fit in 64 bits/,
  );
  assert.match(lexError("0x"), /invalid integer literal '0x'/);
  assert.match(lexError("12ab"), /invalid integer literal '12ab'/);
});

Deno.test("string literals decode escapes and remember source offsets", () => {
  const [s] = lex(String.raw`"a\n{}\""`);
  assert.equal(s.kind, TokKind.String);
  assert.equal(s.str, 'a\n{}"');
  assert.deepEqual(s.offsets, [1, 2, 4, 5, 6, 8]);
});

Deno.test("lexer errors point at the offending text", () => {
  assert.equal(
    lexError('trace f {\n  print "abc;\n}'),
    'script:2:9: unterminated string literal\n  print "abc;\n        ^^^^^',
  );
  assert.equal(
    lexError("trace f { @ }"),
    "script:1:11: unexpected character '@'\ntrace f { @ }\n          ^",
  );
  assert.match(lexError("/* never closed"), /^script:1:1: unterminated comment/);
  assert.match(lexError('"\\q"'), /unknown escape '\\q'/);
});
