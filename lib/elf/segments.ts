/**
 * Program headers and the mapping between virtual addresses and file offsets through PT_LOAD
 * segments (what uprobes need: the kernel attaches at a file offset).
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { type ByteReader, hex } from "./bytes.ts";
import { PHDR64_SIZE, PT_LOAD } from "./constants.ts";
import type { ElfHeader } from "./header.ts";

/** One decoded `Elf64_Phdr`. */
export interface ProgramHeader {
  /** `p_type`: PT_LOAD, PT_INTERP, PT_NOTE, ... */
  readonly type: number;
  /** `p_flags`: PF_R | PF_W | PF_X. */
  readonly flags: number;
  /** `p_offset`, file offset of the segment's first byte. */
  readonly offset: number;
  /** `p_vaddr`, link-time virtual address of the first byte. */
  readonly vaddr: number;
  /** `p_paddr`. */
  readonly paddr: number;
  /** `p_filesz`, bytes present in the file. */
  readonly filesz: number;
  /** `p_memsz`, bytes in memory (>= filesz; the tail is zero-filled, e.g. .bss). */
  readonly memsz: number;
  /** `p_align`. */
  readonly align: number;
}

/**
 * Decodes the program header table and checks that every segment's file bytes exist (a truncated
 * file fails here, at open time, with a {@link UsageError}).
 */
export function parseProgramHeaders(r: ByteReader, h: ElfHeader): ProgramHeader[] {
  const out: ProgramHeader[] = [];
  for (let i = 0; i < h.phnum; i++) {
    const o = h.phoff + i * PHDR64_SIZE;
    const ph: ProgramHeader = {
      type: r.u32(o),
      flags: r.u32(o + 4),
      offset: r.u64(o + 8, `program header ${i} p_offset`),
      vaddr: r.u64(o + 16, `program header ${i} p_vaddr`),
      paddr: r.u64OrUndefined(o + 24) ?? 0,
      filesz: r.u64(o + 32, `program header ${i} p_filesz`),
      memsz: r.u64(o + 40, `program header ${i} p_memsz`),
      align: r.u64OrUndefined(o + 48) ?? 0,
    };
    if (ph.filesz > 0) {
      r.need(ph.offset, ph.filesz, `segment ${i} (p_type ${hex(ph.type)})`);
    }
    out.push(ph);
  }
  return out;
}

/**
 * The PT_LOAD segments of one file, answering "which file offset holds this link-time address"
 * and the inverse. Addresses are link-time (`p_vaddr`) values: for PIE executables and shared
 * libraries add the load bias yourself to get runtime addresses.
 */
export class LoadMap {
  /** PT_LOAD headers in file order. */
  readonly loads: readonly ProgramHeader[];

  /**
   * Keeps the PT_LOAD entries of `phdrs`.
   * @param phdrs all program headers of the file
   * @param path file path used in error messages
   */
  constructor(phdrs: readonly ProgramHeader[], private readonly path: string) {
    this.loads = phdrs.filter((p) => p.type === PT_LOAD);
  }

  /** The PT_LOAD whose file-backed bytes `[vaddr, vaddr + filesz)` contain `vaddr`, if any. */
  segmentForVaddr(vaddr: number): ProgramHeader | undefined {
    for (const p of this.loads) {
      if (vaddr >= p.vaddr && vaddr < p.vaddr + p.filesz) return p;
    }
    return undefined;
  }

  /** The PT_LOAD whose file bytes `[offset, offset + filesz)` contain `offset`, if any. */
  segmentForFileOffset(offset: number): ProgramHeader | undefined {
    for (const p of this.loads) {
      if (offset >= p.offset && offset < p.offset + p.filesz) return p;
    }
    return undefined;
  }

  /** File offset of link-time address `vaddr`, or `undefined` when no PT_LOAD file bytes hold it. */
  tryVaddrToFileOffset(vaddr: number): number | undefined {
    const p = this.segmentForVaddr(vaddr);
    return p === undefined ? undefined : vaddr - p.vaddr + p.offset;
  }

  /**
   * File offset of link-time address `vaddr`. Throws {@link UsageError} when the address is in no
   * PT_LOAD segment, or only in the zero-filled (.bss) tail of one, which has no file bytes.
   */
  vaddrToFileOffset(vaddr: number): number {
    const off = this.tryVaddrToFileOffset(vaddr);
    if (off !== undefined) return off;
    const bss = this.loads.find((p) => vaddr >= p.vaddr && vaddr < p.vaddr + p.memsz);
    if (bss !== undefined) {
      throw new UsageError(
        `address ${
          hex(vaddr)
        } of ${this.path} is in the zero-filled part of the PT_LOAD segment at ${
          hex(bss.vaddr)
        } and has no file offset`,
      );
    }
    throw new UsageError(
      `address ${hex(vaddr)} is not inside any PT_LOAD segment of ${this.path}${this.rangesText()}`,
    );
  }

  /** Link-time address of file offset `offset`, or `undefined` when no PT_LOAD maps it. */
  tryFileOffsetToVaddr(offset: number): number | undefined {
    const p = this.segmentForFileOffset(offset);
    return p === undefined ? undefined : offset - p.offset + p.vaddr;
  }

  /** Link-time address of file offset `offset`; throws {@link UsageError} when no PT_LOAD maps it. */
  fileOffsetToVaddr(offset: number): number {
    const v = this.tryFileOffsetToVaddr(offset);
    if (v !== undefined) return v;
    throw new UsageError(
      `file offset ${hex(offset)} of ${this.path} is not inside any PT_LOAD segment`,
    );
  }

  /** " (segments: [a, b) ...)" suffix for "not inside any PT_LOAD" messages. */
  private rangesText(): string {
    if (this.loads.length === 0) return " (it has no PT_LOAD segments)";
    const ranges = this.loads.map((p) => `[${hex(p.vaddr)}, ${hex(p.vaddr + p.memsz)})`);
    return ` (segments: ${ranges.join(" ")})`;
  }
}
