/** Creates a BPF map from its spec and registers it for release with the session's resources. */
import { closeFd, createMap } from "../../ffi/bpf.ts";
import type { MapSpec } from "../../bpf/maps.ts";
import type { Resources } from "./resources.ts";

/** Creates the map of `spec`; its fd is closed when `resources` are released. */
export function createHeldMap(resources: Resources, spec: MapSpec): number {
  const fd = createMap({
    type: spec.type,
    name: spec.name,
    keySize: spec.keySize,
    valueSize: spec.valueSize,
    maxEntries: spec.maxEntries,
  });
  return resources.hold(fd, `map ${spec.name}`, closeFd);
}
