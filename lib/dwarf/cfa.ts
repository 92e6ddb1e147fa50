/**
 * Call frame information from `.eh_frame` and `.debug_frame`: CIE/FDE parsing and execution of
 * the CFA program up to a pc, giving the rule for the canonical frame address (typically
 * `CFA = rsp + 8` at a function's entry and `CFA = rbp + 16` after `push rbp; mov rbp, rsp`).
 * @module
 */

import * as C from "./constants.ts";
import { corrupt, Reader } from "./reader.ts";

/** How to compute the CFA. */
export type CfaRule =
  | { kind: "reg-offset"; reg: number; offset: number }
  | { kind: "expression"; expr: Uint8Array };

/** How to recover a register of the caller. */
export type RegRule =
  | { kind: "undefined" }
  | { kind: "same-value" }
  | { kind: "offset"; offset: number }
  | { kind: "val-offset"; offset: number }
  | { kind: "register"; reg: number }
  | { kind: "expression"; expr: Uint8Array }
  | { kind: "val-expression"; expr: Uint8Array };

/** The unwind row in effect at one pc. */
export interface CfaRow {
  cfa: CfaRule;
  /** Rules for registers that have one (others: same value / undefined by ABI). */
  registers: Map<number, RegRule>;
  returnAddressRegister: number;
  /** [start, end) of the FDE that covers the pc. */
  fdeStart: number;
  fdeEnd: number;
  source: "eh_frame" | "debug_frame";
}

interface Cie {
  codeAlign: number;
  dataAlign: number;
  raReg: number;
  fdeEncoding: number;
  augZ: boolean;
  addrSize: number;
  instrStart: number;
  instrEnd: number;
}

interface FdeTable {
  source: "eh_frame" | "debug_frame";
  bytes: Uint8Array;
  start: Float64Array;
  end: Float64Array;
  instrStart: Uint32Array;
  instrEnd: Uint32Array;
  cies: Cie[];
  cieOf: Uint32Array;
}

/** Parsed call frame sections; FDE tables are built on first use. */
export class CallFrames {
  private tables: FdeTable[] | undefined;

  constructor(
    private readonly ehFrame: Uint8Array | undefined,
    private readonly ehFrameAddr: number,
    private readonly debugFrame: Uint8Array | undefined,
    private readonly addrSize = 8,
  ) {}

  /** True when there is any call frame section. */
  get available(): boolean {
    return (this.ehFrame?.length ?? 0) > 0 || (this.debugFrame?.length ?? 0) > 0;
  }

  private load(): FdeTable[] {
    if (this.tables) return this.tables;
    const out: FdeTable[] = [];
    if (this.ehFrame && this.ehFrame.length) out.push(this.parse(this.ehFrame, true));
    if (this.debugFrame && this.debugFrame.length) out.push(this.parse(this.debugFrame, false));
    this.tables = out;
    return out;
  }

  /** The unwind row at `pc`, or undefined when no FDE covers it. */
  rowAt(pc: number): CfaRow | undefined {
    for (const t of this.load()) {
      const i = findFde(t, pc);
      if (i >= 0) return execute(t, i, pc);
    }
    return undefined;
  }

  private parse(bytes: Uint8Array, eh: boolean): FdeTable {
    const r = new Reader(bytes);
    const cieByOffset = new Map<number, number>();
    const cies: Cie[] = [];
    const start: number[] = [];
    const end: number[] = [];
    const iStart: number[] = [];
    const iEnd: number[] = [];
    const cieOf: number[] = [];
    while (r.pos + 4 <= bytes.length) {
      const entryStart = r.pos;
      const { length, offsetSize } = r.initialLength();
      if (length === 0) {
        if (eh) break; // .eh_frame terminator
        continue;
      }
      const bodyStart = r.pos;
      const entryEnd = bodyStart + length;
      if (entryEnd > bytes.length) {
        corrupt(`call frame entry at 0x${entryStart.toString(16)} runs past section`);
      }
      const idPos = r.pos;
      const id = r.offset(offsetSize);
      const isCie = eh
        ? id === 0
        : (offsetSize === 4 ? id === 0xffffffff : id >= 0xffffffffffff0000);
      if (isCie) {
        cieByOffset.set(entryStart, cies.length);
        cies.push(parseCie(r, entryEnd, eh, this.addrSize));
      } else {
        const cieOffset = eh ? idPos - id : id;
        let ci = cieByOffset.get(cieOffset);
        if (ci === undefined) {
          // CIE after its FDE (allowed in .debug_frame): parse it now.
          const cr = new Reader(bytes, cieOffset);
          const cl = cr.initialLength();
          const ce = cr.pos + cl.length;
          cr.offset(cl.offsetSize);
          ci = cies.length;
          cies.push(parseCie(cr, ce, eh, this.addrSize));
          cieByOffset.set(cieOffset, ci);
        }
        const cie = cies[ci];
        const enc = eh ? cie.fdeEncoding : C.DW_EH_PE_absptr;
        const begin = readEncoded(r, enc, cie.addrSize, eh ? this.ehFrameAddr : 0);
        const range = readEncoded(r, enc & 0x0f, cie.addrSize, 0);
        if (cie.augZ) {
          const n = r.uleb();
          r.skip(n);
        }
        if (begin !== 0 && range > 0) {
          start.push(begin);
          end.push(begin + range);
          iStart.push(r.pos);
          iEnd.push(entryEnd);
          cieOf.push(ci);
        }
      }
      r.pos = entryEnd;
    }
    // Sort FDEs by start address.
    const order = start.map((_, i) => i).sort((a, b) => start[a] - start[b]);
    return {
      source: eh ? "eh_frame" : "debug_frame",
      bytes,
      start: Float64Array.from(order, (i) => start[i]),
      end: Float64Array.from(order, (i) => end[i]),
      instrStart: Uint32Array.from(order, (i) => iStart[i]),
      instrEnd: Uint32Array.from(order, (i) => iEnd[i]),
      cies,
      cieOf: Uint32Array.from(order, (i) => cieOf[i]),
    };
  }
}

function parseCie(r: Reader, end: number, eh: boolean, defaultAddrSize: number): Cie {
  const version = r.u8();
  const aug = r.cstr();
  let addrSize = defaultAddrSize;
  if (!eh && version >= 4) {
    addrSize = r.u8();
    r.u8(); // segment selector size
  }
  if (aug.includes("eh")) r.skip(addrSize);
  const codeAlign = r.uleb();
  const dataAlign = r.sleb();
  const raReg = version === 1 ? r.u8() : r.uleb();
  let fdeEncoding = C.DW_EH_PE_absptr;
  const augZ = aug.startsWith("z");
  if (augZ) {
    const len = r.uleb();
    const augEnd = r.pos + len;
    for (let i = 1; i < aug.length; i++) {
      const c = aug[i];
      if (c === "R") fdeEncoding = r.u8();
      else if (c === "L") r.u8();
      else if (c === "P") {
        const penc = r.u8();
        readEncoded(r, penc & 0x7f, addrSize, 0);
      } else if (c === "S" || c === "B" || c === "G") continue;
      else break;
    }
    r.pos = augEnd;
  }
  return {
    codeAlign,
    dataAlign,
    raReg,
    fdeEncoding,
    augZ,
    addrSize,
    instrStart: r.pos,
    instrEnd: end,
  };
}

/** Reads an `.eh_frame` encoded pointer. `sectionAddr` is the section's address (pcrel base). */
function readEncoded(r: Reader, enc: number, addrSize: number, sectionAddr: number): number {
  if (enc === C.DW_EH_PE_omit) return 0;
  const fieldPos = r.pos;
  let v: number;
  switch (enc & 0x0f) {
    case C.DW_EH_PE_absptr:
      v = r.addr(addrSize);
      break;
    case C.DW_EH_PE_uleb128:
      v = r.uleb();
      break;
    case C.DW_EH_PE_udata2:
      v = r.u16();
      break;
    case C.DW_EH_PE_udata4:
      v = r.u32();
      break;
    case C.DW_EH_PE_udata8:
      v = r.u64();
      break;
    case C.DW_EH_PE_sleb128:
      v = r.sleb();
      break;
    case C.DW_EH_PE_sdata2:
      v = r.i16();
      break;
    case C.DW_EH_PE_sdata4:
      v = r.i32();
      break;
    case C.DW_EH_PE_sdata8:
      v = r.i64();
      break;
    default:
      return corrupt(`unknown pointer encoding 0x${enc.toString(16)} in call frame information`);
  }
  switch (enc & 0x70) {
    case 0:
      break;
    case C.DW_EH_PE_pcrel:
      v += sectionAddr + fieldPos;
      break;
    default:
      // textrel/datarel/funcrel are not used for FDE addresses on x86_64 Linux.
      break;
  }
  return v;
}

function findFde(t: FdeTable, pc: number): number {
  const s = t.start;
  let lo = 0;
  let hi = s.length - 1;
  let best = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (s[mid] <= pc) {
      best = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  // Ranges do not overlap in practice; check a few predecessors just in case.
  for (let i = best; i >= 0 && i > best - 4; i--) {
    if (pc >= t.start[i] && pc < t.end[i]) return i;
  }
  return -1;
}

interface State {
  cfa: CfaRule;
  regs: Map<number, RegRule>;
}

function execute(t: FdeTable, i: number, pc: number): CfaRow {
  const cie = t.cies[t.cieOf[i]];
  const state: State = { cfa: { kind: "reg-offset", reg: 7, offset: 8 }, regs: new Map() };
  run(t.bytes, cie.instrStart, cie.instrEnd, cie, state, undefined, Infinity, 0);
  const initial: State = { cfa: state.cfa, regs: new Map(state.regs) };
  run(t.bytes, t.instrStart[i], t.instrEnd[i], cie, state, initial, pc, t.start[i]);
  return {
    cfa: state.cfa,
    registers: state.regs,
    returnAddressRegister: cie.raReg,
    fdeStart: t.start[i],
    fdeEnd: t.end[i],
    source: t.source,
  };
}

function run(
  bytes: Uint8Array,
  from: number,
  to: number,
  cie: Cie,
  st: State,
  initial: State | undefined,
  pc: number,
  startLoc: number,
): void {
  const r = new Reader(bytes, from);
  let loc = startLoc;
  const stack: State[] = [];
  const ca = cie.codeAlign;
  const da = cie.dataAlign;
  const setCfaOffset = (off: number) => {
    if (st.cfa.kind === "reg-offset") st.cfa = { kind: "reg-offset", reg: st.cfa.reg, offset: off };
  };
  while (r.pos < to) {
    const op = r.u8();
    const hi2 = op & 0xc0;
    const low = op & 0x3f;
    if (hi2 === C.DW_CFA_advance_loc) {
      loc += low * ca;
      if (loc > pc) return;
      continue;
    }
    if (hi2 === C.DW_CFA_offset) {
      st.regs.set(low, { kind: "offset", offset: r.uleb() * da });
      continue;
    }
    if (hi2 === C.DW_CFA_restore) {
      restore(st, initial, low);
      continue;
    }
    switch (op) {
      case C.DW_CFA_nop:
        break;
      case C.DW_CFA_set_loc:
        loc = r.addr(cie.addrSize);
        if (loc > pc) return;
        break;
      case C.DW_CFA_advance_loc1:
        loc += r.u8() * ca;
        if (loc > pc) return;
        break;
      case C.DW_CFA_advance_loc2:
        loc += r.u16() * ca;
        if (loc > pc) return;
        break;
      case C.DW_CFA_advance_loc4:
        loc += r.u32() * ca;
        if (loc > pc) return;
        break;
      case C.DW_CFA_offset_extended: {
        const reg = r.uleb();
        st.regs.set(reg, { kind: "offset", offset: r.uleb() * da });
        break;
      }
      case C.DW_CFA_offset_extended_sf: {
        const reg = r.uleb();
        st.regs.set(reg, { kind: "offset", offset: r.sleb() * da });
        break;
      }
      case C.DW_CFA_GNU_negative_offset_extended: {
        const reg = r.uleb();
        st.regs.set(reg, { kind: "offset", offset: -r.uleb() * da });
        break;
      }
      case C.DW_CFA_val_offset: {
        const reg = r.uleb();
        st.regs.set(reg, { kind: "val-offset", offset: r.uleb() * da });
        break;
      }
      case C.DW_CFA_val_offset_sf: {
        const reg = r.uleb();
        st.regs.set(reg, { kind: "val-offset", offset: r.sleb() * da });
        break;
      }
      case C.DW_CFA_restore_extended:
        restore(st, initial, r.uleb());
        break;
      case C.DW_CFA_undefined:
        st.regs.set(r.uleb(), { kind: "undefined" });
        break;
      case C.DW_CFA_same_value:
        st.regs.set(r.uleb(), { kind: "same-value" });
        break;
      case C.DW_CFA_register: {
        const reg = r.uleb();
        st.regs.set(reg, { kind: "register", reg: r.uleb() });
        break;
      }
      case C.DW_CFA_remember_state:
        stack.push({ cfa: st.cfa, regs: new Map(st.regs) });
        break;
      case C.DW_CFA_restore_state: {
        const s = stack.pop();
        if (s) {
          st.cfa = s.cfa;
          st.regs = s.regs;
        }
        break;
      }
      case C.DW_CFA_def_cfa: {
        const reg = r.uleb();
        st.cfa = { kind: "reg-offset", reg, offset: r.uleb() };
        break;
      }
      case C.DW_CFA_def_cfa_sf: {
        const reg = r.uleb();
        st.cfa = { kind: "reg-offset", reg, offset: r.sleb() * da };
        break;
      }
      case C.DW_CFA_def_cfa_register: {
        const reg = r.uleb();
        st.cfa = {
          kind: "reg-offset",
          reg,
          offset: st.cfa.kind === "reg-offset" ? st.cfa.offset : 0,
        };
        break;
      }
      case C.DW_CFA_def_cfa_offset:
        setCfaOffset(r.uleb());
        break;
      case C.DW_CFA_def_cfa_offset_sf:
        setCfaOffset(r.sleb() * da);
        break;
      case C.DW_CFA_def_cfa_expression:
        st.cfa = { kind: "expression", expr: r.bytesView(r.uleb()) };
        break;
      case C.DW_CFA_expression: {
        const reg = r.uleb();
        st.regs.set(reg, { kind: "expression", expr: r.bytesView(r.uleb()) });
        break;
      }
      case C.DW_CFA_val_expression: {
        const reg = r.uleb();
        st.regs.set(reg, { kind: "val-expression", expr: r.bytesView(r.uleb()) });
        break;
      }
      case C.DW_CFA_GNU_args_size:
        r.skipLeb();
        break;
      case C.DW_CFA_GNU_window_save:
        break;
      default:
        corrupt(
          `unknown call frame instruction 0x${op.toString(16)} at 0x${(r.pos - 1).toString(16)}`,
        );
    }
  }
}

function restore(st: State, initial: State | undefined, reg: number): void {
  const rule = initial?.regs.get(reg);
  if (rule) st.regs.set(reg, rule);
  else st.regs.delete(reg);
}
