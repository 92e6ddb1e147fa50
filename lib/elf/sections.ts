/**
 * Section headers, with names resolved through the section-name string table (`e_shstrndx`).
 *
 * @module
 */

import { type ByteReader, hex } from "./bytes.ts";
import { SHDR64_SIZE, SHT_NOBITS, SHT_NULL } from "./constants.ts";
import type { ElfHeader } from "./header.ts";

/** One decoded `Elf64_Shdr` plus its index and resolved name. */
export interface SectionHeader {
  /** Index in the section header table. */
  readonly index: number;
  /** Name from the section-name string table ("" when there is none). */
  readonly name: string;
  /** `sh_type`: SHT_PROGBITS, SHT_SYMTAB, SHT_NOBITS, ... */
  readonly type: number;
  /**
   * `sh_flags` (SHF_ALLOC, SHF_EXECINSTR, SHF_COMPRESSED, ...). Only the low 32 bits are kept;
   * every flag defined for x86_64 lives there.
   */
  readonly flags: number;
  /** `sh_addr`, link-time address when the section is allocated, else 0. */
  readonly addr: number;
  /** `sh_offset`, file offset of the (possibly compressed) bytes. */
  readonly offset: number;
  /** `sh_size`, size in the file (compressed size for SHF_COMPRESSED sections). */
  readonly size: number;
  /** `sh_link`. */
  readonly link: number;
  /** `sh_info`. */
  readonly info: number;
  /** `sh_addralign`. */
  readonly addralign: number;
  /** `sh_entsize`. */
  readonly entsize: number;
}

/**
 * Decodes the section header table and names every section. Checks that the file bytes of every
 * section except SHT_NOBITS/SHT_NULL exist, so a truncated file fails at open time with a
 * {@link UsageError}, not later inside a consumer.
 */
export function parseSectionHeaders(r: ByteReader, h: ElfHeader): SectionHeader[] {
  const raw: Array<Omit<SectionHeader, "name"> & { nameOffset: number }> = [];
  for (let i = 0; i < h.shnum; i++) {
    const o = h.shoff + i * SHDR64_SIZE;
    const type = r.u32(o + 4);
    const s = {
      index: i,
      nameOffset: r.u32(o),
      type,
      flags: r.u32(o + 8),
      addr: r.u64OrUndefined(o + 16) ?? 0,
      offset: i === 0 ? 0 : r.u64(o + 24, `section ${i} sh_offset`),
      size: i === 0 || type === SHT_NOBITS || type === SHT_NULL
        ? (r.u64OrUndefined(o + 32) ?? 0)
        : r.u64(o + 32, `section ${i} sh_size`),
      link: r.u32(o + 40),
      info: r.u32(o + 44),
      addralign: r.u64OrUndefined(o + 48) ?? 0,
      entsize: r.u64OrUndefined(o + 56) ?? 0,
    };
    if (i !== 0 && type !== SHT_NOBITS && type !== SHT_NULL && s.size > 0) {
      r.need(s.offset, s.size, `section ${i} (sh_offset ${hex(s.offset)})`);
    }
    raw.push(s);
  }

  const strtab = h.shstrndx !== 0 ? raw[h.shstrndx] : undefined;
  const strStart = strtab?.offset ?? 0;
  const strEnd = strtab ? strtab.offset + strtab.size : 0;
  return raw.map(({ nameOffset, ...s }) => ({
    ...s,
    name: strtab !== undefined && strStart + nameOffset < strEnd
      ? r.cString(strStart + nameOffset, strEnd)
      : "",
  }));
}
