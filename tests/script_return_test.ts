/** Unit tests of return probes: the `:return` target, the SysV return-value plans, the maps. */
import assert from "node:assert/strict";
import { parseTarget } from "../lib/script/parser.ts";
import { returnValuePlan } from "../lib/script/variables/return_value.ts";
import type { DwarfType } from "../lib/dwarf/index.ts";
import {
  entryRecordSize,
  MAX_ENTRY_CAPTURES,
  RET_KEY_SIZE,
  retCallsMapSpec,
} from "../bpf/return_pairing.ts";

const int: DwarfType = {
  kind: "base",
  name: "int",
  size: 4,
  encoding: "signed",
  signed: true,
  dieOffset: 1,
};
const long: DwarfType = { ...int, name: "long", size: 8 };
const dbl: DwarfType = { ...int, name: "double", size: 8, encoding: "float" };
const struct = (size: number, members: DwarfType[]): DwarfType => ({
  kind: "struct",
  size,
  members: members.map((type, i) => ({ name: `m${i}`, type, offset: 8 * i })),
  declaration: false,
  dieOffset: 2,
});

Deno.test(":return targets: functions and wildcards only", () => {
  assert.deepEqual(parseTarget("f:return"), { kind: "function", name: "f", ret: true });
  assert.deepEqual(parseTarget("w_*:return"), { kind: "function", name: "w_*", ret: true });
  assert.equal(parseTarget("0x10:return"), undefined);
  assert.equal(parseTarget("a.c:3:return"), undefined);
  assert.equal(parseTarget("f:return:return"), undefined);
  assert.deepEqual(parseTarget("a.c:3"), { kind: "line", file: "a.c", line: 3 });
});

Deno.test("return values by the SysV ABI: rax, rax:rdx, memory; not xmm0, not void", () => {
  const r = returnValuePlan(int);
  assert.ok("kind" in r && r.kind === "regs" && r.text === "rax");
  const pair = returnValuePlan(struct(16, [long, long]));
  assert.ok("kind" in pair && pair.kind === "regs");
  if ("kind" in pair && pair.kind === "regs") {
    assert.deepEqual(pair.pieces.map((p) => [p.name, p.size]), [["rax", 8], ["rdx", 8]]);
  }
  const big = returnValuePlan(struct(24, [long, long, long]));
  assert.ok("kind" in big && big.kind === "memory" && /\[rax\]/.test(big.text));
  const f = returnValuePlan(dbl);
  assert.ok("kind" in f && f.kind === "unsupported" && /xmm0/.test(f.reason));
  const v = returnValuePlan({ kind: "void", dieOffset: 0 });
  assert.ok("error" in v && /void/.test(v.error));
});

Deno.test("pairing map: {pid_tgid, trace, frame} keys, one u64 per capture after the time", () => {
  assert.equal(RET_KEY_SIZE, 24);
  assert.equal(retCallsMapSpec(3).keySize, 24);
  assert.equal(retCallsMapSpec(3).valueSize, entryRecordSize(3));
  assert.equal(entryRecordSize(3), 32);
  assert.throws(() => retCallsMapSpec(MAX_ENTRY_CAPTURES + 1), RangeError);
});
