/**
 * A small builder-style eBPF assembler.
 *
 * ```ts
 * const a = new Assembler();
 * a.mov64(Reg.R6, Reg.R1)
 *   .call(BpfHelper.GetCurrentPidTgid)
 *   .rsh64(Reg.R0, 32)
 *   .jmp(JmpOp.Jne, Reg.R0, 1234, "out")
 *   .ldMap(Reg.R1, "events")
 *   .label("out")
 *   .mov64(Reg.R0, 0)
 *   .exit();
 * const bytes = a.assemble({ events: mapFd });
 * ```
 *
 * Registers are a string enum so that `Reg.R1` and the immediate `1` can never be confused in an
 * operand position ({@link Operand}). Labels may be referenced before or after they are defined;
 * `assemble` resolves them and the `ld_imm64` map relocations (`BPF_PSEUDO_MAP_FD`).
 * @module
 */

import { BpfHelper } from "./helpers.ts";
import {
  AluOp,
  ATOMIC_ADD,
  INSN_SIZE,
  InsnClass,
  JmpCtl,
  JmpOp,
  Mode,
  PSEUDO_MAP_FD,
  Size,
  Src,
} from "./opcodes.ts";
import { disassemble } from "./disasm.ts";

export { AluOp, JmpOp, Size };

/** eBPF registers. R0 = return value, R1-R5 = arguments (clobbered by calls), R6-R9 callee-saved,
 * R10 = read-only frame pointer. */
export enum Reg {
  R0 = "r0",
  R1 = "r1",
  R2 = "r2",
  R3 = "r3",
  R4 = "r4",
  R5 = "r5",
  R6 = "r6",
  R7 = "r7",
  R8 = "r8",
  R9 = "r9",
  R10 = "r10",
}

/** A source operand: a register, or a signed 32-bit immediate. */
export type Operand = Reg | number;

/** Raised for malformed programs: bad operands, unknown or duplicate labels, unknown maps. */
export class AsmError extends Error {
  override name = "AsmError";
}

const REG_NUM: Readonly<Record<Reg, number>> = {
  [Reg.R0]: 0,
  [Reg.R1]: 1,
  [Reg.R2]: 2,
  [Reg.R3]: 3,
  [Reg.R4]: 4,
  [Reg.R5]: 5,
  [Reg.R6]: 6,
  [Reg.R7]: 7,
  [Reg.R8]: 8,
  [Reg.R9]: 9,
  [Reg.R10]: 10,
};

/** One instruction slot before label / map resolution. `ld_imm64` uses two slots. */
interface PendingInsn {
  code: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
  /** Jump target label (offset resolved at assemble time). */
  target?: string;
  /** Map name for a `ld_imm64` pseudo-map-fd (imm resolved at assemble time). */
  map?: string;
  /** Full 64-bit immediate of `ld_imm64`. */
  imm64?: bigint;
}

/** Fake fds used by listings when no real fd is given. */
const PLACEHOLDER_FD_BASE = 0x7fff_0000;

const S32_MIN = -0x8000_0000;
const S32_MAX = 0x7fff_ffff;
const S16_MIN = -0x8000;
const S16_MAX = 0x7fff;

function regNum(r: Reg, what: string): number {
  const n = REG_NUM[r];
  if (n === undefined) throw new AsmError(`${what}: not a register: ${String(r)}`);
  return n;
}

function isReg(x: Operand): x is Reg {
  return typeof x === "string";
}

function checkImm(imm: number, what: string): number {
  if (!Number.isInteger(imm) || imm < S32_MIN || imm > S32_MAX) {
    throw new AsmError(`${what}: immediate ${imm} is not a signed 32-bit integer`);
  }
  return imm;
}

function checkOff(off: number, what: string): number {
  if (!Number.isInteger(off) || off < S16_MIN || off > S16_MAX) {
    throw new AsmError(`${what}: offset ${off} is not a signed 16-bit integer`);
  }
  return off;
}

/**
 * Builder for one eBPF program. Every emitting method returns `this` so calls chain.
 * Call {@link Assembler.assemble} once the program is complete.
 */
export class Assembler {
  readonly #insns: PendingInsn[] = [];
  /** label name -> slot index */
  readonly #labels = new Map<string, number>();
  /** Slot index -> labels defined there (for listings). */
  readonly #labelsAt = new Map<number, string[]>();
  #slots = 0;

  /** Number of 8-byte instruction slots emitted so far (`ld_imm64` counts 2). */
  get length(): number {
    return this.#slots;
  }

  /** Names of the maps referenced through {@link Assembler.ldMap}, in first-use order. */
  mapNames(): string[] {
    const seen = new Set<string>();
    for (const i of this.#insns) if (i.map !== undefined) seen.add(i.map);
    return [...seen];
  }

  /** Labels defined so far (name -> instruction slot index). */
  labels(): ReadonlyMap<string, number> {
    return this.#labels;
  }

  #push(insn: PendingInsn, slots = 1): this {
    this.#insns.push(insn);
    this.#slots += slots;
    return this;
  }

  #writableDst(dst: Reg, what: string): number {
    const n = regNum(dst, what);
    if (n === 10) throw new AsmError(`${what}: r10 (frame pointer) is read-only`);
    return n;
  }

  // ---------------------------------------------------------------- ALU

  #alu(cls: InsnClass, op: AluOp, dst: Reg, src: Operand): this {
    const what = `${cls === InsnClass.Alu64 ? "alu64" : "alu32"} ${AluOp[op] ?? op}`;
    const d = this.#writableDst(dst, what);
    if (op === AluOp.Neg) {
      return this.#push({ code: cls | op | Src.K, dst: d, src: 0, off: 0, imm: 0 });
    }
    if (isReg(src)) {
      return this.#push({ code: cls | op | Src.X, dst: d, src: regNum(src, what), off: 0, imm: 0 });
    }
    const imm = checkImm(src, what);
    if ((op === AluOp.Div || op === AluOp.Mod) && imm === 0) {
      throw new AsmError(`${what}: division by the constant 0 (the verifier rejects it)`);
    }
    if (op === AluOp.Lsh || op === AluOp.Rsh || op === AluOp.Arsh) {
      const bits = cls === InsnClass.Alu64 ? 64 : 32;
      if (imm < 0 || imm >= bits) throw new AsmError(`${what}: shift ${imm} out of 0..${bits - 1}`);
    }
    return this.#push({ code: cls | op | Src.K, dst: d, src: 0, off: 0, imm });
  }

  /** 64-bit ALU operation `dst = dst OP src` (for `Neg`, `src` is ignored). */
  alu64(op: AluOp, dst: Reg, src: Operand): this {
    return this.#alu(InsnClass.Alu64, op, dst, src);
  }

  /** 32-bit ALU operation on the low halves; the result is zero-extended into `dst`. */
  alu32(op: AluOp, dst: Reg, src: Operand): this {
    return this.#alu(InsnClass.Alu, op, dst, src);
  }

  /** `dst = src` (64-bit; an immediate is sign-extended). */
  mov64(dst: Reg, src: Operand): this {
    return this.alu64(AluOp.Mov, dst, src);
  }
  /** `dst = (u32)src`. */
  mov32(dst: Reg, src: Operand): this {
    return this.alu32(AluOp.Mov, dst, src);
  }
  /** `dst += src`. */
  add64(dst: Reg, src: Operand): this {
    return this.alu64(AluOp.Add, dst, src);
  }
  /** `dst -= src`. */
  sub64(dst: Reg, src: Operand): this {
    return this.alu64(AluOp.Sub, dst, src);
  }
  /** `dst *= src`. */
  mul64(dst: Reg, src: Operand): this {
    return this.alu64(AluOp.Mul, dst, src);
  }
  /** Unsigned `dst /= src` (a zero divisor register yields 0 at run time). */
  div64(dst: Reg, src: Operand): this {
    return this.alu64(AluOp.Div, dst, src);
  }
  /** Unsigned `dst %= src` (a zero divisor register leaves `dst` unchanged at run time). */
  mod64(dst: Reg, src: Operand): this {
    return this.alu64(AluOp.Mod, dst, src);
  }
  /** `dst &= src`. */
  and64(dst: Reg, src: Operand): this {
    return this.alu64(AluOp.And, dst, src);
  }
  /** `dst |= src`. */
  or64(dst: Reg, src: Operand): this {
    return this.alu64(AluOp.Or, dst, src);
  }
  /** `dst ^= src`. */
  xor64(dst: Reg, src: Operand): this {
    return this.alu64(AluOp.Xor, dst, src);
  }
  /** `dst <<= src`. */
  lsh64(dst: Reg, src: Operand): this {
    return this.alu64(AluOp.Lsh, dst, src);
  }
  /** Logical `dst >>= src`. */
  rsh64(dst: Reg, src: Operand): this {
    return this.alu64(AluOp.Rsh, dst, src);
  }
  /** Arithmetic (sign-propagating) `dst >>= src`. */
  arsh64(dst: Reg, src: Operand): this {
    return this.alu64(AluOp.Arsh, dst, src);
  }
  /** `dst = -dst`. */
  neg64(dst: Reg): this {
    return this.alu64(AluOp.Neg, dst, 0);
  }

  // ---------------------------------------------------------------- memory

  /** `dst = *(size *)(src + off)`. */
  ldx(size: Size, dst: Reg, src: Reg, off: number): this {
    const what = "ldx";
    return this.#push({
      code: InsnClass.Ldx | Mode.Mem | size,
      dst: this.#writableDst(dst, what),
      src: regNum(src, what),
      off: checkOff(off, what),
      imm: 0,
    });
  }

  /** `*(size *)(dst + off) = src`. */
  stx(size: Size, dst: Reg, off: number, src: Reg): this {
    const what = "stx";
    return this.#push({
      code: InsnClass.Stx | Mode.Mem | size,
      dst: regNum(dst, what),
      src: regNum(src, what),
      off: checkOff(off, what),
      imm: 0,
    });
  }

  /** `*(size *)(dst + off) = imm` (a DW store sign-extends the 32-bit immediate). */
  st(size: Size, dst: Reg, off: number, imm: number): this {
    const what = "st";
    return this.#push({
      code: InsnClass.St | Mode.Mem | size,
      dst: regNum(dst, what),
      src: 0,
      off: checkOff(off, what),
      imm: checkImm(imm, what),
    });
  }

  /** Atomic `*(size *)(dst + off) += src` (`BPF_ATOMIC | BPF_ADD`; size W or DW). */
  atomicAdd(size: Size.W | Size.DW, dst: Reg, off: number, src: Reg): this {
    const what = "atomic add";
    if (size !== Size.W && size !== Size.DW) throw new AsmError(`${what}: size must be W or DW`);
    return this.#push({
      code: InsnClass.Stx | Mode.Atomic | size,
      dst: regNum(dst, what),
      src: regNum(src, what),
      off: checkOff(off, what),
      imm: ATOMIC_ADD,
    });
  }

  /** `dst = value` for any 64-bit value (two slots; `value` is taken modulo 2^64). */
  ldImm64(dst: Reg, value: bigint): this {
    const what = "ld_imm64";
    return this.#push({
      code: InsnClass.Ld | Mode.Imm | Size.DW,
      dst: this.#writableDst(dst, what),
      src: 0,
      off: 0,
      imm: 0,
      imm64: BigInt.asUintN(64, value),
    }, 2);
  }

  /** `dst = &map` by name; the map fd is patched in by {@link Assembler.assemble}. */
  ldMap(dst: Reg, mapName: string): this {
    const what = "ld_map";
    if (!mapName) throw new AsmError(`${what}: empty map name`);
    return this.#push({
      code: InsnClass.Ld | Mode.Imm | Size.DW,
      dst: this.#writableDst(dst, what),
      src: PSEUDO_MAP_FD,
      off: 0,
      imm: 0,
      map: mapName,
    }, 2);
  }

  // ---------------------------------------------------------------- control flow

  /** Call a helper; R1-R5 are arguments and are clobbered, the result is in R0. */
  call(helper: BpfHelper): this {
    return this.#push({
      code: InsnClass.Jmp | JmpCtl.Call,
      dst: 0,
      src: 0,
      off: 0,
      imm: checkImm(helper, "call"),
    });
  }

  /** Return R0 to the kernel. */
  exit(): this {
    return this.#push({ code: InsnClass.Jmp | JmpCtl.Exit, dst: 0, src: 0, off: 0, imm: 0 });
  }

  /** Define `name` at the next instruction. Throws on a duplicate name. */
  label(name: string): this {
    if (!name) throw new AsmError("label: empty name");
    if (this.#labels.has(name)) throw new AsmError(`duplicate label '${name}'`);
    this.#labels.set(name, this.#slots);
    const at = this.#labelsAt.get(this.#slots);
    if (at) at.push(name);
    else this.#labelsAt.set(this.#slots, [name]);
    return this;
  }

  /** Unconditional jump to `label`. */
  ja(label: string): this {
    return this.#push({
      code: InsnClass.Jmp | JmpCtl.Ja,
      dst: 0,
      src: 0,
      off: 0,
      imm: 0,
      target: label,
    });
  }

  #jmp(cls: InsnClass, op: JmpOp, dst: Reg, src: Operand, label: string): this {
    const what = `${cls === InsnClass.Jmp ? "jmp" : "jmp32"} ${JmpOp[op] ?? op}`;
    if (JmpOp[op] === undefined) throw new AsmError(`${what}: not a conditional jump op`);
    const d = regNum(dst, what);
    if (isReg(src)) {
      return this.#push({
        code: cls | op | Src.X,
        dst: d,
        src: regNum(src, what),
        off: 0,
        imm: 0,
        target: label,
      });
    }
    return this.#push({
      code: cls | op | Src.K,
      dst: d,
      src: 0,
      off: 0,
      imm: checkImm(src, what),
      target: label,
    });
  }

  /** `if (dst OP src) goto label` comparing 64-bit values. */
  jmp(op: JmpOp, dst: Reg, src: Operand, label: string): this {
    return this.#jmp(InsnClass.Jmp, op, dst, src, label);
  }

  /** `if ((u32)dst OP (u32)src) goto label` comparing the low 32 bits. */
  jmp32(op: JmpOp, dst: Reg, src: Operand, label: string): this {
    return this.#jmp(InsnClass.Jmp32, op, dst, src, label);
  }

  // ---------------------------------------------------------------- output

  /**
   * Encode the program. `mapFds` maps each name used with {@link Assembler.ldMap} to an open map
   * fd. Throws {@link AsmError} for an unknown label or map, a label at the very end of the
   * program, or a jump whose offset does not fit in 16 bits.
   */
  assemble(mapFds: Readonly<Record<string, number>> = {}): Uint8Array {
    const out = new Uint8Array(this.#slots * INSN_SIZE);
    const view = new DataView(out.buffer);
    let pc = 0;
    for (const insn of this.#insns) {
      let off = insn.off;
      let imm = insn.imm;
      if (insn.target !== undefined) {
        const at = this.#labels.get(insn.target);
        if (at === undefined) throw new AsmError(`unknown label '${insn.target}'`);
        if (at >= this.#slots) {
          throw new AsmError(`label '${insn.target}' is past the last instruction`);
        }
        off = at - (pc + 1);
        if (off < S16_MIN || off > S16_MAX) {
          throw new AsmError(`jump to '${insn.target}' out of range (offset ${off})`);
        }
      }
      const base = pc * INSN_SIZE;
      out[base] = insn.code;
      out[base + 1] = (insn.src << 4) | insn.dst;
      view.setInt16(base + 2, off, true);
      if (insn.map !== undefined) {
        const fd = mapFds[insn.map];
        if (fd === undefined) throw new AsmError(`unknown map '${insn.map}'`);
        imm = checkImm(fd, `map '${insn.map}' fd`);
        view.setInt32(base + 4, imm, true);
        // second slot: code 0, imm 0 (high half of a pseudo map fd)
        pc += 2;
        continue;
      }
      if (insn.imm64 !== undefined) {
        view.setUint32(base + 4, Number(insn.imm64 & 0xffff_ffffn), true);
        view.setUint32(base + 12, Number(insn.imm64 >> 32n), true);
        pc += 2;
        continue;
      }
      view.setInt32(base + 4, imm, true);
      pc += 1;
    }
    return out;
  }

  /**
   * Human-readable listing with labels, for `GHOSTSCOPE_DEBUG` output and tests. Map fds are shown
   * as the names passed in `mapFds`, or as fd 0 when absent.
   */
  listing(mapFds: Readonly<Record<string, number>> = {}): string {
    const fds: Record<string, number> = {};
    const names = new Map<number, string>();
    this.mapNames().forEach((name, i) => {
      fds[name] = mapFds[name] ?? PLACEHOLDER_FD_BASE + i;
      names.set(fds[name], name);
    });
    const lines = disassemble(this.assemble(fds), { labels: this.#labelsAt, mapNames: names });
    return lines.join("\n");
  }
}
