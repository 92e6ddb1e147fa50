/**
 * `lib/unwind/`: backtraces from a register + stack snapshot by DWARF call frame information,
 * symbolized with DWARF (inline frames, positions, parameters) or ELF symbols.
 *
 * - `snapshot.ts`: {@link StackSnapshot} (registers + the stack copy); `registers.ts`: DWARF
 *   register numbers, the captured set
 * - `address_space.ts`: modules of a process (maps → bias + CFI), shared module images
 * - `cfi_expr.ts`: CFI DWARF expressions; `unwind.ts`: the walk ({@link unwind})
 * - `symbolize.ts`: frame → names; `backtrace_text.ts`: text lines and JSON frames
 * @module
 */
export {
  type AddressSpace,
  ImageCache,
  type MappedModule,
  MapsAddressSpace,
  ModuleImage,
} from "./address_space.ts";
export { evalCfiExpression } from "./cfi_expr.ts";
export { DWARF_REG_BY_NAME, DwarfReg, type RegisterSet } from "./registers.ts";
export { StackSnapshot } from "./snapshot.ts";
export { type DwarfOf, loaderDwarf, type SymbolFrame, Symbolizer } from "./symbolize.ts";
export { type Backtrace, unwind, UnwindEnd, type UnwoundFrame } from "./unwind.ts";
export {
  type BacktraceFrameJson,
  backtraceHeader,
  type BacktraceJson,
  backtraceJson,
  backtraceLines,
  type BacktraceMode,
} from "./backtrace_text.ts";
