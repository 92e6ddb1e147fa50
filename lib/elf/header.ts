/**
 * The ELF64 file header: identification checks (is it ELF, 64-bit, little-endian, x86_64) and the
 * fields that locate the program and section header tables, including the extended numbering
 * escapes (`e_shnum == 0`, `e_shstrndx == SHN_XINDEX`, `e_phnum == PN_XNUM`).
 *
 * @module
 */

import { UsageError } from "../errors.ts";
import { ByteReader } from "./bytes.ts";
import {
  EHDR64_SIZE,
  EI_ABIVERSION,
  EI_CLASS,
  EI_DATA,
  EI_OSABI,
  ELF_MAGIC,
  ELFCLASS32,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFDATA2MSB,
  EM_X86_64,
  MACHINE_NAMES,
  PHDR64_SIZE,
  PN_XNUM,
  SHDR64_SIZE,
  SHN_XINDEX,
} from "./constants.ts";

/** The decoded ELF64 header; counts and the shstrtab index already resolve extended numbering. */
export interface ElfHeader {
  /** `e_type`: ET_REL, ET_EXEC, ET_DYN, ET_CORE. */
  readonly type: number;
  /** `e_machine`; always EM_X86_64 after validation. */
  readonly machine: number;
  /** `EI_OSABI` byte. */
  readonly osabi: number;
  /** `EI_ABIVERSION` byte. */
  readonly abiVersion: number;
  /** `e_entry`, a virtual address (0 when none). */
  readonly entry: number;
  /** `e_phoff`, file offset of the program header table. */
  readonly phoff: number;
  /** `e_shoff`, file offset of the section header table (0 when none). */
  readonly shoff: number;
  /** `e_flags`. */
  readonly flags: number;
  /** Number of program headers (PN_XNUM resolved). */
  readonly phnum: number;
  /** Number of section headers (`e_shnum == 0` escape resolved). */
  readonly shnum: number;
  /** Index of the section-name string table (SHN_XINDEX escape resolved); 0 when none. */
  readonly shstrndx: number;
}

/** `0x7f 0x45 ...` rendering of the first bytes, for "not an ELF file" messages. */
function leadingBytes(bytes: Uint8Array): string {
  if (bytes.length === 0) return "the file is empty";
  const shown = Array.from(bytes.subarray(0, 4), (b) => "0x" + b.toString(16).padStart(2, "0"));
  return `starts with ${shown.join(" ")}`;
}

/**
 * Checks the identification bytes and decodes the ELF64 header.
 *
 * Throws {@link UsageError} with one line naming what was found when the bytes are not an ELF file,
 * are a 32-bit or big-endian ELF, are not x86_64, or are too short for the header and the tables it
 * points at.
 */
export function parseHeader(r: ByteReader): ElfHeader {
  const { bytes, path } = r;
  if (bytes.length < 4 || ELF_MAGIC.some((m, i) => bytes[i] !== m)) {
    throw new UsageError(`${path} is not an ELF file (${leadingBytes(bytes)})`);
  }
  if (bytes.length < 16) {
    throw new UsageError(
      `${path} is truncated: only ${bytes.length} bytes, too short for an ELF identification`,
    );
  }
  const cls = bytes[EI_CLASS];
  if (cls === ELFCLASS32) {
    throw new UsageError(
      `${path} is a 32-bit ELF (ELFCLASS32); ghostscope traces x86_64 ELF64 only`,
    );
  }
  if (cls !== ELFCLASS64) {
    throw new UsageError(`${path} has an invalid ELF class byte ${cls}; expected ELFCLASS64 (2)`);
  }
  const data = bytes[EI_DATA];
  if (data === ELFDATA2MSB) {
    throw new UsageError(
      `${path} is a big-endian ELF (ELFDATA2MSB); ghostscope traces little-endian x86_64 ELF64 only`,
    );
  }
  if (data !== ELFDATA2LSB) {
    throw new UsageError(`${path} has an invalid ELF data byte ${data}; expected ELFDATA2LSB (1)`);
  }
  if (bytes.length < EHDR64_SIZE) {
    throw new UsageError(
      `${path} is truncated: only ${bytes.length} bytes, the ELF64 header needs ${EHDR64_SIZE}`,
    );
  }
  const machine = r.u16(18);
  if (machine !== EM_X86_64) {
    const name = MACHINE_NAMES[machine] ?? `an unknown machine`;
    throw new UsageError(
      `${path} is an ELF for ${name}, e_machine ${machine}; ghostscope traces x86_64 ELF64 only`,
    );
  }

  const phoff = r.u64(32, "e_phoff");
  const shoff = r.u64(40, "e_shoff");
  const phentsize = r.u16(54);
  let phnum = r.u16(56);
  const shentsize = r.u16(58);
  let shnum = r.u16(60);
  let shstrndx = r.u16(62);

  // Extended numbering lives in section header 0.
  if (shoff !== 0 && (shnum === 0 || shstrndx === SHN_XINDEX || phnum === PN_XNUM)) {
    checkEntSize(path, "e_shentsize", shentsize, SHDR64_SIZE);
    r.need(shoff, SHDR64_SIZE, "section header 0");
    if (shnum === 0) shnum = r.u64(shoff + 32, "section 0 sh_size (section count)");
    if (shstrndx === SHN_XINDEX) shstrndx = r.u32(shoff + 40);
    if (phnum === PN_XNUM) phnum = r.u32(shoff + 44);
  }
  if (phnum > 0) {
    checkEntSize(path, "e_phentsize", phentsize, PHDR64_SIZE);
    r.need(phoff, phnum * PHDR64_SIZE, `program header table (${phnum} entries)`);
  }
  if (shoff !== 0 && shnum > 0) {
    checkEntSize(path, "e_shentsize", shentsize, SHDR64_SIZE);
    r.need(shoff, shnum * SHDR64_SIZE, `section header table (${shnum} entries)`);
  } else {
    shnum = 0;
  }
  if (shstrndx >= shnum) shstrndx = 0;

  return {
    type: r.u16(16),
    machine,
    osabi: bytes[EI_OSABI],
    abiVersion: bytes[EI_ABIVERSION],
    entry: r.u64(24, "e_entry"),
    phoff,
    shoff,
    flags: r.u32(48),
    phnum,
    shnum,
    shstrndx,
  };
}

function checkEntSize(path: string, field: string, got: number, want: number): void {
  if (got !== want) {
    throw new UsageError(`${path} is corrupt: ${field} is ${got}, ELF64 requires ${want}`);
  }
}
