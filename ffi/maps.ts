/**
 * BPF maps: creation and element access from userspace. Failures are `BpfError`s; a missing
 * key is a `null`/`false` result, not an error.
 */
import { Errno } from "./errors.ts";
import { checkLibbpf, libbpf } from "./libbpf.ts";
import { type MapSpec, MapType, objectName, UpdateFlag } from "./bpf_types.ts";
import { cString, CStruct } from "./pointers.ts";
import { isValidRingbufSize, RINGBUF_SIZE_RULE } from "../bpf/maps.ts";

// struct bpf_map_create_opts, libbpf 1.1 x86_64 (kernel-recipes.md).
const MAP_CREATE_OPTS = { size: 48, mapFlags: 28 } as const;

/**
 * Creates a map and returns its fd.
 * @throws {BpfError} `bpf_map_create(<name>): EPERM (...)` etc.
 * @throws {RangeError} for a ring buffer whose size breaks `isValidRingbufSize` (bpf/maps.ts)
 */
export function createMap(spec: MapSpec): number {
  const name = objectName(spec.name);
  if (spec.type === MapType.RingBuf && !isValidRingbufSize(spec.maxEntries)) {
    throw new RangeError(
      `ring buffer ${name}: size ${spec.maxEntries} is not ${RINGBUF_SIZE_RULE}`,
    );
  }
  const opts = new CStruct(MAP_CREATE_OPTS.size)
    .u64(0, MAP_CREATE_OPTS.size)
    .u32(MAP_CREATE_OPTS.mapFlags, spec.flags ?? 0);
  const fd = libbpf().bpf_map_create(
    spec.type,
    cString(name),
    spec.keySize,
    spec.valueSize,
    spec.maxEntries,
    opts.bytes,
  );
  return checkLibbpf(`bpf_map_create(${name})`, fd);
}

/**
 * Writes `value` at `key`.
 * @throws {BpfError} e.g. EEXIST with {@link UpdateFlag.NoExist}, E2BIG when the map is full
 */
export function mapUpdate(
  fd: number,
  key: Uint8Array,
  value: Uint8Array,
  flags: UpdateFlag = UpdateFlag.Any,
): void {
  checkLibbpf(
    `bpf_map_update_elem(fd ${fd})`,
    libbpf().bpf_map_update_elem(fd, key, value, BigInt(flags)),
  );
}

/**
 * Reads the value at `key`, or `null` if there is none. For per-CPU maps `valueSize` must be
 * `roundUp(valueSize, 8) * possibleCpus()`.
 */
export function mapLookup(fd: number, key: Uint8Array, valueSize: number): Uint8Array | null {
  const value = new Uint8Array(valueSize);
  const rc = libbpf().bpf_map_lookup_elem(fd, key, value);
  if (rc === -Errno.ENOENT) return null;
  checkLibbpf(`bpf_map_lookup_elem(fd ${fd})`, rc);
  return value;
}

/** Deletes `key`; `false` if it was not there. */
export function mapDelete(fd: number, key: Uint8Array): boolean {
  const rc = libbpf().bpf_map_delete_elem(fd, key);
  if (rc === -Errno.ENOENT) return false;
  checkLibbpf(`bpf_map_delete_elem(fd ${fd})`, rc);
  return true;
}

/**
 * The key after `key` (the first key when `key` is `null`), or `null` at the end. When `key` is
 * no longer in a hash map, the kernel restarts from the first key.
 */
export function mapNextKey(fd: number, key: Uint8Array | null, keySize: number): Uint8Array | null {
  const next = new Uint8Array(keySize);
  const rc = libbpf().bpf_map_get_next_key(fd, key, next);
  if (rc === -Errno.ENOENT) return null;
  checkLibbpf(`bpf_map_get_next_key(fd ${fd})`, rc);
  return next;
}
