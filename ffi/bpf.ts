/**
 * The BPF side of `ffi/` in one import: object numbering, maps, program loading, feature probes
 * and fds. Every failure is a {@link BpfError} (a {@link VerifierError} for a rejected program).
 *
 * Implementation lives in small files: `bpf_types.ts` (enums, specs), `maps.ts`, `programs.ts`,
 * `probes.ts`, `fds.ts`.
 */
export {
  AttachType,
  MapFlag,
  type MapSpec,
  MapType,
  objectName,
  type ProgramSpec,
  ProgType,
  UpdateFlag,
} from "./bpf_types.ts";
export { createMap, mapDelete, mapLookup, mapNextKey, mapUpdate } from "./maps.ts";
export { loadProgram } from "./programs.ts";
export { possibleCpus, probeHelper, probeMapType, probeProgType } from "./probes.ts";
export { closeFd, closeFdInBackground, type ObjectInfo, objectInfo } from "./fds.ts";
export { BpfError, NotSupportedError, VerifierError } from "./errors.ts";
