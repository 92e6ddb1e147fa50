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
  readonly names: readonly number[];
  /** Attribute forms, parallel to {@link names}. */
  readonly forms: readonly number[];
  /** DW_FORM_implicit_const values, parallel to {@link names} (0 elsewhere). */
  readonly implicit: readonly number[] | null;
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
    names: readonly number[],
    forms: readonly number[],
    implicit: readonly number[] | null,
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

/**
 * Abbreviations of one table, indexed by code. The table is parsed lazily: a cheap skim records
 * where each declaration starts (only as far as the codes asked for), and an {@link Abbrev}
 * object is built the first time its code is used.
 */
export class AbbrevTable {
  private readonly section: Uint8Array;
  /** Declaration start by code (dense part) / sparse codes. */
  private readonly denseAt: number[] = [];
  private readonly sparseAt = new Map<number, number>();
  private readonly dense: (Abbrev | undefined)[] = [];
  private readonly sparse = new Map<number, Abbrev>();
  private readonly reader: Reader;
  private done = false;

  constructor(section: Uint8Array, offset: number) {
    if (offset >= section.length) {
      corrupt(`abbrev offset 0x${offset.toString(16)} past section end`);
    }
    this.section = section;
    this.reader = new Reader(section, offset);
  }

  get(code: number): Abbrev | undefined {
    const hit = code < 4096 ? this.dense[code] : this.sparse.get(code);
    if (hit) return hit;
    let at = code < 4096 ? this.denseAt[code] : this.sparseAt.get(code);
    if (at === undefined) {
      at = this.scanTo(code);
      if (at === undefined) return undefined;
    }
    const a = buildAbbrev(this.section, at);
    if (code < 4096) this.dense[code] = a;
    else this.sparse.set(code, a);
    return a;
  }

  /** Skims declarations from where the last skim stopped until `code` is seen. */
  private scanTo(code: number): number | undefined {
    if (this.done) return undefined;
    const r = this.reader;
    const b = this.section;
    while (r.pos < b.length) {
      const start = r.pos;
      const c = r.uleb();
      if (c === 0) {
        this.done = true;
        return undefined;
      }
      if (c < 4096) this.denseAt[c] = start;
      else this.sparseAt.set(c, start);
      r.skipLeb(); // tag
      r.pos++; // children flag
      for (;;) {
        const name = r.uleb();
        const form = r.uleb();
        if (name === 0 && form === 0) break;
        if (form === DW_FORM_implicit_const) r.skipLeb();
      }
      if (c === code) return start;
    }
    this.done = true;
    return undefined;
  }
}

/** Builds the declaration starting at `pos` (its code). */
function buildAbbrev(section: Uint8Array, pos: number): Abbrev {
  const r = new Reader(section, pos);
  const code = r.uleb();
  const tag = r.uleb();
  const hasChildren = r.u8() !== 0;
  const names: number[] = [];
  const forms: number[] = [];
  let implicit: number[] | null = null;
  for (;;) {
    const name = r.uleb();
    const form = r.uleb();
    if (name === 0 && form === 0) break;
    if (form === DW_FORM_implicit_const) {
      implicit ??= [];
      implicit[names.length] = r.sleb();
    }
    names.push(name);
    forms.push(form);
  }
  if (implicit) { for (let i = 0; i < names.length; i++) implicit[i] ??= 0; }
  return new Abbrev(code, tag, hasChildren, names, forms, implicit);
}

/** The abbreviation table starting at `offset` of `.debug_abbrev` (parsed lazily). */
export function parseAbbrevTable(section: Uint8Array, offset: number): AbbrevTable {
  return new AbbrevTable(section, offset);
}
