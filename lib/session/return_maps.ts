/** The maps that pair returns with entries, created only for scripts with `:return` blocks. */
import {
  RET_DEPTH_MAP,
  RET_STACK_MAP,
  retDepthMapSpec,
  retStackMapSpec,
} from "../../bpf/return_pairing.ts";
import type { CompiledScript } from "../script/mod.ts";
import { createHeldMap } from "./held_map.ts";
import type { Resources } from "./resources.ts";

/** `ret_depth` and `ret_stack` by program-side name, or none when the script needs neither. */
export function createReturnMaps(
  resources: Resources,
  compiled: CompiledScript,
): Record<string, number> {
  if (compiled.returnSlots === undefined) return {};
  return {
    [RET_DEPTH_MAP]: createHeldMap(resources, retDepthMapSpec()),
    [RET_STACK_MAP]: createHeldMap(resources, retStackMapSpec(compiled.returnSlots)),
  };
}
