import assert from "node:assert/strict";
import type { DwarfType } from "../lib/dwarf/index.ts";
import { parseTypeSpelling, spellingText } from "../lib/script/cast_type.ts";
import { type CompileOptions, compileScript } from "../lib/script/compiler.ts";
import { ScriptError } from "../lib/script/diagnostics.ts";
import type { VariableResolver } from "../lib/script/resolver.ts";

const INT: DwarfType = {
  kind: "base",
  name: "int",
  size: 4,
  encoding: "signed",
  signed: true,
  dieOffset: 1,
};
const NODE: DwarfType = {
  kind: "struct",
  name: "node",
  size: 8,
  members: [{ name: "a", type: INT, offset: 0 }, { name: "b", type: INT, offset: 4 }],
  declaration: false,
  dieOffset: 2,
} as DwarfType;
const VOIDP: DwarfType = {
  kind: "pointer",
  size: 8,
  target: { kind: "void", dieOffset: 0 },
  dieOffset: 3,
};

const RESOLVER: VariableResolver = {
  resolve(name) {
    if (name === "p") {
      return { value: { kind: "scalar", type: VOIDP, expr: { kind: "ctx", offset: 112 } } };
    }
    return undefined;
  },
  findType(s) {
    if (s.name === "node" && (s.tag === "struct" || s.tag === undefined)) {
      return { ok: true, type: NODE };
    }
    if (s.name === "dup") {
      return { ok: false, reason: "ambiguous", modules: ["/lib/liba.so", "/lib/libb.so"] };
    }
    return { ok: false, reason: "not-found" };
  },
};

const OPTS: CompileOptions = {
  filter: { kind: "none" },
  pidView: { kind: "host" },
  resolveVariable: RESOLVER,
};

function error(body: string): string {
  try {
    compileScript(`trace f {\n  ${body}\n}`, OPTS);
  } catch (e) {
    assert.ok(e instanceof ScriptError, String(e));
    assert.equal(e.message.split("\n").length, 3);
    return e.message;
  }
  assert.fail(`no error for ${body}`);
}

Deno.test("cast type spellings: tags, qualifiers, multi-word base names, stars, arrays", () => {
  const t = (s: string) => {
    const r = parseTypeSpelling(s);
    return typeof r === "string" ? `error: ${r}` : spellingText(r);
  };
  assert.equal(t("struct node *"), "struct node *");
  assert.equal(t("const volatile CastNode*"), "CastNode *");
  assert.equal(t("unsigned char **"), "unsigned char **");
  assert.equal(t("unsigned"), "unsigned int");
  assert.equal(t("unsigned int"), "unsigned int");
  assert.equal(t("unsigned long int *"), "unsigned long *");
  assert.equal(t("signed char"), "signed char");
  assert.equal(t("long int"), "long");
  assert.equal(t("uint32_t[4]"), "uint32_t[4]");
  assert.equal(t("u8"), "u8");
  assert.match(t("struct"), /^error: a type name is missing|needs one name/);
  assert.match(t("* int"), /^error: '\*' must come after the type name/);
  assert.match(t("struct a b"), /^error: 'struct' needs one name after it/);
  assert.match(t("foo bar"), /^error: 'foo bar' is not a type name/);
  assert.match(t("int[0]"), /^error: an array of 0 elements/);
});

Deno.test("cast: members through a cast pointer, scalar conversions, built-in spellings", () => {
  const c = compileScript(
    'trace f { print cast(p, "struct node *")->b; print cast(p, "node").a; print cast(300, "u8"); print cast(-1, "unsigned int"); print cast(2, "bool"); }',
    OPTS,
  );
  const exprs = c.traces[0].ir.body.map((s) => {
    assert.ok(s.kind === "print" && s.args[0].kind !== "memory");
    return s.args[0].expr;
  });
  // ->b: a 4-byte read at p + 4 (NULL-checked)
  assert.ok(exprs[0].kind === "read" && exprs[0].size === 4 && exprs[0].signed);
  assert.equal(c.prints[2].text, 'print cast(300, "u8");');
  // u8 of 300 keeps the low byte
  const u8 = exprs[2];
  assert.ok(u8.kind === "extend" && u8.bits === 8 && !u8.signed);
  const b = exprs[4];
  assert.ok(b.kind === "compare" && b.op === "ne");
});

Deno.test("cast: unknown and ambiguous types, bad spellings, arity: one line with a caret", () => {
  assert.equal(
    error('print cast(p, "struct missing *")->a;'),
    "script:2:17: cast: type 'struct missing' was not found in the debug info\n" +
      '  print cast(p, "struct missing *")->a;\n' +
      "                ^^^^^^^^^^^^^^^^^^",
  );
  assert.match(
    error('print cast(p, "struct dup *")->a;'),
    /^script:2:17: cast: type 'struct dup' is ambiguous: it is defined in 2 other modules \(\/lib\/liba\.so, \/lib\/libb\.so\) and not in the probed one/,
  );
  assert.match(
    error('print cast(p, "node node");'),
    /^script:2:17: cast: "node node" is not a type/,
  );
  assert.match(
    error("print cast(p, 5);"),
    /^script:2:17: argument 2 of cast \(TYPE\) must be a string literal/,
  );
  assert.match(error("print cast(p);"), /^script:2:9: cast takes 2 arguments/);
  assert.match(error('print cast("x", "int");'), /string literals can only be used/);
  assert.match(error('print cast(p, "float");'), /floats are not supported/);
  assert.match(error('print cas(p, "int");'), /unknown function 'cas' \(did you mean 'cast'\?\)/);
});
