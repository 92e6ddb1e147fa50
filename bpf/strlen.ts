/**
 * Code generation of `strLen` (see `ir.ts`): the length of a C string in user memory, from
 * `bpf_probe_read_user_str` into the first comparison buffer of the per-CPU scratch entry (the
 * helper returns the bytes copied, NUL included).
 * @module
 */

import { Reg } from "./asm.ts";
import { type BytesCodegen, lookupScratch, readSide } from "./bytes_compare.ts";
import type { IrExpr } from "./ir.ts";
import { SCRATCH_HALF } from "./maps.ts";

/** Longest string `strLen` measures (longer ones count as this many bytes). */
export const MAX_STRLEN = SCRATCH_HALF - 1;

/** Emits `R0 = strlen(addr)` (at most `cap`); 0 with a status in R9 when it cannot be read. */
export function emitStrLen(e: IrExpr & { kind: "strLen" }, g: BytesCodegen): void {
  const cap = Math.min(Math.max(1, e.cap), MAX_STRLEN);
  const mark = g.frame.mark();
  const failL = g.label("strlen_fail");
  const endL = g.label("strlen_end");
  const slot = g.frame.alloc();
  lookupScratch(g, slot, failL);
  // read_user_str of cap + 1 bytes: R0 = length + 1
  readSide(
    g,
    { kind: "userBytes", addr: e.addr, size: cap, string: true },
    {
      kind: "scratch",
      slot,
      half: 0,
    },
    failL,
    undefined,
  );
  g.a.add64(Reg.R0, -1).ja(endL)
    .label(failL).mov64(Reg.R0, 0)
    .label(endL);
  g.frame.release(mark);
}
