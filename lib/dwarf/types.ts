/**
 * The type model: DIEs resolved into plain objects (base, pointer, struct/union, array, typedef,
 * qualifiers, enum, function), their C spelling, and member lookup with suggestions.
 * @module
 */

import * as C from "./constants.ts";
import { evaluateValue } from "./expr.ts";
import type { DieRef, DwarfFile } from "./file.ts";
import { isBlockForm, isConstantForm } from "./forms.ts";
import { closeNames } from "./suggest.ts";

/** Encoding of a base type. `char` covers DW_ATE_signed_char / unsigned_char. */
export type BaseEncoding = "signed" | "unsigned" | "bool" | "float" | "char" | "other";

/** A struct or union member. Offsets are from the start of the enclosing aggregate. */
export interface Member {
  /** Undefined for anonymous struct/union members. */
  name?: string;
  type: DwarfType;
  /** Byte offset (for bitfields: of the byte holding the first bit). */
  offset: number;
  /** Bitfield: width in bits and offset in bits from the aggregate start (little-endian). */
  bitfield?: { bitSize: number; bitOffset: number };
}

/** A resolved type. `dieOffset` identifies the DIE it came from (0 for synthesized `void`). */
export type DwarfType =
  | { kind: "void"; dieOffset: number }
  | {
    kind: "base";
    name: string;
    size: number;
    encoding: BaseEncoding;
    signed: boolean;
    dieOffset: number;
  }
  | { kind: "pointer"; size: number; target: DwarfType; dieOffset: number }
  | {
    kind: "struct" | "union";
    name?: string;
    size: number;
    members: Member[];
    /** Forward declaration only (no members known). */
    declaration: boolean;
    dieOffset: number;
  }
  | {
    kind: "array";
    element: DwarfType;
    /** Element count; undefined for `[]` (flexible or unknown bound). */
    count?: number;
    dieOffset: number;
  }
  | { kind: "typedef"; name: string; target: DwarfType; dieOffset: number }
  | { kind: "const" | "volatile" | "restrict" | "atomic"; target: DwarfType; dieOffset: number }
  | {
    kind: "enum";
    name?: string;
    size: number;
    signed: boolean;
    enumerators: { name: string; value: number }[];
    declaration: boolean;
    dieOffset: number;
  }
  | {
    kind: "function";
    returns: DwarfType;
    params: DwarfType[];
    variadic: boolean;
    prototyped: boolean;
    dieOffset: number;
  }
  | { kind: "unknown"; tag: number; name?: string; dieOffset: number };

const VOID: DwarfType = { kind: "void", dieOffset: 0 };

/** Resolves type DIEs into {@link DwarfType}s, caching by DIE offset (cycles are shared objects). */
export class TypeResolver {
  private readonly cache = new Map<number, DwarfType>();

  constructor(private readonly file: DwarfFile) {}

  /** The type of a DIE that has DW_AT_type (variable, member, ...): `void` when absent. */
  typeOf(d: DieRef): DwarfType {
    const t = this.file.typeRef(d);
    return t ? this.resolve(t) : VOID;
  }

  /** Resolves the type DIE `d`. */
  resolve(d: DieRef): DwarfType {
    const f = this.file;
    const off = f.offsetOf(d);
    const hit = this.cache.get(off);
    if (hit) return hit;
    const sig = f.has(d, C.DW_AT_signature) ? f.signatureTarget(d) : undefined;
    if (sig) return this.put(off, this.resolve(sig));
    const tag = f.tag(d);
    const name = f.name(d);
    const size = f.num(d, C.DW_AT_byte_size) ?? 0;
    switch (tag) {
      case C.DW_TAG_base_type: {
        const enc = f.num(d, C.DW_AT_encoding) ?? 0;
        let encoding: BaseEncoding = "other";
        let signed = false;
        switch (enc) {
          case C.DW_ATE_signed:
            encoding = "signed";
            signed = true;
            break;
          case C.DW_ATE_unsigned:
          case C.DW_ATE_address:
            encoding = "unsigned";
            break;
          case C.DW_ATE_boolean:
            encoding = "bool";
            break;
          case C.DW_ATE_float:
            encoding = "float";
            signed = true;
            break;
          case C.DW_ATE_signed_char:
            encoding = "char";
            signed = true;
            break;
          case C.DW_ATE_unsigned_char:
          case C.DW_ATE_UTF:
            encoding = "char";
            break;
        }
        return this.put(off, {
          kind: "base",
          name: name ?? "?",
          size,
          encoding,
          signed,
          dieOffset: off,
        });
      }
      case C.DW_TAG_pointer_type:
      case C.DW_TAG_reference_type:
      case C.DW_TAG_rvalue_reference_type: {
        const t: DwarfType = {
          kind: "pointer",
          size: size || d.unit.addrSize,
          target: VOID,
          dieOffset: off,
        };
        this.cache.set(off, t);
        t.target = this.typeOf(d);
        return t;
      }
      case C.DW_TAG_const_type:
      case C.DW_TAG_volatile_type:
      case C.DW_TAG_restrict_type:
      case C.DW_TAG_atomic_type: {
        const kind = tag === C.DW_TAG_const_type
          ? "const"
          : tag === C.DW_TAG_volatile_type
          ? "volatile"
          : tag === C.DW_TAG_restrict_type
          ? "restrict"
          : "atomic";
        const t: DwarfType = { kind, target: VOID, dieOffset: off };
        this.cache.set(off, t);
        t.target = this.typeOf(d);
        return t;
      }
      case C.DW_TAG_typedef: {
        const t: DwarfType = { kind: "typedef", name: name ?? "?", target: VOID, dieOffset: off };
        this.cache.set(off, t);
        t.target = this.typeOf(d);
        return t;
      }
      case C.DW_TAG_structure_type:
      case C.DW_TAG_class_type:
      case C.DW_TAG_union_type: {
        const t: DwarfType = {
          kind: tag === C.DW_TAG_union_type ? "union" : "struct",
          name,
          size,
          members: [],
          declaration: f.flag(d, C.DW_AT_declaration),
          dieOffset: off,
        };
        this.cache.set(off, t);
        for (const c of d.unit.dies().children(d.i)) {
          const cd = { unit: d.unit, i: c };
          if (f.tag(cd) !== C.DW_TAG_member) continue;
          t.members.push(this.member(cd, t.kind === "union"));
        }
        return t;
      }
      case C.DW_TAG_array_type: {
        const element = this.typeOf(d);
        const dims: (number | undefined)[] = [];
        for (const c of d.unit.dies().children(d.i)) {
          const cd = { unit: d.unit, i: c };
          if (f.tag(cd) !== C.DW_TAG_subrange_type && f.tag(cd) !== C.DW_TAG_enumeration_type) {
            continue;
          }
          dims.push(this.subrangeCount(cd));
        }
        if (dims.length === 0) dims.push(undefined);
        // Innermost dimension last: int a[2][3] is array(2) of array(3) of int.
        let t: DwarfType = element;
        for (let k = dims.length - 1; k >= 0; k--) {
          t = { kind: "array", element: t, count: dims[k], dieOffset: off };
        }
        return this.put(off, t);
      }
      case C.DW_TAG_enumeration_type: {
        const under = f.typeRef(d);
        const underlying = under ? this.resolve(under) : undefined;
        const enumerators: { name: string; value: number }[] = [];
        const t: DwarfType = {
          kind: "enum",
          name,
          size: size || (underlying ? typeSize(underlying) ?? 4 : 4),
          signed: underlying ? isSigned(underlying) : false,
          enumerators,
          declaration: f.flag(d, C.DW_AT_declaration),
          dieOffset: off,
        };
        this.cache.set(off, t);
        let anyNegative = false;
        for (const c of d.unit.dies().children(d.i)) {
          const cd = { unit: d.unit, i: c };
          if (f.tag(cd) !== C.DW_TAG_enumerator) continue;
          const v = f.attr(cd, C.DW_AT_const_value);
          const value = typeof v?.value === "number" ? v.value : 0;
          if (value < 0) anyNegative = true;
          enumerators.push({ name: f.name(cd) ?? "?", value });
        }
        if (!underlying) t.signed = anyNegative;
        return t;
      }
      case C.DW_TAG_subroutine_type:
      case C.DW_TAG_subprogram: {
        const t: DwarfType = {
          kind: "function",
          returns: VOID,
          params: [],
          variadic: false,
          prototyped: f.flag(d, C.DW_AT_prototyped),
          dieOffset: off,
        };
        this.cache.set(off, t);
        t.returns = this.typeOf(d);
        for (const c of d.unit.dies().children(d.i)) {
          const cd = { unit: d.unit, i: c };
          const ct = f.tag(cd);
          if (ct === C.DW_TAG_formal_parameter) t.params.push(this.typeOf(cd));
          else if (ct === C.DW_TAG_unspecified_parameters) t.variadic = true;
        }
        return t;
      }
      case C.DW_TAG_unspecified_type:
        return this.put(off, { kind: "void", dieOffset: off });
      default:
        return this.put(off, { kind: "unknown", tag, name, dieOffset: off });
    }
  }

  private put(off: number, t: DwarfType): DwarfType {
    this.cache.set(off, t);
    return t;
  }

  private subrangeCount(d: DieRef): number | undefined {
    const f = this.file;
    const count = f.attr(d, C.DW_AT_count);
    if (count && isConstantForm(count.form)) return count.value as number;
    const ub = f.attr(d, C.DW_AT_upper_bound);
    if (!ub || !isConstantForm(ub.form)) return undefined; // VLA or flexible array
    let upper = ub.value as number;
    // data1/2/4 forms of -1 mean "no upper bound" (zero-length / flexible arrays).
    if (ub.form === C.DW_FORM_data1 && upper === 0xff) upper = -1;
    else if (ub.form === C.DW_FORM_data2 && upper === 0xffff) upper = -1;
    else if (ub.form === C.DW_FORM_data4 && upper === 0xffffffff) upper = -1;
    else if (ub.form === C.DW_FORM_data8 && upper >= 0xffffffffffff0000) upper = -1;
    const lbAttr = f.attr(d, C.DW_AT_lower_bound);
    const lower = lbAttr && typeof lbAttr.value === "number" ? lbAttr.value : 0;
    return Math.max(0, upper - lower + 1);
  }

  private member(d: DieRef, inUnion: boolean): Member {
    const f = this.file;
    const type = this.typeOf(d);
    let offset = 0;
    const loc = f.attr(d, C.DW_AT_data_member_location);
    if (loc) {
      if (isConstantForm(loc.form)) offset = loc.value as number;
      else if (isBlockForm(loc.form)) {
        const v = evaluateValue(loc.value as Uint8Array, { unit: d.unit, pc: 0 }, {
          t: "const",
          v: 0n,
        });
        if ("node" in v && v.node.t === "const") offset = Number(v.node.v);
      }
    } else if (!inUnion) {
      offset = 0;
    }
    const m: Member = { name: f.name(d), type, offset };
    const bitSize = f.num(d, C.DW_AT_bit_size, false);
    if (bitSize !== undefined) {
      const dbo = f.num(d, C.DW_AT_data_bit_offset, false);
      let bitOffset: number;
      if (dbo !== undefined) bitOffset = dbo;
      else {
        // DWARF 2/3: DW_AT_bit_offset counts from the most significant bit of the storage unit.
        const storage = f.num(d, C.DW_AT_byte_size, false) ?? typeSize(type) ?? 4;
        const bo = f.num(d, C.DW_AT_bit_offset, false) ?? 0;
        bitOffset = offset * 8 + storage * 8 - bo - bitSize;
      }
      m.offset = Math.floor(bitOffset / 8);
      m.bitfield = { bitSize, bitOffset };
    }
    return m;
  }
}

/** Removes typedefs and cv/restrict/atomic qualifiers. */
export function stripType(t: DwarfType): DwarfType {
  for (let i = 0; i < 64; i++) {
    switch (t.kind) {
      case "typedef":
      case "const":
      case "volatile":
      case "restrict":
      case "atomic":
        t = t.target;
        continue;
    }
    return t;
  }
  return t;
}

/** Size in bytes, or undefined when unknown (void, functions, incomplete arrays). */
export function typeSize(t: DwarfType): number | undefined {
  const s = stripType(t);
  switch (s.kind) {
    case "base":
    case "pointer":
    case "enum":
      return s.size;
    case "struct":
    case "union":
      return s.declaration ? undefined : s.size;
    case "array": {
      if (s.count === undefined) return undefined;
      const e = typeSize(s.element);
      return e === undefined ? undefined : e * s.count;
    }
    default:
      return undefined;
  }
}

/** True for signed integer, signed char, float and signed enum types. */
export function isSigned(t: DwarfType): boolean {
  const s = stripType(t);
  return (s.kind === "base" || s.kind === "enum") && s.signed;
}

/**
 * The C spelling of a type, optionally declaring `name`: `char *`, `const char *`,
 * `struct request *`, `char [32]`, `int (*)(struct request *, int)`, `char *argv[]`.
 */
export function describeType(t: DwarfType, name = ""): string {
  return spell(t, name, 0);
}

/** GCC's base type names as gdb (and C programmers) spell them. */
const CANONICAL_BASE: Record<string, string> = {
  "short int": "short",
  "short unsigned int": "unsigned short",
  "long int": "long",
  "long unsigned int": "unsigned long",
  "long long int": "long long",
  "long long unsigned int": "unsigned long long",
};

function head(t: DwarfType): string {
  switch (t.kind) {
    case "void":
      return "void";
    case "base":
      return CANONICAL_BASE[t.name] ?? t.name;
    case "struct":
    case "union":
      return t.name ? `${t.kind} ${t.name}` : `${t.kind} {...}`;
    case "enum":
      return t.name ? `enum ${t.name}` : "enum {...}";
    case "typedef":
      return t.name;
    case "unknown":
      return t.name ?? `<unknown type 0x${t.tag.toString(16)}>`;
    default:
      return "?";
  }
}

function join(base: string, inner: string): string {
  return inner ? `${base} ${inner}` : base;
}

function spell(t: DwarfType, inner: string, depth: number): string {
  if (depth > 32) return join("...", inner);
  switch (t.kind) {
    case "pointer": {
      const tt = t.target;
      const wrapped = tt.kind === "array" || tt.kind === "function" ? `(*${inner})` : `*${inner}`;
      return spell(tt, wrapped, depth + 1);
    }
    case "array":
      return spell(t.element, `${inner}[${t.count ?? ""}]`, depth + 1);
    case "function": {
      const params = t.params.map((p) => spell(p, "", depth + 1));
      if (t.variadic) params.push("...");
      if (params.length === 0 && t.prototyped) params.push("void");
      return spell(t.returns, `${inner}(${params.join(", ")})`, depth + 1);
    }
    case "const":
    case "volatile":
    case "restrict":
    case "atomic": {
      const q = t.kind === "atomic" ? "_Atomic" : t.kind;
      if (t.target.kind === "pointer") {
        return spell(t.target, inner ? `${q} ${inner}` : q, depth + 1);
      }
      return `${q} ${spell(t.target, inner, depth + 1)}`;
    }
    default:
      return join(head(t), inner);
  }
}

/** Result of {@link memberOf}. */
export type MemberLookup =
  | {
    ok: true;
    member: Member;
    /** Offset from the start of the (stripped) aggregate, through anonymous members. */
    offset: number;
    type: DwarfType;
  }
  | { ok: false; reason: "not-aggregate"; typeName: string }
  | { ok: false; reason: "incomplete"; typeName: string }
  | { ok: false; reason: "no-member"; typeName: string; suggestions: string[] };

/**
 * Looks up member `name` of a struct/union type (typedefs and qualifiers stripped; anonymous
 * struct/union members searched). Does not dereference pointers.
 */
export function memberOf(type: DwarfType, name: string): MemberLookup {
  const s = stripType(type);
  if (s.kind !== "struct" && s.kind !== "union") {
    return { ok: false, reason: "not-aggregate", typeName: describeType(type) };
  }
  if (s.declaration && s.members.length === 0) {
    return { ok: false, reason: "incomplete", typeName: describeType(type) };
  }
  const found = findMember(s.members, name, 0);
  if (found) return { ok: true, member: found.m, offset: found.offset, type: found.m.type };
  return {
    ok: false,
    reason: "no-member",
    typeName: describeType(type),
    suggestions: closeNames(name, memberNames(s.members)),
  };
}

function findMember(
  members: Member[],
  name: string,
  base: number,
): { m: Member; offset: number } | undefined {
  for (const m of members) {
    if (m.name === name) return { m, offset: base + m.offset };
  }
  for (const m of members) {
    if (m.name !== undefined) continue;
    const s = stripType(m.type);
    if (s.kind === "struct" || s.kind === "union") {
      const r = findMember(s.members, name, base + m.offset);
      if (r) return r;
    }
  }
  return undefined;
}

/** Member names, including those reachable through anonymous members. */
export function memberNames(members: Member[]): string[] {
  const out: string[] = [];
  for (const m of members) {
    if (m.name !== undefined) out.push(m.name);
    else {
      const s = stripType(m.type);
      if (s.kind === "struct" || s.kind === "union") out.push(...memberNames(s.members));
    }
  }
  return out;
}
