/** The map that pairs returns with entries, created only for scripts with `:return` blocks. */
import { RET_CALLS_MAP, retCallsMapSpec } from "../../bpf/return_pairing.ts";
import type { CompiledScript } from "../script/mod.ts";
import { createHeldMap } from "./held_map.ts";
import type { Resources } from "./resources.ts";

/** `ret_calls` by program-side name, or none when the script has no return block. */
export function createReturnMaps(
  resources: Resources,
  compiled: CompiledScript,
): Record<string, number> {
  if (compiled.returnSlots === undefined) return {};
  return { [RET_CALLS_MAP]: createHeldMap(resources, retCallsMapSpec(compiled.returnSlots)) };
}
