import assert from "node:assert/strict";
import { type CompileOptions, compileScript } from "../lib/script/compiler.ts";
import { ScriptError } from "../lib/script/diagnostics.ts";
import type { VariableResolver } from "../lib/script/resolver.ts";
import { ValueStatus, ValueType } from "../bpf/wire.ts";

const OPTS: CompileOptions = {
  filter: { kind: "none" },
  pidView: { kind: "host" },
  inputPid: 4242,
};

function compileError(src: string, opts: Partial<CompileOptions> = {}): string {
  try {
    compileScript(src, { ...OPTS, ...opts });
  } catch (e) {
    assert.ok(e instanceof ScriptError, String(e));
    return e.message;
  }
  assert.fail(`no error for ${JSON.stringify(src)}`);
}

Deno.test("unknown builtin suggests the closest one", () => {
  assert.equal(
    compileError('trace main {\n  let a = 1;\n  print "{}", $pidd;\n}'),
    "script:3:15: unknown builtin '$pidd' (did you mean '$pid'?)\n" +
      '  print "{}", $pidd;\n' +
      "              ^^^^^",
  );
  assert.match(compileError("trace main { print $timestmp; }"), /did you mean '\$timestamp'\?/);
  assert.match(
    compileError("trace main { print $zz; }"),
    /unknown builtin '\$zz' \(builtins: \$pid \$tid \$host_pid \$input_pid \$timestamp \$retval \$duration \$func \$sp \$pc\)/,
  );
});

Deno.test("$input_pid needs an input pid", () => {
  assert.match(
    compileError("trace main { print $input_pid; }", { inputPid: undefined }),
    /^script:1:20: '\$input_pid' is only available when tracing a process \(-p\)/,
  );
});

Deno.test("unknown variable, with a suggestion among visible names", () => {
  assert.equal(
    compileError("trace main {\n  let count = 1;\n  print cuont;\n}"),
    "script:3:9: unknown variable 'cuont' (did you mean 'count'?)\n  print cuont;\n        ^^^^^",
  );
  assert.equal(
    compileError("trace main { print x; }"),
    "script:1:20: unknown variable 'x'\ntrace main { print x; }\n                   ^",
  );
});

Deno.test("placeholder count must match argument count (both counts named)", () => {
  assert.equal(
    compileError('trace main {\n  print "a={} b={}", 1;\n}'),
    "script:2:9: format string has 2 placeholders but 1 argument was given\n" +
      '  print "a={} b={}", 1;\n' +
      "        ^^^^^^^^^^^",
  );
  assert.match(
    compileError('trace main { print "x", 1, 2; }'),
    /0 placeholders but 2 arguments were given/,
  );
  assert.match(
    compileError('trace main { print "{}{}{}"; }'),
    /3 placeholders but 0 arguments were given/,
  );
});

Deno.test("format errors point inside the string, across escapes", () => {
  assert.equal(
    compileError('trace main { print "\\t{:q}", 1; }'),
    "script:1:23: unsupported format conversion '{:q}' (supported: {}, {:x}, {:X}, {:p}, " +
      "{:s}, {:x.N}, {:s.N}, {:x.*}, {:s.name$})\n" +
      'trace main { print "\\t{:q}", 1; }\n' +
      "                      ^^^^",
  );
  assert.match(compileError('trace main { print "a } b"; }'), /^script:1:23: unmatched '\}'/);
  assert.match(compileError('trace main { print "a { b"; }'), /^script:1:23: unclosed '\{'/);
});

Deno.test("let re-declaration and shadowing are errors", () => {
  assert.equal(
    compileError("trace main {\n  let a = 1;\n  let a = 2;\n}"),
    "script:3:7: 'a' is already declared (line 2); script variables are immutable, use a new name\n" +
      "  let a = 2;\n" +
      "      ^",
  );
  assert.match(
    compileError("trace main { let a = 1; if a { let a = 2; } }"),
    /shadowing is not allowed: 'a' is already declared in an enclosing block \(line 1\)/,
  );
  // the same name in sibling blocks, or in another trace, is fine
  compileScript(
    "trace main { if 1 { let a = 1; } else { let a = 2; } } trace f { let a = 3; }",
    OPTS,
  );
});

Deno.test("use before let, and use outside the declaring block", () => {
  assert.equal(
    compileError("trace main {\n  print n;\n  let n = 1;\n}"),
    "script:2:9: 'n' is used before its 'let' (line 3)\n  print n;\n        ^",
  );
  assert.match(compileError("trace main { let n = n + 1; }"), /'n' is used before its 'let'/);
  assert.match(
    compileError("trace main { if 1 { let q = 1; } print q; }"),
    /'q' is used outside of its scope/,
  );
});

Deno.test("type and constant checks", () => {
  assert.match(
    compileError('trace main { let s = "x"; print s + 1; }'),
    /string literals can only be used as the format/,
  );
  assert.match(compileError("trace main { print 1 / 0; }"), /^script:1:24: division by zero/);
  assert.match(compileError("trace main { print 5 % (0); }"), /remainder by zero/);
});

Deno.test("identifiers that are not script variables go to the resolver", () => {
  const calls: string[] = [];
  const resolver: VariableResolver = {
    resolve(name, ctx) {
      calls.push(`${name}@${ctx.traceId}`);
      if (name === "argc") return { type: "i64", expr: { kind: "ctx", offset: 112 } };
      if (name === "gone") {
        return { type: "i64", expr: { kind: "unavailable", status: ValueStatus.OptimizedOut } };
      }
      return undefined;
    },
    candidates: () => ["argc", "argv"],
  };
  const c = compileScript('trace main { print argc; print "{}", gone; }', {
    ...OPTS,
    resolveVariable: resolver,
  });
  assert.deepEqual(calls, ["argc@0", "gone@0"]);
  assert.deepEqual(c.prints[0].argTypes, [ValueType.I64]);
  assert.match(
    compileError("trace main { print argx; }", { resolveVariable: resolver }),
    /unknown variable 'argx' \(did you mean 'argc'\?\)/,
  );
  // script variables win over program variables
  calls.length = 0;
  compileScript("trace main { let argc = 1; print argc; }", { ...OPTS, resolveVariable: resolver });
  assert.deepEqual(calls, []);
});

Deno.test("print ids are global, trace ids per block, arg types follow expression types", () => {
  const c = compileScript(
    'trace a { print "x"; print 1 < 2; } trace b { print "{} {}", $pid, true; }',
    OPTS,
  );
  assert.deepEqual(c.prints.map((p) => [p.printId, p.traceId]), [[0, 0], [1, 0], [2, 1]]);
  assert.deepEqual(c.prints[1].argTypes, [ValueType.Bool]);
  assert.deepEqual(c.prints[2].argTypes, [ValueType.I64, ValueType.Bool]);
  assert.deepEqual(c.prints[1].format.literals, ["1 < 2 = ", ""]);
});
