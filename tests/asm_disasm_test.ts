import assert from "node:assert/strict";
import { Assembler, JmpOp, Reg, Size } from "../bpf/asm.ts";
import { disassemble } from "../bpf/disasm.ts";
import { BpfHelper } from "../bpf/helpers.ts";

Deno.test("disassembly reads like the verifier log", () => {
  const a = new Assembler()
    .mov64(Reg.R6, Reg.R1)
    .ldx(Size.DW, Reg.R0, Reg.R6, 112)
    .jmp(JmpOp.Jne, Reg.R0, 1234, "out")
    .ldImm64(Reg.R2, 0xdeadbeefcafen)
    .ldMap(Reg.R1, "events")
    .stx(Size.W, Reg.R10, -4, Reg.R0)
    .st(Size.DW, Reg.R7, 24, 5)
    .atomicAdd(Size.DW, Reg.R0, 0, Reg.R1)
    .arsh64(Reg.R0, 3)
    .mov32(Reg.R0, Reg.R0)
    .neg64(Reg.R3)
    .call(BpfHelper.KtimeGetNs)
    .label("out")
    .mov64(Reg.R0, 0)
    .exit();
  const lines = disassemble(a.assemble({ events: 9 }));
  assert.deepEqual(lines, [
    "   0: r6 = r1",
    "   1: r0 = *(u64 *)(r6 +112)",
    "   2: if r0 != 0x4d2 goto +11 (-> 14)",
    "   3: r2 = 0xdeadbeefcafe ll",
    "   5: r1 = map[fd 9]",
    "   7: *(u32 *)(r10 -4) = r0",
    "   8: *(u64 *)(r7 +24) = 5",
    "   9: lock *(u64 *)(r0 +0) += r1",
    "  10: r0 s>>= 3",
    "  11: w0 = w0",
    "  12: r3 = -r3",
    "  13: call 5 (KtimeGetNs)",
    "  14: r0 = 0",
    "  15: exit",
  ]);
});

Deno.test("listing shows labels and map names", () => {
  const a = new Assembler().ldMap(Reg.R1, "lost").label("done").mov64(Reg.R0, 0).exit();
  const text = a.listing();
  assert.match(text, /r1 = map\[lost\]/);
  assert.match(text, /^done:$/m);
});
