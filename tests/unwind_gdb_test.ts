/**
 * The unwinder and symbolizer against gdb, without the kernel: gdb stops a backtrace fixture
 * (-O0 and -O2: inlined callers, a recursion, a call through a shared library and back, libc's
 * write, a dlopen'ed library), reports its own frames and snapshots the stop; ghostscope unwinds
 * the same registers and stack copy by DWARF CFI and must list the same functions in the same
 * order (inline frames included), at the same pcs.
 */
import { assertEquals } from "./assert.ts";
import { IN_CI } from "./e2e/harness.ts";
import { BT_BUILD, btNames, gdbNames, type GdbStop, gdbStop, haveGdb } from "./backtrace_oracle.ts";
import { DebugInfoLoader, NO_PROGRESS } from "../lib/debuginfo/mod.ts";
import { parseMaps } from "../lib/proc/maps.ts";
import {
  backtraceLines,
  DWARF_REG_BY_NAME,
  DwarfReg,
  ImageCache,
  loaderDwarf,
  MapsAddressSpace,
  StackSnapshot,
  Symbolizer,
  unwind,
  UnwindEnd,
} from "../lib/unwind/mod.ts";

/** Unwinds gdb's snapshot (its stack copy cut to `stackBytes`); returns our lines and frames. */
function ourBacktrace(
  stop: GdbStop,
  depth = 128,
  mode = { inline: true, full: false, raw: false },
  stackBytes = Infinity,
) {
  const regs = new Map<number, number>();
  for (const [name, value] of Object.entries(stop.regs)) {
    regs.set(DWARF_REG_BY_NAME[name], Number(BigInt(value)));
  }
  const bytes = new Uint8Array(stop.stack.length / 2);
  for (let i = 0; i < bytes.length; i++) {
    bytes[i] = parseInt(stop.stack.slice(2 * i, 2 * i + 2), 16);
  }
  const snap = new StackSnapshot(
    regs,
    regs.get(DwarfReg.Rsp)!,
    bytes.subarray(0, Math.min(bytes.length, stackBytes)),
  );
  const space = new MapsAddressSpace(parseMaps(stop.maps), new ImageCache(), (e) => e.path);
  const bt = unwind(snap, space, depth);
  const sym = new Symbolizer(loaderDwarf(new DebugInfoLoader({ progress: () => NO_PROGRESS })));
  return { bt, lines: backtraceLines(bt, mode, sym) };
}

/** The fixture's own functions; libc's frames are compared by pc (its names differ between its
 * symbols and gdb's debug info: write / __GI___libc_write). */
const FIXTURE_FUNCTIONS =
  /^\*?(bt_leaf|add3|on_callback|lib_apply|recurse|run_round|plug_run|main)$/;

function fixtureNames(names: string[]): string[] {
  return names.map((n) => FIXTURE_FUNCTIONS.test(n) ? n : "<libc>");
}

/** gdb's physical-frame pcs up to main. */
function gdbPcs(stop: GdbStop): string[] {
  const names = gdbNames(stop.frames);
  return stop.frames.slice(0, names.length).filter((f) => !f.inline).map((f) => f.pc);
}

const gdbOk = haveGdb();

for (const opt of ["O0", "O2"]) {
  const bin = `${BT_BUILD}/bt_${opt}`;
  const cases: Array<{ name: string; commands: string[]; args?: string[] }> = [
    {
      name: "bt_leaf through the library and the recursion",
      commands: ["break bt_leaf", "run"],
    },
    {
      name: "libc write called from the fixture",
      commands: ["break bt_leaf", "run", "break write", "continue"],
    },
    {
      name: "a dlopen'ed library's frame",
      commands: ["break plug_run", "run", "break bt_leaf", "continue"],
      args: [`${BT_BUILD}/libbtplug.so`],
    },
  ];
  for (const c of cases) {
    Deno.test({
      name: `unwind vs gdb (-${opt}): ${c.name}`,
      ignore: !gdbOk && !IN_CI,
      async fn() {
        const stop = await gdbStop(bin, ["1", ...(c.args ?? [])], c.commands);
        const { bt, lines } = ourBacktrace(stop);
        const pcs = gdbPcs(stop);
        const ourPcs = bt.frames.slice(0, pcs.length).map((f) => `0x${f.pc.toString(16)}`);
        assertEquals(ourPcs, pcs, `pcs\n${lines.join("\n")}`);
        assertEquals(
          fixtureNames(btNames(lines)),
          fixtureNames(gdbNames(stop.frames)),
          lines.join("\n"),
        );
        assertEquals(bt.end === UnwindEnd.Stopped, false, lines.join("\n"));
        // noinline drops exactly the inline frames.
        const noinline = ourBacktrace(stop, 128, { inline: false, full: false, raw: false });
        assertEquals(
          fixtureNames(btNames(noinline.lines)),
          fixtureNames(gdbNames(stop.frames.filter((f) => !f.inline))),
        );
        // Depth 1: one frame, truncated.
        const one = ourBacktrace(stop, 1);
        assertEquals(one.lines[0], "backtrace: truncated, 1 frame (max 1)");
        assertEquals(one.bt.frames.length, 1);
        // A stack copy that ends early stops the walk with that reason, never a guess.
        const cut = ourBacktrace(stop, 128, { inline: true, full: false, raw: false }, 96);
        assertEquals(cut.bt.end, UnwindEnd.Stopped);
        assertEquals(/stack copy ended at \S+\+0x[0-9a-f]+/.test(cut.bt.reason ?? ""), true);
        assertEquals(cut.lines.at(-1)?.startsWith("  stopped: stack copy ended"), true);
        if (Deno.env.get("GS_SHOW_BT")) console.log(lines.join("\n"));
      },
    });
  }
}
