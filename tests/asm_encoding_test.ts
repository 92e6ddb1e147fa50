import assert from "node:assert/strict";
import { AsmError, Assembler, JmpOp, Reg, Size } from "../bpf/asm.ts";
import { AluOp } from "../bpf/asm.ts";
import { BpfHelper } from "../bpf/helpers.ts";

/** Hex of each 8-byte instruction, for readable comparisons. */
function slots(bytes: Uint8Array): string[] {
  const out: string[] = [];
  for (let i = 0; i < bytes.length; i += 8) {
    out.push([...bytes.subarray(i, i + 8)].map((b) => b.toString(16).padStart(2, "0")).join(" "));
  }
  return out;
}

Deno.test("encodings of the kernel-recipes reference uprobe program", () => {
  const a = new Assembler()
    .mov64(Reg.R6, Reg.R1) // bf 16
    .ldx(Size.DW, Reg.R7, Reg.R6, 112) // 79 67 70 00
    .ldx(Size.DW, Reg.R8, Reg.R6, 104) // 79 68 68 00
    .call(BpfHelper.GetCurrentPidTgid) // 85 .. 0e
    .stx(Size.DW, Reg.R10, -48, Reg.R0) // 7b 0a d0 ff
    .st(Size.DW, Reg.R10, -16, 0) // 7a
    .ldMap(Reg.R1, "events") // 18 11 + second slot
    .mov64(Reg.R2, Reg.R10) // bf a2
    .add64(Reg.R2, -48) // 07 02 .. d0 ff ff ff
    .mov64(Reg.R3, 48) // b7 03 .. 30
    .call(BpfHelper.RingbufOutput) // 85 .. 82
    .mov64(Reg.R0, 0)
    .exit(); // 95
  assert.deepEqual(slots(a.assemble({ events: 22 })), [
    "bf 16 00 00 00 00 00 00",
    "79 67 70 00 00 00 00 00",
    "79 68 68 00 00 00 00 00",
    "85 00 00 00 0e 00 00 00",
    "7b 0a d0 ff 00 00 00 00",
    "7a 0a f0 ff 00 00 00 00",
    "18 11 00 00 16 00 00 00",
    "00 00 00 00 00 00 00 00",
    "bf a2 00 00 00 00 00 00",
    "07 02 00 00 d0 ff ff ff",
    "b7 03 00 00 30 00 00 00",
    "85 00 00 00 82 00 00 00",
    "b7 00 00 00 00 00 00 00",
    "95 00 00 00 00 00 00 00",
  ]);
  assert.equal(a.length, 14);
  assert.deepEqual(a.mapNames(), ["events"]);
});

Deno.test("ld_imm64 splits a 64-bit constant over two slots (low half first)", () => {
  const bytes = new Assembler().ldImm64(Reg.R1, 0x1122334455667788n).assemble();
  assert.deepEqual(slots(bytes), ["18 01 00 00 88 77 66 55", "00 00 00 00 44 33 22 11"]);
  // negative values are taken modulo 2^64
  const neg = new Assembler().ldImm64(Reg.R2, -1n).assemble();
  assert.deepEqual(slots(neg), ["18 02 00 00 ff ff ff ff", "00 00 00 00 ff ff ff ff"]);
});

Deno.test("ALU64 and ALU32 opcodes, immediate and register forms", () => {
  const cases: Array<[AluOp, number]> = [
    [AluOp.Add, 0x00],
    [AluOp.Sub, 0x10],
    [AluOp.Mul, 0x20],
    [AluOp.Div, 0x30],
    [AluOp.Or, 0x40],
    [AluOp.And, 0x50],
    [AluOp.Lsh, 0x60],
    [AluOp.Rsh, 0x70],
    [AluOp.Mod, 0x90],
    [AluOp.Xor, 0xa0],
    [AluOp.Mov, 0xb0],
    [AluOp.Arsh, 0xc0],
  ];
  for (const [op, bits] of cases) {
    const b = new Assembler()
      .alu64(op, Reg.R3, 5)
      .alu64(op, Reg.R3, Reg.R4)
      .alu32(op, Reg.R3, 5)
      .alu32(op, Reg.R3, Reg.R4)
      .assemble();
    assert.equal(b[0], 0x07 | bits, `alu64 ${AluOp[op]} imm`);
    assert.equal(b[1], 0x03);
    assert.equal(b[4], 5);
    assert.equal(b[8], 0x0f | bits, `alu64 ${AluOp[op]} reg`);
    assert.equal(b[9], 0x43);
    assert.equal(b[16], 0x04 | bits, `alu32 ${AluOp[op]} imm`);
    assert.equal(b[24], 0x0c | bits, `alu32 ${AluOp[op]} reg`);
  }
  const neg = new Assembler().neg64(Reg.R5).alu32(AluOp.Neg, Reg.R5, 0).assemble();
  assert.deepEqual(slots(neg), ["87 05 00 00 00 00 00 00", "84 05 00 00 00 00 00 00"]);
});

Deno.test("load/store sizes and the atomic add", () => {
  const b = new Assembler()
    .ldx(Size.B, Reg.R0, Reg.R1, 1)
    .ldx(Size.H, Reg.R0, Reg.R1, 2)
    .ldx(Size.W, Reg.R0, Reg.R1, 4)
    .stx(Size.B, Reg.R1, -1, Reg.R2)
    .stx(Size.W, Reg.R1, 4, Reg.R2)
    .st(Size.W, Reg.R10, -4, -2)
    .st(Size.H, Reg.R10, -6, 7)
    .atomicAdd(Size.DW, Reg.R0, 0, Reg.R1)
    .atomicAdd(Size.W, Reg.R0, 8, Reg.R1)
    .assemble();
  assert.deepEqual(slots(b), [
    "71 10 01 00 00 00 00 00",
    "69 10 02 00 00 00 00 00",
    "61 10 04 00 00 00 00 00",
    "73 21 ff ff 00 00 00 00",
    "63 21 04 00 00 00 00 00",
    "62 0a fc ff fe ff ff ff",
    "6a 0a fa ff 07 00 00 00",
    "db 10 00 00 00 00 00 00",
    "c3 10 08 00 00 00 00 00",
  ]);
});

Deno.test("conditional jumps: every JmpOp, imm and reg forms, JMP32", () => {
  const ops: Array<[JmpOp, number]> = [
    [JmpOp.Jeq, 0x10],
    [JmpOp.Jgt, 0x20],
    [JmpOp.Jge, 0x30],
    [JmpOp.Jset, 0x40],
    [JmpOp.Jne, 0x50],
    [JmpOp.Jsgt, 0x60],
    [JmpOp.Jsge, 0x70],
    [JmpOp.Jlt, 0xa0],
    [JmpOp.Jle, 0xb0],
    [JmpOp.Jslt, 0xc0],
    [JmpOp.Jsle, 0xd0],
  ];
  for (const [op, bits] of ops) {
    const b = new Assembler()
      .jmp(op, Reg.R1, 7, "end")
      .jmp(op, Reg.R1, Reg.R2, "end")
      .jmp32(op, Reg.R1, 7, "end")
      .label("end")
      .exit()
      .assemble();
    assert.equal(b[0], 0x05 | bits, JmpOp[op]);
    assert.equal(b[4], 7);
    assert.equal(b[8], 0x0d | bits);
    assert.equal(b[9], 0x21);
    assert.equal(b[16], 0x06 | bits);
  }
});

Deno.test("labels resolve forward and backward, ld_imm64 counts two slots", () => {
  const a = new Assembler()
    .label("top") // 0
    .ja("fwd") // 0 -> 4: off = 4 - 1 = 3
    .ldImm64(Reg.R1, 1n) // 1-2
    .mov64(Reg.R0, 0) // 3
    .label("fwd")
    .jmp(JmpOp.Jeq, Reg.R0, 1, "top") // 4 -> 0: off = 0 - 5 = -5
    .exit(); // 5
  const b = a.assemble();
  const v = new DataView(b.buffer);
  assert.equal(v.getInt16(0 * 8 + 2, true), 3);
  assert.equal(v.getInt16(4 * 8 + 2, true), -5);
  assert.equal(a.labels().get("fwd"), 4);
});

Deno.test("assembler errors name the problem", () => {
  assert.throws(() => new Assembler().ja("nowhere").exit().assemble(), /unknown label 'nowhere'/);
  assert.throws(() => new Assembler().label("x").exit().label("x"), /duplicate label 'x'/);
  assert.throws(
    () => new Assembler().ldMap(Reg.R1, "events").exit().assemble({}),
    /unknown map 'events'/,
  );
  assert.throws(() => new Assembler().mov64(Reg.R0, 2 ** 31), /not a signed 32-bit/);
  assert.throws(() => new Assembler().mov64(Reg.R0, 1.5), /not a signed 32-bit/);
  assert.throws(() => new Assembler().mov64(Reg.R10, 0), /r10 \(frame pointer\) is read-only/);
  assert.throws(() => new Assembler().div64(Reg.R0, 0), /division by the constant 0/);
  assert.throws(() => new Assembler().lsh64(Reg.R0, 64), /shift 64 out of 0\.\.63/);
  assert.throws(() => new Assembler().ldx(Size.DW, Reg.R0, Reg.R1, 40000), /not a signed 16-bit/);
  assert.throws(() => new Assembler().exit().ja("end").label("end").assemble(), /past the last/);
  assert.throws(() => new Assembler().ja("x").exit().assemble(), AsmError);
  const far = new Assembler().ja("far");
  for (let i = 0; i < 0x8000; i++) far.mov64(Reg.R0, 0);
  far.label("far").exit();
  assert.throws(() => far.assemble(), /jump to 'far' out of range/);
});
