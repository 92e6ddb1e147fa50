/**
 * DWARF type → {@link Layout} (how userspace renders the bytes of a value): bounded to
 * {@link MAX_LAYOUT_DEPTH} levels of nested structs and unions, typedefs and qualifiers stripped,
 * anonymous members flattened, `char[N]` as strings.
 * @module
 */

import { describeType, type DwarfType, stripType, typeSize } from "../../dwarf/index.ts";
import type { Layout, LayoutField } from "../layout.ts";

/** Levels of structs / unions shown (the top level counts as 1). */
export const MAX_LAYOUT_DEPTH = 2;

/** The layout of `t`; `depth` is the number of enclosing aggregates already shown. */
export function layoutOf(t: DwarfType, depth = 0): Layout {
  const s = stripType(t);
  switch (s.kind) {
    case "base": {
      const size = s.size;
      switch (s.encoding) {
        case "bool":
          return { kind: "bool", size };
        case "float":
          return { kind: "float", size };
        case "char":
          return { kind: "char", size, signed: s.signed };
        default:
          return { kind: "int", size, signed: s.signed };
      }
    }
    case "enum": {
      const names = new Map<bigint, string>();
      for (const e of s.enumerators) {
        const v = BigInt(e.value);
        if (!names.has(v)) names.set(v, e.name);
        // an unsigned enum whose value was stored negative: accept both spellings
        const u = BigInt.asUintN(s.size * 8, v);
        if (!names.has(u)) names.set(u, e.name);
      }
      return { kind: "enum", size: s.size, signed: s.signed, names };
    }
    case "pointer":
      return { kind: "pointer", size: s.size };
    case "array": {
      const el = stripType(s.element);
      const elSize = typeSize(s.element) ?? 0;
      if (s.count === undefined) return { kind: "opaque", size: 0, text: "[]" };
      if (el.kind === "base" && el.encoding === "char" && el.size === 1) {
        return { kind: "chars", size: s.count };
      }
      return {
        kind: "array",
        size: elSize * s.count,
        element: layoutOf(s.element, depth),
        elementSize: elSize,
        count: s.count,
      };
    }
    case "struct":
    case "union": {
      const size = s.declaration ? 0 : s.size;
      if (depth >= MAX_LAYOUT_DEPTH) return { kind: "opaque", size, text: "{...}" };
      const fields: LayoutField[] = [];
      collectFields(s.members, 0, depth + 1, fields);
      return { kind: "struct", name: describeType(t), size, fields };
    }
    case "function":
      return { kind: "opaque", size: 0, text: "<function>" };
    default:
      return { kind: "opaque", size: typeSize(t) ?? 0, text: `<${describeType(t)}>` };
  }
}

function collectFields(
  members: readonly {
    name?: string;
    type: DwarfType;
    offset: number;
    bitfield?: { bitSize: number; bitOffset: number };
  }[],
  base: number,
  depth: number,
  out: LayoutField[],
): void {
  for (const m of members) {
    if (m.name === undefined) {
      const s = stripType(m.type);
      if (s.kind === "struct" || s.kind === "union") {
        collectFields(s.members, base + m.offset, depth, out);
        continue;
      }
    }
    const layout = layoutOf(m.type, depth);
    if (m.bitfield) {
      out.push({
        name: m.name ?? "<anonymous>",
        offset: base,
        layout,
        bits: { size: m.bitfield.bitSize, offset: m.bitfield.bitOffset },
      });
    } else {
      out.push({ name: m.name ?? "<anonymous>", offset: base + m.offset, layout });
    }
  }
}
