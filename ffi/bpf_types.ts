/**
 * Numbering of the kernel's BPF objects (`enum bpf_map_type`, `enum bpf_prog_type`, ...) and the
 * specs that `createMap` and `loadProgram` take. Values mirror the kernel UAPI
 * (`include/uapi/linux/bpf.h`); tests/ffi_constants_test.ts checks them against the headers.
 */

/** Kernel object names hold at most 15 characters plus NUL (BPF_OBJ_NAME_LEN). */
const OBJ_NAME_MAX = 15;

/** Cleans a name the way the kernel accepts it: `[A-Za-z0-9_.]`, at most 15 characters. */
export function objectName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.]/g, "_").slice(0, OBJ_NAME_MAX);
}

/** `enum bpf_map_type` (the ones ghostscope may use). */
export enum MapType {
  Hash = 1,
  Array = 2,
  ProgArray = 3,
  PerfEventArray = 4,
  PerCpuHash = 5,
  PerCpuArray = 6,
  StackTrace = 7,
  LruHash = 9,
  LruPerCpuHash = 10,
  LpmTrie = 11,
  ArrayOfMaps = 12,
  HashOfMaps = 13,
  Queue = 22,
  Stack = 23,
  RingBuf = 27,
  TaskStorage = 29,
  BloomFilter = 30,
}

/** `enum bpf_prog_type` (the tracing-related ones). Uprobes are `Kprobe` programs. */
export enum ProgType {
  SocketFilter = 1,
  Kprobe = 2,
  Tracepoint = 5,
  PerfEvent = 7,
  RawTracepoint = 17,
  Tracing = 26,
}

/** `enum bpf_attach_type` (the ones `bpf_link_create` needs here). */
export enum AttachType {
  TraceRawTp = 23,
  TraceFentry = 24,
  TraceFexit = 25,
  /** Link a program to a perf event (uprobe, tracepoint). */
  PerfEvent = 41,
  TraceKprobeMulti = 42,
  /** Kernel >= 6.6; not exposed by libbpf 1.1 but accepted by `bpf_link_create`. */
  TraceUprobeMulti = 48,
}

/** `flags` of `bpf_map_update_elem`. */
export enum UpdateFlag {
  /** Create or update. */
  Any = 0,
  /** Create only; EEXIST if the key exists. */
  NoExist = 1,
  /** Update only; ENOENT if the key is missing. */
  Exist = 2,
}

/** `map_flags` bits of `bpf_map_create` (BPF_F_*). */
export enum MapFlag {
  NoPrealloc = 1,
  RdOnly = 1 << 3,
  WrOnly = 1 << 4,
  RdOnlyProg = 1 << 7,
  WrOnlyProg = 1 << 8,
  Mmapable = 1 << 10,
}

/** What `createMap` (ffi/maps.ts) creates. */
export interface MapSpec {
  type: MapType;
  /** Object name; truncated to 15 characters, characters other than `[A-Za-z0-9_.]` become `_`. */
  name: string;
  keySize: number;
  valueSize: number;
  /** Entries, or the byte size of a ring buffer (a power of two, multiple of the page size). */
  maxEntries: number;
  /** `MapFlag` bits. */
  flags?: number;
}

/** What `loadProgram` (ffi/programs.ts) loads. */
export interface ProgramSpec {
  type: ProgType;
  /** Object name; truncated to 15 characters, characters other than `[A-Za-z0-9_.]` become `_`. */
  name: string;
  /** Encoded `struct bpf_insn` array (8 bytes per instruction, map fds already in place). */
  insns: Uint8Array;
  /** License string; helpers such as `bpf_probe_read_*` need a GPL-compatible one. */
  license: string;
  /** `expected_attach_type`, for program types that need one. */
  expectedAttachType?: AttachType;
}
