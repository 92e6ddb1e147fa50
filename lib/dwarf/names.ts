/**
 * The name index: one skim over the top-level DIEs of every unit (subtrees are jumped over via
 * DW_AT_sibling), collecting functions and global variables by name. No DIE trees are built.
 * @module
 */

import * as C from "./constants.ts";
import type { DwarfFile } from "./file.ts";
import { isLocalRefForm, readForm, skipForm } from "./forms.ts";
import { corrupt, Reader } from "./reader.ts";
import { skipAttrs, type Unit } from "./unit.ts";

/** Flags of a {@link NameEntry}. */
export const NE_CODE = 1; // has low_pc or ranges (a concrete, out-of-line instance)
export const NE_INLINE = 2; // DW_AT_inline: an abstract instance (may be inlined elsewhere)
export const NE_DECLARATION = 4;
export const NE_EXTERNAL = 8;
export const NE_ADDR_LOCATION = 16; // variable whose location starts with DW_OP_addr/addrx
export const NE_LOCATION = 32; // variable with any DW_AT_location
export const NE_DECLARED_INLINE = 64; // DW_AT_inline says the source declared it `inline`

/** One named top-level DIE. */
export interface NameEntry {
  unit: Unit;
  offset: number;
  flags: number;
}

/** Functions and variables by name. */
export interface NameIndex {
  functions: Map<string, NameEntry[]>;
  variables: Map<string, NameEntry[]>;
  /** Functions and variables by DW_AT_linkage_name, when it differs from DW_AT_name. */
  linkageNames: Map<string, NameEntry[]>;
}

/** Builds the name index with one pass over all units. */
export function buildNameIndex(file: DwarfFile): NameIndex {
  return buildIndex(file, file.units());
}

/**
 * The entries of {@link buildNameIndex} that lie in `unit` (same skim, one unit): for a name,
 * exactly the full index's entries whose `unit` is this one.
 */
export function buildUnitNameIndex(file: DwarfFile, unit: Unit): NameIndex {
  return buildIndex(file, [unit]);
}

function buildIndex(file: DwarfFile, units: Unit[]): NameIndex {
  const index: NameIndex = { functions: new Map(), variables: new Map(), linkageNames: new Map() };
  const pendingOrigins: { entry: NameEntry; origin: number; isFunction: boolean }[] = [];
  const info = file.sections.info;
  const r = new Reader(info, 0);
  for (const u of units) {
    if (u.tag !== C.DW_TAG_compile_unit && u.tag !== C.DW_TAG_partial_unit) continue;
    r.pos = u.dieOffset;
    const root = u.abbrevAt(r);
    if (!root || !root.hasChildren) continue;
    skipAttrs(r, root, u);
    skimChildren(r, u, index, pendingOrigins);
  }
  // Concrete instances named only through DW_AT_abstract_origin / DW_AT_specification.
  for (const p of pendingOrigins) {
    const name = file.quickName(p.origin);
    if (!name) continue;
    add(p.isFunction ? index.functions : index.variables, name, p.entry);
  }
  return index;
}

function add(map: Map<string, NameEntry[]>, name: string, e: NameEntry): void {
  const list = map.get(name);
  if (list) list.push(e);
  else map.set(name, [e]);
}

function skimChildren(
  r: Reader,
  u: Unit,
  index: NameIndex,
  pending: { entry: NameEntry; origin: number; isFunction: boolean }[],
): void {
  const end = u.end;
  const addrSize = u.addrSize;
  const offsetSize = u.offsetSize;
  const version = u.version;
  while (r.pos < end) {
    const dieOffset = r.pos;
    const code = r.uleb();
    if (code === 0) return; // end of the unit DIE's children
    const a = u.abbrevs.get(code);
    if (!a) return corrupt(`unknown abbreviation code ${code} at 0x${dieOffset.toString(16)}`);
    const tag = a.tag;
    let sibling = -1;
    if (tag === C.DW_TAG_subprogram || tag === C.DW_TAG_variable) {
      const names = a.names;
      const forms = a.forms;
      let namePos = -1;
      let nameForm = 0;
      let linkagePos = -1;
      let linkageForm = 0;
      let flags = 0;
      let origin = -1;
      for (let i = 0; i < names.length; i++) {
        const at = names[i];
        const form = forms[i];
        switch (at) {
          case C.DW_AT_name:
            // Decoded below, only when the entry is kept.
            namePos = r.pos;
            nameForm = form;
            skipForm(r, form, u);
            break;
          case C.DW_AT_linkage_name:
          case C.DW_AT_MIPS_linkage_name:
            linkagePos = r.pos;
            linkageForm = form;
            skipForm(r, form, u);
            break;
          case C.DW_AT_low_pc: {
            const v = readForm(r, form, u);
            if (typeof v === "number" && v !== 0 && v < 0xfffffffffffff000) flags |= NE_CODE;
            break;
          }
          case C.DW_AT_ranges:
            flags |= NE_CODE;
            skipForm(r, form, u);
            break;
          case C.DW_AT_inline: {
            const v = readForm(r, form, u, a.implicit ? a.implicit[i] : 0);
            if (v === 1 || v === 3) flags |= NE_INLINE;
            if (v === 2 || v === 3) flags |= NE_DECLARED_INLINE;
            break;
          }
          case C.DW_AT_declaration:
            if (readForm(r, form, u) !== false) flags |= NE_DECLARATION;
            break;
          case C.DW_AT_external:
            if (readForm(r, form, u) !== false) flags |= NE_EXTERNAL;
            break;
          case C.DW_AT_abstract_origin:
          case C.DW_AT_specification: {
            const v = readForm(r, form, u);
            if (isLocalRefForm(form)) origin = v as number;
            break;
          }
          case C.DW_AT_location: {
            flags |= NE_LOCATION;
            if (form === C.DW_FORM_exprloc || form === C.DW_FORM_block1) {
              const len = form === C.DW_FORM_exprloc ? r.uleb() : r.u8();
              const op = len > 0 ? r.bytes[r.pos] : 0;
              if (op === C.DW_OP_addr || op === C.DW_OP_addrx || op === C.DW_OP_GNU_addr_index) {
                flags |= NE_ADDR_LOCATION;
              }
              r.pos += len;
            } else skipForm(r, form, u);
            break;
          }
          case C.DW_AT_sibling:
            sibling = readForm(r, form, u) as number;
            break;
          default:
            skipForm(r, form, u);
        }
      }
      // Prototypes of functions defined elsewhere are not indexed (the most common DIE here).
      const keep = tag !== C.DW_TAG_subprogram || (flags & (NE_CODE | NE_INLINE)) !== 0 ||
        !(flags & NE_DECLARATION);
      if (keep) {
        const entry: NameEntry = { unit: u, offset: dieOffset, flags };
        const map = tag === C.DW_TAG_subprogram ? index.functions : index.variables;
        const save = r.pos;
        const name = namePos >= 0 ? nameAt(r, namePos, nameForm, u) : undefined;
        if (name !== undefined) add(map, name, entry);
        else if (origin >= 0) {
          pending.push({ entry, origin, isFunction: tag === C.DW_TAG_subprogram });
        }
        if (linkagePos >= 0) {
          const linkage = nameAt(r, linkagePos, linkageForm, u);
          if (linkage !== undefined && linkage !== name) add(index.linkageNames, linkage, entry);
        }
        r.pos = save;
      }
    } else {
      if (a.hasChildren && a.siblingIndex >= 0) {
        const prefix = a.siblingPrefix(addrSize, offsetSize, version);
        if (prefix >= 0) {
          sibling = siblingAt(r, r.pos + prefix, a.forms[a.siblingIndex], u);
        }
      }
      const fixed = a.fixedSize(addrSize, offsetSize, version);
      if (fixed >= 0) r.pos += fixed;
      else {
        const forms = a.forms;
        for (let i = 0; i < forms.length; i++) {
          if (i === a.siblingIndex && sibling < 0) sibling = readForm(r, forms[i], u) as number;
          else skipForm(r, forms[i], u);
        }
      }
    }
    if (a.hasChildren) {
      if (sibling > r.pos && sibling <= end) r.pos = sibling;
      else skipSubtree(r, u);
    }
  }
}

/** DW_AT_sibling value at `pos` (the reader's position is preserved). */
function siblingAt(r: Reader, pos: number, form: number, u: Unit): number {
  if (form === C.DW_FORM_ref4) return u.offset + r.view.getUint32(pos, true);
  const save = r.pos;
  r.pos = pos;
  const v = readForm(r, form, u) as number;
  r.pos = save;
  return v;
}

function nameAt(r: Reader, pos: number, form: number, u: Unit): string | undefined {
  r.pos = pos;
  const v = readForm(r, form, u);
  return typeof v === "string" ? v : undefined;
}

/** Skips the children of a DIE (the reader is just past its attributes). */
function skipSubtree(r: Reader, u: Unit): void {
  let depth = 1;
  const end = u.end;
  const addrSize = u.addrSize;
  const offsetSize = u.offsetSize;
  const version = u.version;
  while (depth > 0 && r.pos < end) {
    const code = r.uleb();
    if (code === 0) {
      depth--;
      continue;
    }
    const a = u.abbrevs.get(code);
    if (!a) {
      return corrupt(`unknown abbreviation code ${code} in unit at 0x${u.offset.toString(16)}`);
    }
    if (a.hasChildren && a.siblingIndex >= 0) {
      const prefix = a.siblingPrefix(addrSize, offsetSize, version);
      if (prefix >= 0) {
        const sib = siblingAt(r, r.pos + prefix, a.forms[a.siblingIndex], u);
        if (sib > r.pos && sib <= end) {
          r.pos = sib;
          continue;
        }
      }
    }
    const fixed = a.fixedSize(addrSize, offsetSize, version);
    if (fixed >= 0) r.pos += fixed;
    else {
      const forms = a.forms;
      for (let i = 0; i < forms.length; i++) skipForm(r, forms[i], u);
    }
    if (a.hasChildren) depth++;
  }
}
