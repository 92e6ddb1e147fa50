import assert from "node:assert/strict";
import type { IrExpr, IrStmt } from "../bpf/ir.ts";
import { ValueType } from "../bpf/wire.ts";
import type { DwarfType } from "../lib/dwarf/index.ts";
import { builtinFunction, FUNCTIONS } from "../lib/script/builtins.ts";
import { type CompileOptions, compileScript } from "../lib/script/compiler.ts";
import { Reporter, ScriptError } from "../lib/script/diagnostics.ts";
import { parseScript } from "../lib/script/parser.ts";
import { UsageError } from "../lib/errors.ts";
import { bindTrace } from "../lib/script/passes/bind.ts";
import { lowerTrace } from "../lib/script/passes/lower.ts";
import { resolveScript } from "../lib/script/passes/resolve.ts";
import type { VariableResolver } from "../lib/script/resolver.ts";

const OPTS: CompileOptions = { filter: { kind: "none" }, pidView: { kind: "host" } };

const INT: DwarfType = {
  kind: "base",
  name: "int",
  size: 4,
  encoding: "signed",
  signed: true,
  dieOffset: 1,
};
const CHAR: DwarfType = {
  kind: "base",
  name: "char",
  size: 1,
  encoding: "char",
  signed: true,
  dieOffset: 2,
};
const CHAR_PTR: DwarfType = { kind: "pointer", size: 8, target: CHAR, dieOffset: 3 };
const STRUCT: DwarfType = {
  kind: "struct",
  name: "pair",
  size: 8,
  members: [
    { name: "a", type: INT, offset: 0 },
    { name: "b", type: INT, offset: 4 },
  ],
  dieOffset: 4,
} as unknown as DwarfType;

/** A resolver whose variables live at a different address at each of `sites` probe sites. */
function movingResolver(sites: number, calls: string[]): VariableResolver {
  return {
    resolve(name, ctx) {
      calls.push(`${name}@${ctx.site ?? 0}`);
      const base = 0x1000n * BigInt((ctx.site ?? 0) + 1);
      if (name === "count") {
        return { value: { kind: "memory", type: INT, addr: { kind: "const", value: base } } };
      }
      if (name === "pair") {
        return {
          value: { kind: "memory", type: STRUCT, addr: { kind: "const", value: base + 0x100n } },
        };
      }
      if (name === "name") {
        return { value: { kind: "scalar", type: CHAR_PTR, expr: { kind: "ctx", offset: 112 } } };
      }
      return undefined;
    },
    siteCount: () => sites,
  };
}

function resolve(src: string, resolver: VariableResolver = { resolve: () => undefined }) {
  const reporter = new Reporter(src);
  return {
    reporter,
    resolved: resolveScript(parseScript(src), reporter, {
      resolveVariable: resolver,
      inputPid: 7,
    }),
  };
}

function readAddress(e: IrExpr): bigint | undefined {
  if (e.kind === "read" && e.addr.kind === "const") return e.addr.value;
  if (e.kind === "extend") return readAddress(e.operand);
  return undefined;
}

function firstPrintExpr(body: IrStmt[]): IrExpr {
  const p = body.find((s) => s.kind === "print");
  assert.ok(p && p.kind === "print");
  const arg = p.args[0];
  assert.ok(arg.kind !== "memory");
  return arg.expr;
}

function compileError(src: string): ScriptError {
  try {
    compileScript(src, OPTS);
  } catch (e) {
    assert.ok(e instanceof ScriptError, String(e));
    return e;
  }
  assert.fail(`no error for ${src}`);
}

Deno.test("resolve: types, C conversions and the print table, once per block", () => {
  const { resolved } = resolve(
    "trace f { let x = 1 + 2; print x < 3; print $input_pid; print pair.b * 2; }",
    movingResolver(1, []),
  );
  const body = resolved.traces[0].body;
  assert.equal(body[0].kind, "let");
  assert.ok(body[0].kind === "let" && body[0].value.kind === "arith");
  assert.equal(body[0].value.type, "i64");
  assert.ok(body[1].kind === "print" && body[1].args[0].kind === "scalar");
  assert.equal(body[1].args[0].expr.type, "bool");
  // $input_pid is a constant of the registry entry
  assert.ok(body[2].kind === "print" && body[2].args[0].kind === "scalar");
  assert.deepEqual(body[2].args[0].expr.kind, "const");
  // a program member: typed path, int arithmetic in C's int
  assert.ok(body[3].kind === "print" && body[3].args[0].kind === "scalar");
  const mul = body[3].args[0].expr;
  assert.ok(mul.kind === "arith" && mul.cint?.bits === 32 && mul.cint.signed);
  assert.ok(mul.left.kind === "value" && mul.left.value.kind === "member");
  assert.deepEqual(resolved.prints.map((p) => p.argTypes), [
    [ValueType.Bool],
    [ValueType.I64],
    [ValueType.I64],
  ]);
  assert.equal(resolved.traces[0].programVariables, true);
});

Deno.test("bind: each probe site gets its own locations from one resolved block", () => {
  const calls: string[] = [];
  const { resolved, reporter } = resolve("trace f { print count; }", movingResolver(3, calls));
  assert.deepEqual(calls, ["count@0"]);
  const addrs = [0, 1, 2].map((site) => {
    const b = bindTrace(resolved.traces[0], site, reporter, {
      resolveVariable: movingResolver(3, calls),
      prints: resolved.prints,
    });
    assert.equal(b.site, site);
    return readAddress(firstPrintExpr(lowerTrace(b).body));
  });
  assert.deepEqual(addrs, [0x1000n, 0x2000n, 0x3000n]);
  // site 0 reuses the resolve pass's lookup
  assert.deepEqual(calls, ["count@0", "count@1", "count@2"]);
});

Deno.test("a function with several probe addresses compiles in one resolve pass", () => {
  const calls: string[] = [];
  const c = compileScript(
    'trace f { print "{} {}", count, pair.a; if count > 1 { print pair.b; } }',
    { ...OPTS, resolveVariable: movingResolver(3, calls) },
  );
  // names looked up once at the first site by the resolve pass, then once per other site
  assert.deepEqual(calls.filter((c) => c.endsWith("@0")), ["count@0", "pair@0"]);
  assert.equal(calls.filter((c) => c.endsWith("@1")).length, 2);
  assert.equal(c.traces[0].programs.length, 3);
  // one print table for every site: the two prints and the ExprError event of the condition
  assert.deepEqual(c.prints.map((p) => p.kind ?? "print"), ["print", "exprError", "print"]);
});

Deno.test("registry: constant folding, lowering of a call that reads memory", () => {
  const fold = (src: string) => {
    const { resolved } = resolve(`trace f { print ${src}; }`, movingResolver(1, []));
    const s = resolved.traces[0].body[0];
    assert.ok(s.kind === "print" && s.args[0].kind === "scalar");
    return s.args[0].expr;
  };
  assert.deepEqual(
    [fold('strncmp("abc", "abd", 2)'), fold('strncmp("abc", "abd", 3)')].map((e) =>
      e.kind === "const" ? e.value : e.kind
    ),
    [1n, 0n],
  );
  const sw = fold('starts_with("hello", "he")');
  assert.ok(sw.kind === "const" && sw.value === 1n && sw.type === "bool");
  const call = fold('starts_with(name, "ab")');
  assert.ok(call.kind === "call" && call.fn === builtinFunction("starts_with"));
  // lowering: two bytes of the string read from user memory compared with "ab"
  const c = compileScript('trace f { print starts_with(name, "ab"); }', {
    ...OPTS,
    resolveVariable: movingResolver(1, []),
  });
  const guard = firstPrintExpr(c.traces[0].ir.body);
  // inside a print, a failure of the call gives false and an ExprError event
  assert.ok(guard.kind === "guard");
  const e = guard.operand;
  assert.ok(e.kind === "bytesEqual" && e.length === 2);
  assert.ok(e.left.kind === "userBytes" && e.left.string);
  assert.ok(e.right.kind === "constBytes");
  assert.deepEqual([...e.right.bytes], [0x61, 0x62]);
  assert.ok(FUNCTIONS.every((f) => f.params.length > 0 && f.usage.startsWith(f.name)));
});

Deno.test("calls: unknown names with a suggestion, wrong arity, roles; line:column and caret", () => {
  const e = compileError('trace f {\n  print strcmp("a", "b", 1);\n}');
  assert.equal(
    e.message,
    "script:2:9: unknown function 'strcmp' (did you mean 'strncmp'?)\n" +
      '  print strcmp("a", "b", 1);\n' +
      "        ^^^^^^",
  );
  assert.ok(e instanceof UsageError); // exit 2
  assert.match(
    compileError('trace f { print starts_with("a"); }').message,
    /^script:1:17: starts_with takes 2 arguments \(starts_with\(a, b\)\), but 1 argument was given/,
  );
  assert.match(
    compileError('trace f { print strncmp("a", "b", -1); }').message,
    /^script:1:35: strncmp: the length must not be negative \(got -1\)/,
  );
  assert.match(
    compileError('trace f { print strncmp(1, "b", 1); }').message,
    /^script:1:25: argument 1 of strncmp \(a\) must be a string, a pointer or an array/,
  );
  assert.match(
    compileError('trace f { print strncmp("a", "b", "c"); }').message,
    /^script:1:35: argument 3 of strncmp \(n\) must be an integer, not a string/,
  );
});

Deno.test("parser: calls and C operator precedence", () => {
  const s = parseScript('trace f { print f(1, g(2), "x") + 1 < 2 == 1; }');
  const stmt = s.traces[0].body.stmts[0];
  assert.ok(stmt.kind === "print");
  // (((f(..) + 1) < 2) == 1)
  const eq = stmt.expr;
  assert.ok(eq.kind === "binary" && eq.op === "==");
  assert.ok(eq.left.kind === "binary" && eq.left.op === "<");
  const add = eq.left.left;
  assert.ok(add.kind === "binary" && add.op === "+");
  assert.ok(add.left.kind === "call" && add.left.name === "f" && add.left.args.length === 3);
  const empty = parseScript("trace f { print g(); }").traces[0].body.stmts[0];
  assert.ok(empty.kind === "print" && empty.expr.kind === "call" && empty.expr.args.length === 0);
});

Deno.test("parser: bitwise operators sit between equality and logical ones, shifts below +", () => {
  const e = (src: string) => {
    const s = parseScript(`trace f { print ${src}; }`).traces[0].body.stmts[0];
    assert.ok(s.kind === "print");
    return s.expr;
  };
  // a | b ^ c & d == e  =>  a | (b ^ (c & (d == e)))
  const or = e("a | b ^ c & d == e");
  assert.ok(or.kind === "binary" && or.op === "|");
  assert.ok(or.right.kind === "binary" && or.right.op === "^");
  assert.ok(or.right.right.kind === "binary" && or.right.right.op === "&");
  assert.ok(or.right.right.right.kind === "binary" && or.right.right.right.op === "==");
  // 1 + 2 << 3 < 4  =>  ((1 + 2) << 3) < 4
  const lt = e("1 + 2 << 3 < 4");
  assert.ok(lt.kind === "binary" && lt.op === "<");
  assert.ok(lt.left.kind === "binary" && lt.left.op === "<<");
  assert.ok(lt.left.left.kind === "binary" && lt.left.left.op === "+");
  // a && b | c  =>  a && (b | c); ~ is unary
  const and = e("a && b | ~c");
  assert.ok(and.kind === "binary" && and.op === "&&");
  assert.ok(and.right.kind === "binary" && and.right.op === "|");
  assert.ok(and.right.right.kind === "unary" && and.right.right.op === "~");
});

Deno.test("resolve: shifts take the left operand's C type, bitwise ops the usual conversions", () => {
  const { resolved } = resolve(
    "trace f { print count << 1; print count & 0xffffffffff; print 1 << 40; print ~count; }",
    movingResolver(1, []),
  );
  const exprs = resolved.traces[0].body.map((s) => {
    assert.ok(s.kind === "print" && s.args[0].kind === "scalar");
    return s.args[0].expr;
  });
  // int << 1 is an int (32-bit wrap), int & long literal is a long
  assert.ok(exprs[0].kind === "arith" && exprs[0].op === "shl" && exprs[0].cint?.bits === 32);
  assert.ok(exprs[1].kind === "arith" && exprs[1].op === "and" && exprs[1].cint?.bits === 64);
  // script integers are 64-bit
  assert.ok(exprs[2].kind === "arith" && exprs[2].cint === undefined && exprs[2].type === "i64");
  assert.ok(exprs[3].kind === "unary" && exprs[3].op === "bitnot" && exprs[3].cint?.bits === 32);
});

Deno.test("lower: ExprError records for failing conditions and built-ins inside prints", () => {
  const c = compileScript(
    'trace f { if count > 1 { print "a"; } if 1 < 2 { print "b"; } print "{}", starts_with(name, "x"); }',
    { ...OPTS, resolveVariable: movingResolver(1, []) },
  );
  const [first, second, third] = c.traces[0].ir.body;
  assert.ok(first.kind === "if" && first.error !== undefined);
  assert.equal(c.prints[first.error.printId].kind, "exprError");
  assert.equal(c.prints[first.error.printId].text, "count > 1");
  // a condition that cannot fail has none
  assert.ok(second.kind === "if" && second.error === undefined);
  assert.ok(third.kind === "print" && third.errors?.length === 1);
  const err = c.prints[third.errors[0].printId];
  assert.equal(err.text, 'starts_with(name, "x")');
  assert.deepEqual(err.format.literals, ['ExprError: starts_with(name, "x") ', ""]);
  assert.ok(third.args[0].kind !== "memory" && third.args[0].expr.kind === "guard");
  assert.notEqual(first.error.id, third.errors[0].id);
});
