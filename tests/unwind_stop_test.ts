/**
 * A frame the unwinder cannot unwind ends the backtrace with the reason, never a guess: a module
 * without call frame information, a pc no module maps.
 */
import assert from "node:assert/strict";
import {
  type AddressSpace,
  backtraceLines,
  DwarfReg,
  type MappedModule,
  ModuleImage,
  StackSnapshot,
  Symbolizer,
  unwind,
  UnwindEnd,
} from "../lib/unwind/mod.ts";

/** One module at [0x10000, 0x20000) loaded with bias 0x10000, whose file is not an ELF. */
const noCfi: MappedModule = {
  image: new ModuleImage("/opt/app/libnocfi.so", "/nonexistent/libnocfi.so"),
  start: 0x10000,
  end: 0x20000,
  bias: 0x10000,
};
const space: AddressSpace = {
  moduleAt: (pc) => pc >= noCfi.start && pc < noCfi.end ? noCfi : undefined,
};
const sym = new Symbolizer(() => undefined);
const MODE = { inline: true, full: false, raw: false };

function snapAt(pc: number): StackSnapshot {
  const regs = new Map<number, number>([[DwarfReg.Rip, pc], [DwarfReg.Rsp, 0x7ff000]]);
  return new StackSnapshot(regs, 0x7ff000, new Uint8Array(64));
}

Deno.test("a module without CFI stops the walk: no CFI for module+offset", () => {
  const bt = unwind(snapAt(0x10234), space, 128);
  assert.equal(bt.end, UnwindEnd.Stopped);
  assert.equal(bt.reason, "no CFI for libnocfi.so+0x234");
  assert.deepEqual(backtraceLines(bt, MODE, sym), [
    "backtrace: stopped, 1 frame (max 128)",
    "  #0 <unknown function> at ?? [libnocfi.so+0x234]",
    "  stopped: no CFI for libnocfi.so+0x234",
  ]);
});

Deno.test("a pc outside every module stops the walk with its address", () => {
  const bt = unwind(snapAt(0x5000), space, 128);
  assert.equal(bt.end, UnwindEnd.Stopped);
  assert.equal(bt.reason, "no module maps 0x5000");
  assert.equal(backtraceLines(bt, MODE, sym)[1], "  #0 <unknown function> at ?? [0x5000]");
});
