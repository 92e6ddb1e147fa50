/**
 * Types by name (for `cast(expr, "TYPE")`): every non-declaration struct, union, enum, class,
 * typedef or base type DIE whose DW_AT_name is the name, in unit order, resolved to
 * {@link DwarfType}s. One pass over the units per name, cached by the caller.
 * @module
 */

import * as C from "./constants.ts";
import type { DwarfFile } from "./file.ts";
import type { DwarfType, TypeResolver } from "./types.ts";

/** Which kind of type a lookup wants (`any`: whatever kind is named so). */
export type TypeKind = "struct" | "union" | "enum" | "class" | "typedef" | "base" | "any";

const TAGS: Record<Exclude<TypeKind, "any">, number> = {
  struct: C.DW_TAG_structure_type,
  union: C.DW_TAG_union_type,
  enum: C.DW_TAG_enumeration_type,
  class: C.DW_TAG_class_type,
  typedef: C.DW_TAG_typedef,
  base: C.DW_TAG_base_type,
};

const ANY = new Set(Object.values(TAGS));

/** The types named `name` of kind `kind` (complete definitions first, declarations last). */
export function typesNamed(
  file: DwarfFile,
  types: TypeResolver,
  name: string,
  kind: TypeKind,
): DwarfType[] {
  const want = kind === "any" ? ANY : new Set([kind === "class" ? TAGS.class : TAGS[kind]]);
  if (kind === "struct") want.add(TAGS.class);
  const found: DwarfType[] = [];
  const declared: DwarfType[] = [];
  for (const unit of file.units()) {
    if (
      unit.tag !== C.DW_TAG_compile_unit && unit.tag !== C.DW_TAG_partial_unit &&
      unit.tag !== C.DW_TAG_type_unit
    ) continue;
    const tree = unit.dies();
    for (let i = 0; i < tree.count; i++) {
      if (!want.has(tree.abbrevs[i].tag)) continue;
      const d = { unit, i };
      if (file.name(d) !== name) continue;
      const t = types.resolve(d);
      if (file.flag(d, C.DW_AT_declaration)) declared.push(t);
      else found.push(t);
    }
    if (found.length > 0) break;
  }
  return [...found, ...declared];
}
