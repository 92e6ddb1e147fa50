/**
 * The type spellings `cast(expr, "TYPE")` accepts: `[const|volatile] [struct|union|enum|class]
 * NAME [*...] [[N]]`, with C's multi-word base names (`unsigned char`, `long long`) and the short
 * spellings `u8` .. `u64`, `i8` .. `i64`. NAME is looked up in the debug info (the current
 * module first); C base names, `intN_t` / `uintN_t` and the short spellings also exist without
 * it ({@link builtinType}).
 * @module
 */

import type { DwarfType } from "../dwarf/index.ts";

/** A parsed type spelling. */
export interface TypeSpelling {
  /** `struct`, `union`, `enum`, `class` when written. */
  tag?: "struct" | "union" | "enum" | "class";
  /** The name (multi-word base names joined by one space). */
  name: string;
  /** Number of `*`. */
  pointers: number;
  /** `[N]` after the stars: an array of N. */
  array?: number;
}

const QUALIFIERS = new Set(["const", "volatile", "restrict"]);
const TAGS = new Set(["struct", "union", "enum", "class"]);
const BASE_WORDS = new Set(["unsigned", "signed", "char", "short", "int", "long"]);

/** Parses a type spelling; the string is why it is not one. */
export function parseTypeSpelling(text: string): TypeSpelling | string {
  const m = /^(.*?)(\[\s*(\d+)\s*\])?\s*$/.exec(text.trim());
  if (!m) return "not a type";
  const array = m[3] !== undefined ? Number(m[3]) : undefined;
  let body = m[1];
  let pointers = 0;
  body = body.replace(/\*/g, () => {
    pointers++;
    return " * ";
  });
  const words = body.split(/\s+/).filter((w) => w !== "" && !QUALIFIERS.has(w));
  // every star comes after the name
  const firstStar = words.indexOf("*");
  if (firstStar >= 0 && words.slice(firstStar).some((w) => w !== "*")) {
    return "'*' must come after the type name";
  }
  const names = firstStar >= 0 ? words.slice(0, firstStar) : words;
  if (names.length === 0) return "a type name is missing";
  let tag: TypeSpelling["tag"];
  if (TAGS.has(names[0])) {
    tag = names.shift() as TypeSpelling["tag"];
    if (names.length !== 1) return `'${tag}' needs one name after it`;
  }
  for (const w of names) {
    if (!/^[A-Za-z_][A-Za-z0-9_:]*$/.test(w)) return `'${w}' is not a type name`;
  }
  if (names.length > 1 && !names.every((w) => BASE_WORDS.has(w))) {
    return `'${names.join(" ")}' is not a type name`;
  }
  if (array !== undefined && array === 0) return "an array of 0 elements";
  return { tag, name: normalizeBase(names), pointers, array };
}

/** C's spellings of one base type brought to the DWARF name (`unsigned` is `unsigned int`). */
function normalizeBase(words: string[]): string {
  if (words.length === 1) {
    if (words[0] === "unsigned") return "unsigned int";
    if (words[0] === "signed") return "int";
    return words[0];
  }
  // `long int` is `long`, `short int` is `short`; `signed` is the default but for char
  let w = words.filter((x, i) =>
    !(x === "int" && (words[i - 1] === "long" || words[i - 1] === "short"))
  );
  if (w.length > 1 && w[0] === "signed" && w[1] !== "char") w = w.slice(1);
  if (w.length === 1 && w[0] === "signed") w = ["int"];
  return w.join(" ");
}

/** The spelling as text (`struct node *`, `uint32_t[4]`). */
export function spellingText(s: TypeSpelling): string {
  const base = s.tag ? `${s.tag} ${s.name}` : s.name;
  const stars = s.pointers ? ` ${"*".repeat(s.pointers)}` : "";
  return `${base}${stars}${s.array !== undefined ? `[${s.array}]` : ""}`;
}

function base(
  name: string,
  size: number,
  signed: boolean,
  encoding: "signed" | "unsigned" | "char" | "bool" | "float",
): DwarfType {
  return { kind: "base", name, size, encoding, signed, dieOffset: 0 };
}

/** Short spellings, always built in (never looked up). */
const SHORT: Record<string, DwarfType> = {
  u8: base("u8", 1, false, "unsigned"),
  i8: base("i8", 1, true, "signed"),
  u16: base("u16", 2, false, "unsigned"),
  i16: base("i16", 2, true, "signed"),
  u32: base("u32", 4, false, "unsigned"),
  i32: base("i32", 4, true, "signed"),
  u64: base("u64", 8, false, "unsigned"),
  i64: base("i64", 8, true, "signed"),
};

/** C spellings available without debug info (looked up in it first). */
const C_BASE: Record<string, DwarfType> = {
  "char": base("char", 1, true, "char"),
  "signed char": base("signed char", 1, true, "char"),
  "unsigned char": base("unsigned char", 1, false, "char"),
  "short": base("short", 2, true, "signed"),
  "unsigned short": base("unsigned short", 2, false, "unsigned"),
  "int": base("int", 4, true, "signed"),
  "unsigned int": base("unsigned int", 4, false, "unsigned"),
  "long": base("long", 8, true, "signed"),
  "unsigned long": base("unsigned long", 8, false, "unsigned"),
  "long long": base("long long", 8, true, "signed"),
  "unsigned long long": base("unsigned long long", 8, false, "unsigned"),
  "bool": base("bool", 1, false, "bool"),
  "_Bool": base("_Bool", 1, false, "bool"),
  "float": base("float", 4, true, "float"),
  "double": base("double", 8, true, "float"),
  "int8_t": base("int8_t", 1, true, "signed"),
  "uint8_t": base("uint8_t", 1, false, "unsigned"),
  "int16_t": base("int16_t", 2, true, "signed"),
  "uint16_t": base("uint16_t", 2, false, "unsigned"),
  "int32_t": base("int32_t", 4, true, "signed"),
  "uint32_t": base("uint32_t", 4, false, "unsigned"),
  "int64_t": base("int64_t", 8, true, "signed"),
  "uint64_t": base("uint64_t", 8, false, "unsigned"),
  "size_t": base("size_t", 8, false, "unsigned"),
  "ssize_t": base("ssize_t", 8, true, "signed"),
  "uintptr_t": base("uintptr_t", 8, false, "unsigned"),
  "intptr_t": base("intptr_t", 8, true, "signed"),
};

const VOID: DwarfType = { kind: "void", dieOffset: 0 };

/**
 * A type that needs no debug info: `short` names always, C base names when `fallback` (the
 * debug info had none of that name).
 */
export function builtinType(s: TypeSpelling, fallback: boolean): DwarfType | undefined {
  if (s.tag) return undefined;
  const short = SHORT[s.name];
  if (short) return short;
  if (!fallback) return undefined;
  if (s.name === "void") return VOID;
  return C_BASE[s.name];
}

/** True for the spellings {@link builtinType} answers without a lookup. */
export function isShortSpelling(s: TypeSpelling): boolean {
  return !s.tag && SHORT[s.name] !== undefined;
}

/** `t` with the spelling's stars and array applied. */
export function applyDeclarator(t: DwarfType, s: TypeSpelling): DwarfType {
  let out = t;
  for (let i = 0; i < s.pointers; i++) {
    out = { kind: "pointer", size: 8, target: out, dieOffset: 0 };
  }
  if (s.array !== undefined) {
    out = { kind: "array", element: out, count: s.array, dieOffset: 0 } as DwarfType;
  }
  return out;
}
