/** File descriptors of kernel objects: identity of BPF objects, and closing any fd. */
import { BpfError, Errno } from "./errors.ts";
import { checkLibc, libc } from "./libc.ts";
import { checkLibbpf, libbpf } from "./libbpf.ts";
import { allocBytes, CStruct } from "./pointers.ts";

// struct bpf_{prog,map,link}_info all start with `u32 type; u32 id;`. The kernel copies at most
// the size we give and requires nothing of a zeroed tail.
const OBJ_INFO = { size: 256, type: 0, id: 4 } as const;

/** Kernel identity of a BPF object fd (program, map or link), as `bpftool ... show` lists it. */
export interface ObjectInfo {
  /** The object's id (`bpftool prog show id <id>`). */
  id: number;
  /** Program, map or link type number, depending on the object. */
  type: number;
}

/**
 * Id and type of the program, map or link behind `fd`.
 * @throws {BpfError} EBADF / EINVAL for an fd that is not a BPF object
 */
export function objectInfo(fd: number): ObjectInfo {
  const info = allocBytes(OBJ_INFO.size);
  const length = new CStruct(4).u32(0, OBJ_INFO.size);
  checkLibbpf(
    `bpf_obj_get_info_by_fd(fd ${fd})`,
    libbpf().bpf_obj_get_info_by_fd(fd, info, length.bytes),
  );
  const view = new DataView(info.buffer);
  return { id: view.getUint32(OBJ_INFO.id, true), type: view.getUint32(OBJ_INFO.type, true) };
}

/**
 * Closes any fd (map, program, link, perf event, pidfd). EINTR counts as closed (Linux releases
 * the fd anyway).
 * @throws {BpfError} EBADF for an fd that is not open
 */
export function closeFd(fd: number): void {
  try {
    checkLibc(`close(${fd})`, libc().close(fd));
  } catch (err) {
    if (err instanceof BpfError && err.errno === Errno.EINTR) return;
    throw err;
  }
}

/**
 * Closes an fd on an FFI worker thread, for fds whose release makes the kernel wait (a uprobe perf
 * event waits for an RCU grace period, ~100 ms). Failures are not reported: errno is thread-local,
 * so use it only where a failed close would change nothing.
 */
export async function closeFdInBackground(fd: number): Promise<void> {
  await libc().close_nb(fd);
}
