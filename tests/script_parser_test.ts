import assert from "node:assert/strict";
import { parseScript, parseTarget } from "../lib/script/parser.ts";
import { ScriptError } from "../lib/script/diagnostics.ts";

function parseError(src: string): string {
  try {
    parseScript(src);
  } catch (e) {
    assert.ok(e instanceof ScriptError, String(e));
    return e.message;
  }
  assert.fail(`no error for ${JSON.stringify(src)}`);
}

Deno.test("trace targets: function, file:line, address, module:address", () => {
  assert.deepEqual(parseTarget("main"), { kind: "function", name: "main" });
  assert.deepEqual(parseTarget("handle_*"), { kind: "function", name: "handle_*" });
  assert.deepEqual(parseTarget("sample.c:42"), { kind: "line", file: "sample.c", line: 42 });
  assert.deepEqual(parseTarget("/src/a-b.c:7"), { kind: "line", file: "/src/a-b.c", line: 7 });
  assert.deepEqual(parseTarget("0x401234"), { kind: "address", address: 0x401234n });
  assert.deepEqual(parseTarget("libc.so.6:0x1234"), {
    kind: "address",
    module: "libc.so.6",
    address: 0x1234n,
  });
  assert.equal(parseTarget("a.c:0"), undefined);
  assert.equal(parseTarget("what?"), undefined);
});

Deno.test("parses statements, else-if chains and operator precedence", () => {
  const s = parseScript(`
    trace main {
      let a = 1 + 2 * 3 - -4;
      print "a={}", a;
      print a % 2 == 1 || !(a < 3) && a >= 0;
      if a > 1 { print "big"; } else if a > 0 { print "small"; } else { print "neg"; }
    }
    trace f.c:3 { }`);
  assert.equal(s.traces.length, 2);
  const [let_, printf, print, if_] = s.traces[0].body.stmts;
  assert.equal(let_.kind, "let");
  if (let_.kind !== "let") return;
  // (1 + (2 * 3)) - (-4)
  const v = let_.value;
  assert.ok(v.kind === "binary" && v.op === "-");
  assert.ok(v.left.kind === "binary" && v.left.op === "+");
  assert.ok(v.left.right.kind === "binary" && v.left.right.op === "*");
  assert.ok(v.right.kind === "unary" && v.right.op === "-");
  assert.equal(printf.kind, "printf");
  // || binds loosest, then &&, then comparisons
  assert.ok(print.kind === "print" && print.expr.kind === "binary" && print.expr.op === "||");
  const orRight = print.kind === "print" && print.expr.kind === "binary" ? print.expr.right : null;
  assert.ok(orRight?.kind === "binary" && orRight.op === "&&");
  assert.ok(if_.kind === "if" && if_.otherwise?.stmts[0].kind === "if");
  assert.deepEqual(s.traces[1].target, { kind: "line", file: "f.c", line: 3 });
});

Deno.test("syntax errors carry line:column and a caret", () => {
  assert.equal(
    parseError("trace main {\n  print 1\n}"),
    "script:2:10: expected ';' after print, found '}'\n  print 1\n         ^",
  );
  assert.equal(
    parseError("trace main {\n  let = 3;\n}"),
    "script:2:7: expected a variable name after 'let', found '='\n  let = 3;\n      ^",
  );
  assert.match(
    parseError("print 1;"),
    /^script:1:1: expected 'trace <target> \{ \.\.\. \}' at top level/,
  );
  assert.match(parseError(""), /empty script/);
  assert.match(parseError("trace what? { }"), /^script:1:7: invalid trace target 'what\?'/);
  assert.match(parseError("trace main { print (1 + 2; }"), /expected '\)'/);
  assert.match(parseError("trace main { if { } }"), /expected a condition after 'if'/);
  assert.match(parseError("trace main {"), /^script:1:12: unclosed '\{'/);
  assert.match(parseError("trace main { trace g { } }"), /cannot be nested/);
  assert.match(parseError("trace main { x = 1; }"), /assignment is not supported/);
  assert.match(parseError("trace main { print p->; }"), /expected a member name after '->'/);
  assert.match(parseError("trace main { print a.1; }"), /expected a member name after '\.'/);
  assert.match(parseError("trace main { print a[]; }"), /expected an index inside/);
  assert.match(parseError("trace main { print a[1; }"), /expected '\]' to close '\['/);
  assert.match(parseError("trace main { else { } }"), /'else' without a matching 'if'/);
});

Deno.test("tabs are kept in the caret line", () => {
  assert.equal(
    parseError("trace main {\n\tprint 1 2;\n}"),
    "script:2:9: expected ';' after print, found '2'\n\tprint 1 2;\n\t       ^",
  );
});

Deno.test("postfix and prefix operators: members, arrows, indexing, deref, address-of", () => {
  const s = parseScript("trace f { print *p->next[2].name; print &a.b; print -*q; }");
  const body = s.traces[0].body.stmts;
  const e0 = body[0].kind === "print" ? body[0].expr : undefined;
  // `*` binds looser than the postfix chain: *(((p->next)[2]).name)
  assert.equal(e0?.kind, "deref");
  const m = e0?.kind === "deref" ? e0.operand : undefined;
  assert.equal(m?.kind === "member" && m.name, "name");
  assert.equal(m?.kind === "member" && m.arrow, false);
  const idx = m?.kind === "member" ? m.object : undefined;
  assert.equal(idx?.kind, "index");
  const arrow = idx?.kind === "index" ? idx.object : undefined;
  assert.equal(arrow?.kind === "member" && arrow.arrow, true);
  const e1 = body[1].kind === "print" ? body[1].expr : undefined;
  assert.equal(e1?.kind, "addr");
  const e2 = body[2].kind === "print" ? body[2].expr : undefined;
  assert.equal(e2?.kind === "unary" && e2.operand.kind, "deref");
  // `a - > b` is not an arrow; `a->b` lexes as one token
  assert.equal(parseScript("trace f { print a - 1; }").traces[0].body.stmts.length, 1);
});
