/**
 * `.debug_abbrev` tables. Each abbreviation caches the byte size of its attributes when every
 * form has a fixed size, so skipping a DIE is one addition in the common case.
 * @module
 */

import { DW_AT_sibling, DW_FORM_implicit_const } from "./constants.ts";
import { fixedFormSize } from "./forms.ts";
import { corrupt, Reader } from "./reader.ts";

/** One abbreviation declaration. */
export class Abbrev {
  readonly code: number;
  readonly tag: number;
  readonly hasChildren: boolean;
  /** Attribute names, in order. */
  readonly names: Uint16Array;
  /** Attribute forms, parallel to {@link names}. */
  readonly forms: Uint16Array;
  /** DW_FORM_implicit_const values, parallel to {@link names} (0 elsewhere). */
  readonly implicit: Float64Array | null;
  /** Index of DW_AT_sibling in {@link names}, or -1. */
  readonly siblingIndex: number;

  // Size cache, valid for one (addrSize, offsetSize, version) key.
  private sizeKey = -1;
  private fixed = -1;
  private sibPrefix = -1;

  constructor(
    code: number,
    tag: number,
    hasChildren: boolean,
    names: Uint16Array,
    forms: Uint16Array,
    implicit: Float64Array | null,
  ) {
    this.code = code;
    this.tag = tag;
    this.hasChildren = hasChildren;
    this.names = names;
    this.forms = forms;
    this.implicit = implicit;
    this.siblingIndex = names.indexOf(DW_AT_sibling);
  }

  private compute(addrSize: number, offsetSize: number, version: number): void {
    const key = addrSize * 1000 + offsetSize * 100 + version;
    if (key === this.sizeKey) return;
    this.sizeKey = key;
    let total = 0;
    let prefix = -1;
    for (let i = 0; i < this.forms.length; i++) {
      if (i === this.siblingIndex && total >= 0) prefix = total;
      const s = fixedFormSize(this.forms[i], addrSize, offsetSize, version);
      if (s < 0 || total < 0) total = -1;
      else total += s;
    }
    this.fixed = total;
    this.sibPrefix = prefix;
  }

  /** Total attribute bytes when all forms are fixed-size, else -1. */
  fixedSize(addrSize: number, offsetSize: number, version: number): number {
    this.compute(addrSize, offsetSize, version);
    return this.fixed;
  }

  /** Byte offset of the DW_AT_sibling value from the attribute start when it is constant, else -1. */
  siblingPrefix(addrSize: number, offsetSize: number, version: number): number {
    this.compute(addrSize, offsetSize, version);
    return this.sibPrefix;
  }
}

/** Abbreviations of one table, indexed by code. */
export class AbbrevTable {
  private readonly dense: (Abbrev | undefined)[] = [];
  private readonly sparse = new Map<number, Abbrev>();

  add(a: Abbrev): void {
    if (a.code < 4096) this.dense[a.code] = a;
    else this.sparse.set(a.code, a);
  }

  get(code: number): Abbrev | undefined {
    return code < 4096 ? this.dense[code] : this.sparse.get(code);
  }
}

/** Parses the abbreviation table starting at `offset` of `.debug_abbrev`. */
export function parseAbbrevTable(section: Uint8Array, offset: number): AbbrevTable {
  if (offset >= section.length) corrupt(`abbrev offset 0x${offset.toString(16)} past section end`);
  const r = new Reader(section, offset);
  const table = new AbbrevTable();
  const names: number[] = [];
  const forms: number[] = [];
  const implicit: number[] = [];
  while (r.pos < section.length) {
    const code = r.uleb();
    if (code === 0) break;
    const tag = r.uleb();
    const hasChildren = r.u8() !== 0;
    names.length = 0;
    forms.length = 0;
    implicit.length = 0;
    let anyImplicit = false;
    for (;;) {
      const name = r.uleb();
      const form = r.uleb();
      if (name === 0 && form === 0) break;
      let value = 0;
      if (form === DW_FORM_implicit_const) {
        value = r.sleb();
        anyImplicit = true;
      }
      names.push(name);
      forms.push(form);
      implicit.push(value);
    }
    table.add(
      new Abbrev(
        code,
        tag,
        hasChildren,
        Uint16Array.from(names),
        Uint16Array.from(forms),
        anyImplicit ? Float64Array.from(implicit) : null,
      ),
    );
  }
  return table;
}
