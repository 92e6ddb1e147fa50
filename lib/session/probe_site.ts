/** Where one uprobe goes. A trace block may have several (a line inlined in many places). */
import type { ProcessModule } from "./process_modules.ts";

export interface ProbeSite {
  /** What the user asked for, for messages: `add`, `server.c:212`, `0x1139` (plus `@0x…` when a
   * target has several sites). */
  label: string;
  /** The trace target as written (`server.c:212`), the same for every site of a target. */
  targetText: string;
  /** Path handed to the kernel (may be `/proc/PID/root/...` to reach another mount namespace). */
  uprobePath: string;
  /** File offset of the probed instruction. */
  fileOffset: number;
  /** Link-time virtual address of the probed instruction inside its module. */
  linkAddress: number;
  /** The module as the target process maps it (path in the target's mount namespace). */
  modulePath: string;
  /** The module itself (for its ELF and, through lib/debuginfo, its DWARF). */
  module: ProcessModule;
  /** The function containing the address, when DWARF or the symbol table says. */
  function?: string;
  /** Set when the address is inside an inlined copy: the inlined function's name. */
  inlined?: string;
  /**
   * A `trace f:return` block's sites come in pairs: `return` (a uretprobe at the function's
   * entry address) then `entry` (a uprobe after the prologue, where the call is recorded).
   */
  role?: "entry" | "return";
}
