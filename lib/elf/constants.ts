/**
 * Numeric constants of the ELF64 format (System V gABI, GNU and x86_64 psABI extensions) that the
 * reader uses. Names follow `<elf.h>` so they can be grepped against it.
 *
 * @module
 */

/** `\x7fELF`, the first four bytes of every ELF file. */
export const ELF_MAGIC: readonly number[] = [0x7f, 0x45, 0x4c, 0x46];

/** Size of the ELF64 file header. */
export const EHDR64_SIZE = 64;
/** Size of one ELF64 program header. */
export const PHDR64_SIZE = 56;
/** Size of one ELF64 section header. */
export const SHDR64_SIZE = 64;
/** Size of one ELF64 symbol (`Elf64_Sym`). */
export const SYM64_SIZE = 24;
/** Size of one ELF64 dynamic entry (`Elf64_Dyn`). */
export const DYN64_SIZE = 16;
/** Size of the ELF64 compression header (`Elf64_Chdr`) in front of SHF_COMPRESSED data. */
export const CHDR64_SIZE = 24;

// e_ident indexes and values.
export const EI_CLASS = 4;
export const EI_DATA = 5;
export const EI_VERSION = 6;
export const EI_OSABI = 7;
export const EI_ABIVERSION = 8;
export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;

// e_type.
export const ET_NONE = 0;
export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const ET_CORE = 4;

// e_machine.
export const EM_X86_64 = 62;

/** Printable names of the machines a user is likely to hand us by mistake. */
export const MACHINE_NAMES: Readonly<Record<number, string>> = {
  2: "SPARC (EM_SPARC)",
  3: "i386 (EM_386)",
  8: "MIPS (EM_MIPS)",
  20: "PowerPC (EM_PPC)",
  21: "PowerPC64 (EM_PPC64)",
  22: "s390 (EM_S390)",
  40: "ARM (EM_ARM)",
  43: "SPARC V9 (EM_SPARCV9)",
  50: "IA-64 (EM_IA_64)",
  62: "x86_64 (EM_X86_64)",
  183: "AArch64 (EM_AARCH64)",
  243: "RISC-V (EM_RISCV)",
  247: "BPF (EM_BPF)",
  258: "LoongArch (EM_LOONGARCH)",
};

// Special section indexes.
export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_ABS = 0xfff1;
export const SHN_COMMON = 0xfff2;
export const SHN_XINDEX = 0xffff;
/** e_phnum value meaning "the real count is in section 0's sh_info". */
export const PN_XNUM = 0xffff;

// p_type.
export const PT_NULL = 0;
export const PT_LOAD = 1;
export const PT_DYNAMIC = 2;
export const PT_INTERP = 3;
export const PT_NOTE = 4;
export const PT_PHDR = 6;
export const PT_TLS = 7;
export const PT_GNU_EH_FRAME = 0x6474e550;
export const PT_GNU_STACK = 0x6474e551;
export const PT_GNU_RELRO = 0x6474e552;
export const PT_GNU_PROPERTY = 0x6474e553;

// p_flags.
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

// sh_type.
export const SHT_NULL = 0;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_RELA = 4;
export const SHT_HASH = 5;
export const SHT_DYNAMIC = 6;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHT_DYNSYM = 11;
export const SHT_SYMTAB_SHNDX = 18;
export const SHT_GNU_HASH = 0x6ffffff6;
export const SHT_GNU_VERDEF = 0x6ffffffd;
export const SHT_GNU_VERNEED = 0x6ffffffe;
export const SHT_GNU_VERSYM = 0x6fffffff;

// sh_flags (low 32 bits are enough for everything we test).
export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;
export const SHF_COMPRESSED = 0x800;

// Elf64_Chdr.ch_type.
export const ELFCOMPRESS_ZLIB = 1;
export const ELFCOMPRESS_ZSTD = 2;

// Symbol type (low nibble of st_info).
export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const STT_FILE = 4;
export const STT_COMMON = 5;
export const STT_TLS = 6;
export const STT_GNU_IFUNC = 10;

// Symbol binding (high nibble of st_info).
export const STB_LOCAL = 0;
export const STB_GLOBAL = 1;
export const STB_WEAK = 2;
export const STB_GNU_UNIQUE = 10;

// Symbol visibility (low 2 bits of st_other).
export const STV_DEFAULT = 0;
export const STV_INTERNAL = 1;
export const STV_HIDDEN = 2;
export const STV_PROTECTED = 3;

// Dynamic tags.
export const DT_NULL = 0;
export const DT_NEEDED = 1;
export const DT_STRTAB = 5;
export const DT_STRSZ = 10;
export const DT_SONAME = 14;
export const DT_RPATH = 15;
export const DT_RUNPATH = 29;
export const DT_FLAGS = 30;
export const DT_FLAGS_1 = 0x6ffffffb;
/** DT_FLAGS_1 bit set by modern linkers on position-independent executables. */
export const DF_1_PIE = 0x08000000;

// Notes.
export const NT_GNU_BUILD_ID = 3;

// Symbol versioning.
/** `.gnu.version` bit: the symbol is not the default version (`name@V`, not `name@@V`). */
export const VERSYM_HIDDEN = 0x8000;
/** `.gnu.version` mask extracting the version index. */
export const VERSYM_VERSION = 0x7fff;
/** Verdef flag marking the file's own base version (the soname), never printed as `@...`. */
export const VER_FLG_BASE = 0x1;
