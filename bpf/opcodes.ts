/**
 * Raw eBPF opcode fields (`include/uapi/linux/bpf_common.h`, `bpf.h`). An instruction is 8 bytes,
 * little-endian: `u8 code | u8 (src << 4 | dst) | s16 off | s32 imm`; `code` ORs a class, a
 * size/mode or operation, and a source bit. Shared by the assembler and the disassembler.
 */

/** Instruction classes (low 3 bits of `code`). */
export enum InsnClass {
  Ld = 0x00,
  Ldx = 0x01,
  St = 0x02,
  Stx = 0x03,
  Alu = 0x04,
  Jmp = 0x05,
  Jmp32 = 0x06,
  Alu64 = 0x07,
}

/** Memory access sizes (bits 3-4 of `code` for load/store classes). */
export enum Size {
  W = 0x00,
  H = 0x08,
  B = 0x10,
  DW = 0x18,
}

/** Byte width of each {@link Size}. */
export const SIZE_BYTES: Readonly<Record<Size, number>> = {
  [Size.B]: 1,
  [Size.H]: 2,
  [Size.W]: 4,
  [Size.DW]: 8,
};

/** Addressing modes (bits 5-7 of `code` for load/store classes). */
export enum Mode {
  Imm = 0x00,
  Mem = 0x60,
  Atomic = 0xc0,
}

/** Operand source bit: `K` = immediate, `X` = source register. */
export enum Src {
  K = 0x00,
  X = 0x08,
}

/** ALU operations (bits 4-7 of `code` for ALU/ALU64). */
export enum AluOp {
  Add = 0x00,
  Sub = 0x10,
  Mul = 0x20,
  Div = 0x30,
  Or = 0x40,
  And = 0x50,
  Lsh = 0x60,
  Rsh = 0x70,
  Neg = 0x80,
  Mod = 0x90,
  Xor = 0xa0,
  Mov = 0xb0,
  Arsh = 0xc0,
}

/** Conditional jump operations (bits 4-7 of `code` for JMP/JMP32). */
export enum JmpOp {
  Jeq = 0x10,
  Jgt = 0x20,
  Jge = 0x30,
  Jset = 0x40,
  Jne = 0x50,
  Jsgt = 0x60,
  Jsge = 0x70,
  Jlt = 0xa0,
  Jle = 0xb0,
  Jslt = 0xc0,
  Jsle = 0xd0,
}

/** Unconditional / control operations of the JMP class. */
export enum JmpCtl {
  Ja = 0x00,
  Call = 0x80,
  Exit = 0x90,
}

/** `src_reg` value of `ld_imm64` meaning "imm is a map fd" (`BPF_PSEUDO_MAP_FD`). */
export const PSEUDO_MAP_FD = 1;

/** `imm` of an atomic instruction: plain add (`BPF_ADD`, no fetch). */
export const ATOMIC_ADD = AluOp.Add;

/** Size of one `struct bpf_insn` in bytes. */
export const INSN_SIZE = 8;
