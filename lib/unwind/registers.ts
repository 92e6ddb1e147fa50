/**
 * x86-64 registers as DWARF numbers them (System V psABI, table 3.36), the subset a backtrace
 * captures, and which of them a callee preserves.
 * @module
 */

/** DWARF register numbers of x86-64. */
export enum DwarfReg {
  Rax = 0,
  Rdx = 1,
  Rcx = 2,
  Rbx = 3,
  Rsi = 4,
  Rdi = 5,
  Rbp = 6,
  Rsp = 7,
  R8 = 8,
  R9 = 9,
  R10 = 10,
  R11 = 11,
  R12 = 12,
  R13 = 13,
  R14 = 14,
  R15 = 15,
  /** The return address column (rip). */
  Rip = 16,
}

/**
 * DWARF numbers of the registers a backtrace captures (`bpf/stack_capture.ts` CAPTURE_REGS, by
 * their psABI names): rip and rsp start the walk; rbp and the other callee-saved registers are
 * what CFI rules of outer frames may name as the CFA's base (or recover from the stack).
 */
export const DWARF_REG_BY_NAME: Readonly<Record<string, DwarfReg>> = {
  rip: DwarfReg.Rip,
  rsp: DwarfReg.Rsp,
  rbp: DwarfReg.Rbp,
  rbx: DwarfReg.Rbx,
  r12: DwarfReg.R12,
  r13: DwarfReg.R13,
  r14: DwarfReg.R14,
  r15: DwarfReg.R15,
};

/** Registers a callee must preserve: without a CFI rule they keep their value in the caller. */
export const CALLEE_SAVED: ReadonlySet<number> = new Set([
  DwarfReg.Rbx,
  DwarfReg.Rbp,
  DwarfReg.R12,
  DwarfReg.R13,
  DwarfReg.R14,
  DwarfReg.R15,
]);

/**
 * Register values known in one frame (absent = unknown), as Numbers: user addresses are below
 * 2^47, so every value the walk computes with is exact (a larger value, not an address, can only
 * make a read fail).
 */
export type RegisterSet = Map<number, number>;
