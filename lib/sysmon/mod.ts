/**
 * `lib/sysmon/`: the process lifecycle monitor behind `-t PATH`. Import from here.
 *
 * - {@link ProcessTracker} (`tracker.ts`): `start()`, `poll()`, `processes()`, `close()`; keeps
 *   `proc_module_offsets`, `pid_aliases` and `allowed_pids` current for every process that maps
 *   a module.
 * - {@link openTargetModule} (`module.ts`): the `-t` file, identified by device and inode.
 * - {@link moduleCookie} (`cookie.ts`): the 64-bit module id code generation puts in
 *   `proc_module_offsets` keys.
 * - Map layouts and key design: `bpf/sysmon_maps.ts`; the lookup trace programs emit:
 *   `bpf/sysmon_lookup.ts`; the kernel programs: `bpf/sysmon_program.ts`.
 *
 * Inner files: `kernel.ts` (load/attach), `map_store.ts` (typed map access and dumps),
 * `publisher.ts` (which keys a process gets), `followed.ts` (the followed set), `proc_view.ts`
 * (/proc reads), `bias.ts`, `debounce.ts`, `tracepoint_format.ts`.
 * @module
 */

export {
  ProcessTracker,
  sysmonProbes,
  SysmonUnavailable,
  type TrackerOptions,
  type TrackerStats,
  TrackerTiming,
} from "./tracker.ts";
export {
  type FileIdentity,
  fileIdentity,
  ModuleKind,
  openTargetModule,
  sameFile,
  type TargetModule,
} from "./module.ts";
export { type CookieSource, fnv1a64, moduleCookie } from "./cookie.ts";
export type { FollowedInfo } from "./followed.ts";
export {
  type AliasEntry,
  dumpAliases,
  dumpAllowed,
  dumpOffsets,
  type OffsetsEntry,
  SysmonMapStore,
} from "./map_store.ts";
export { computeModuleOffsets, type LoadSegment } from "./bias.ts";
