/**
 * What this kernel supports: helpers per program type, map types, program types, CPU count.
 *
 * libbpf's probes cannot tell "unsupported" from "not allowed": without privileges its helper probe
 * answers 1 and its map/program probes answer 0. So each probe first checks that this process may
 * create such objects at all, and throws a {@link BpfError} (EPERM) when it may not.
 */
import { BpfError, Errno, VerifierError } from "./errors.ts";
import { checkLibbpf, libbpf } from "./libbpf.ts";
import { MapType, ProgType } from "./bpf_types.ts";
import { closeFd } from "./fds.ts";
import { createMap } from "./maps.ts";
import { loadProgram } from "./programs.ts";

/** `r0 = 0; exit`: loads for every program type that needs no attach target. */
// deno-fmt-ignore
const TRIVIAL_PROGRAM = new Uint8Array([
  0xb7, 0, 0, 0, 0, 0, 0, 0, // BPF_ALU64 | BPF_MOV | BPF_K: r0 = 0
  0x95, 0, 0, 0, 0, 0, 0, 0, // BPF_JMP | BPF_EXIT
]);

const helperSupport = new Map<string, boolean>();
const loadAllowed = new Set<ProgType>();
let mapsAllowed = false;

function isPrivilegeError(err: unknown): err is BpfError {
  return err instanceof BpfError && !(err instanceof VerifierError) &&
    (err.errno === Errno.EPERM || err.errno === Errno.EACCES);
}

/** Throws EPERM/EACCES (named `op`) when this process may not load programs of `progType`. */
function requireLoadPermission(progType: ProgType, op: string): void {
  if (loadAllowed.has(progType)) return;
  try {
    closeFd(
      loadProgram({ type: progType, name: "gs_probe", insns: TRIVIAL_PROGRAM, license: "GPL" }),
    );
  } catch (err) {
    if (isPrivilegeError(err)) throw new BpfError(op, err.errno, err.description);
    // Any other failure (unknown type, one that needs an attach target) is libbpf's to judge.
  }
  loadAllowed.add(progType);
}

/** Throws EPERM (named `op`) when this process may not create maps. */
function requireMapPermission(op: string): void {
  if (mapsAllowed) return;
  try {
    closeFd(
      createMap({ type: MapType.Array, name: "gs_probe", keySize: 4, valueSize: 4, maxEntries: 1 }),
    );
  } catch (err) {
    if (isPrivilegeError(err)) throw new BpfError(op, err.errno, err.description);
    throw err;
  }
  mapsAllowed = true;
}

/**
 * Whether programs of `progType` may call helper `helperId` on this kernel (cached per process).
 * @throws {BpfError} EPERM when this process may not load BPF programs, so cannot tell
 */
export function probeHelper(progType: ProgType, helperId: number): boolean {
  const cacheKey = `${progType}:${helperId}`;
  const cached = helperSupport.get(cacheKey);
  if (cached !== undefined) return cached;
  const op = `libbpf_probe_bpf_helper(${ProgType[progType] ?? progType}, ${helperId})`;
  requireLoadPermission(progType, op);
  const rc = libbpf().libbpf_probe_bpf_helper(progType, helperId, null);
  // EOPNOTSUPP: the program type itself is unknown to the kernel, so neither is the helper.
  const supported = rc === -Errno.EOPNOTSUPP ? false : checkLibbpf(op, rc) === 1;
  helperSupport.set(cacheKey, supported);
  return supported;
}

/**
 * Whether the kernel can create maps of `type`.
 * @throws {BpfError} EPERM when this process may not create maps, so cannot tell
 */
export function probeMapType(type: MapType): boolean {
  const op = `libbpf_probe_bpf_map_type(${MapType[type] ?? type})`;
  requireMapPermission(op);
  return checkLibbpf(op, libbpf().libbpf_probe_bpf_map_type(type, null)) === 1;
}

/**
 * Whether the kernel can load programs of `type`.
 * @throws {BpfError} EPERM when this process may not load programs of that type
 */
export function probeProgType(type: ProgType): boolean {
  const op = `libbpf_probe_bpf_prog_type(${ProgType[type] ?? type})`;
  requireLoadPermission(type, op);
  return checkLibbpf(op, libbpf().libbpf_probe_bpf_prog_type(type, null)) === 1;
}

let cpuCount: number | undefined;

/** Number of possible CPUs (the slot count of per-CPU map values). */
export function possibleCpus(): number {
  cpuCount ??= checkLibbpf("libbpf_num_possible_cpus", libbpf().libbpf_num_possible_cpus());
  return cpuCount;
}
