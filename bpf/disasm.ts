/**
 * eBPF disassembler producing the kernel verifier's notation (`r0 = *(u64 *)(r6 +112)`,
 * `if r0 != 0x4d2 goto +3`, `call 14`), for debug listings and structural tests.
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

/** Options of {@link disassemble}. */
export interface DisassembleOptions {
  /** Labels to print before the instruction at a slot index. */
  labels?: ReadonlyMap<number, readonly string[]>;
  /** Names to show for pseudo-map fds. */
  mapNames?: ReadonlyMap<number, string>;
}

const ALU_SYM: Partial<Record<AluOp, string>> = {
  [AluOp.Add]: "+=",
  [AluOp.Sub]: "-=",
  [AluOp.Mul]: "*=",
  [AluOp.Div]: "/=",
  [AluOp.Or]: "|=",
  [AluOp.And]: "&=",
  [AluOp.Lsh]: "<<=",
  [AluOp.Rsh]: ">>=",
  [AluOp.Mod]: "%=",
  [AluOp.Xor]: "^=",
  [AluOp.Mov]: "=",
  [AluOp.Arsh]: "s>>=",
};

const JMP_SYM: Record<JmpOp, string> = {
  [JmpOp.Jeq]: "==",
  [JmpOp.Jgt]: ">",
  [JmpOp.Jge]: ">=",
  [JmpOp.Jset]: "&",
  [JmpOp.Jne]: "!=",
  [JmpOp.Jsgt]: "s>",
  [JmpOp.Jsge]: "s>=",
  [JmpOp.Jlt]: "<",
  [JmpOp.Jle]: "<=",
  [JmpOp.Jslt]: "s<",
  [JmpOp.Jsle]: "s<=",
};

const SIZE_NAME: Record<Size, string> = {
  [Size.B]: "u8",
  [Size.H]: "u16",
  [Size.W]: "u32",
  [Size.DW]: "u64",
};

function hexImm(n: number): string {
  return n < 0 ? `-0x${(-n).toString(16)}` : `0x${n.toString(16)}`;
}

function signedOff(off: number): string {
  return off < 0 ? `${off}` : `+${off}`;
}

/** Disassemble one instruction (and its second slot for `ld_imm64`). */
function one(view: DataView, pc: number, opts: DisassembleOptions): [string, number] {
  const base = pc * INSN_SIZE;
  const code = view.getUint8(base);
  const regs = view.getUint8(base + 1);
  const dst = regs & 0x0f;
  const src = regs >> 4;
  const off = view.getInt16(base + 2, true);
  const imm = view.getInt32(base + 4, true);
  const cls = (code & 0x07) as InsnClass;

  switch (cls) {
    case InsnClass.Alu64:
    case InsnClass.Alu: {
      const op = (code & 0xf0) as AluOp;
      const r = cls === InsnClass.Alu64 ? "r" : "w";
      if (op === AluOp.Neg) return [`${r}${dst} = -${r}${dst}`, 1];
      const sym = ALU_SYM[op] ?? `alu?${op.toString(16)}`;
      const rhs = (code & Src.X) ? `${r}${src}` : `${imm}`;
      return [`${r}${dst} ${sym} ${rhs}`, 1];
    }
    case InsnClass.Ldx: {
      const size = (code & 0x18) as Size;
      return [`r${dst} = *(${SIZE_NAME[size]} *)(r${src} ${signedOff(off)})`, 1];
    }
    case InsnClass.St: {
      const size = (code & 0x18) as Size;
      return [`*(${SIZE_NAME[size]} *)(r${dst} ${signedOff(off)}) = ${imm}`, 1];
    }
    case InsnClass.Stx: {
      const size = (code & 0x18) as Size;
      if ((code & 0xe0) === Mode.Atomic) {
        const what = imm === ATOMIC_ADD ? "+=" : `atomic(${imm})`;
        return [`lock *(${SIZE_NAME[size]} *)(r${dst} ${signedOff(off)}) ${what} r${src}`, 1];
      }
      return [`*(${SIZE_NAME[size]} *)(r${dst} ${signedOff(off)}) = r${src}`, 1];
    }
    case InsnClass.Ld: {
      if (code === (InsnClass.Ld | Mode.Imm | Size.DW)) {
        const lo = view.getUint32(base + 4, true);
        const hi = base + 12 < view.byteLength ? view.getUint32(base + 12, true) : 0;
        if (src === PSEUDO_MAP_FD) {
          const name = opts.mapNames?.get(imm);
          return [`r${dst} = map[${name ?? `fd ${imm}`}]`, 2];
        }
        const v = (BigInt(hi) << 32n) | BigInt(lo);
        return [`r${dst} = 0x${v.toString(16)} ll`, 2];
      }
      return [`ld? code=0x${code.toString(16)}`, 1];
    }
    case InsnClass.Jmp:
    case InsnClass.Jmp32: {
      const op = code & 0xf0;
      if (cls === InsnClass.Jmp && op === JmpCtl.Exit) return ["exit", 1];
      if (cls === InsnClass.Jmp && op === JmpCtl.Call) {
        const name = BpfHelper[imm];
        return [name ? `call ${imm} (${name})` : `call ${imm}`, 1];
      }
      const target = `goto ${signedOff(off)} (-> ${pc + 1 + off})`;
      if (cls === InsnClass.Jmp && op === JmpCtl.Ja) return [target, 1];
      const r = cls === InsnClass.Jmp ? "r" : "w";
      const sym = JMP_SYM[op as JmpOp] ?? `j?${op.toString(16)}`;
      const rhs = (code & Src.X) ? `${r}${src}` : hexImm(imm);
      return [`if ${r}${dst} ${sym} ${rhs} ${target}`, 1];
    }
  }
  return [`? code=0x${code.toString(16)}`, 1];
}

/**
 * Disassemble a program into one line per instruction, each prefixed with its slot index
 * (`"  12: r0 = 0"`), with label lines (`"done:"`) when `opts.labels` is given.
 */
export function disassemble(bytes: Uint8Array, opts: DisassembleOptions = {}): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Math.floor(bytes.byteLength / INSN_SIZE);
  const lines: string[] = [];
  for (let pc = 0; pc < n;) {
    for (const l of opts.labels?.get(pc) ?? []) lines.push(`${l}:`);
    const [text, slots] = one(view, pc, opts);
    lines.push(`${String(pc).padStart(4)}: ${text}`);
    pc += slots;
  }
  return lines;
}
