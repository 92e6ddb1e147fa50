/**
 * The one kernel layout fact thread-local variables need: where the thread pointer (`fs` base on
 * x86_64) is kept in `struct task_struct` (`thread.fsbase`), read from the kernel's BTF
 * (`/sys/kernel/btf/vmlinux`) once per run. A probe reads it with `bpf_get_current_task` and
 * `bpf_probe_read_kernel`.
 * @module
 */

const BTF_MAGIC = 0xeb9f;

/** BTF kinds and the bytes that follow their 12-byte `btf_type` (per `vlen` entry when marked). */
enum Kind {
  Int = 1,
  Ptr = 2,
  Array = 3,
  Struct = 4,
  Union = 5,
  Enum = 6,
  Fwd = 7,
  Typedef = 8,
  Volatile = 9,
  Const = 10,
  Restrict = 11,
  Func = 12,
  FuncProto = 13,
  Var = 14,
  Datasec = 15,
  Float = 16,
  DeclTag = 17,
  TypeTag = 18,
  Enum64 = 19,
}

interface BtfType {
  name: string;
  kind: number;
  kindFlag: boolean;
  /** Size (struct, union, int...) or referenced type id (typedef, const, ptr...). */
  sizeOrType: number;
  /** Struct / union members: name, type id, bit offset. */
  members: { name: string; type: number; bitOffset: number }[];
}

/** Parses the types of a BTF blob (ids from 1). */
export function parseBtf(data: Uint8Array): BtfType[] {
  const v = new DataView(data.buffer, data.byteOffset, data.byteLength);
  if (v.getUint16(0, true) !== BTF_MAGIC) throw new Error("not BTF (bad magic)");
  const hdrLen = v.getUint32(4, true);
  const typeOff = hdrLen + v.getUint32(8, true);
  const typeLen = v.getUint32(12, true);
  const strOff = hdrLen + v.getUint32(16, true);
  const decoder = new TextDecoder();
  const str = (off: number): string => {
    let end = strOff + off;
    while (end < data.length && data[end] !== 0) end++;
    return decoder.decode(data.subarray(strOff + off, end));
  };
  const types: BtfType[] = [{ name: "", kind: 0, kindFlag: false, sizeOrType: 0, members: [] }];
  let p = typeOff;
  const end = typeOff + typeLen;
  while (p + 12 <= end) {
    const nameOff = v.getUint32(p, true);
    const info = v.getUint32(p + 4, true);
    const sizeOrType = v.getUint32(p + 8, true);
    const vlen = info & 0xffff;
    const kind = (info >>> 24) & 0x1f;
    const kindFlag = (info >>> 31) === 1;
    p += 12;
    const t: BtfType = { name: str(nameOff), kind, kindFlag, sizeOrType, members: [] };
    switch (kind) {
      case Kind.Int:
      case Kind.Var:
      case Kind.DeclTag:
        p += 4;
        break;
      case Kind.Array:
        p += 12;
        break;
      case Kind.Struct:
      case Kind.Union:
        for (let i = 0; i < vlen; i++, p += 12) {
          const off = v.getUint32(p + 8, true);
          t.members.push({
            name: str(v.getUint32(p, true)),
            type: v.getUint32(p + 4, true),
            bitOffset: kindFlag ? off & 0xffffff : off,
          });
        }
        break;
      case Kind.Enum:
      case Kind.FuncProto:
        p += 8 * vlen;
        break;
      case Kind.Datasec:
      case Kind.Enum64:
        p += 12 * vlen;
        break;
      case Kind.Ptr:
      case Kind.Fwd:
      case Kind.Typedef:
      case Kind.Volatile:
      case Kind.Const:
      case Kind.Restrict:
      case Kind.Func:
      case Kind.Float:
      case Kind.TypeTag:
        break;
      default:
        throw new Error(`unknown BTF kind ${kind}`);
    }
    types.push(t);
  }
  return types;
}

/** The byte offset of `task_struct.thread.fsbase` in a parsed BTF, or why there is none. */
export function fsbaseOffset(types: readonly BtfType[]): number | string {
  const task = types.find((t) => t.kind === Kind.Struct && t.name === "task_struct");
  if (!task) return "the kernel's BTF has no struct task_struct";
  const thread = task.members.find((m) => m.name === "thread");
  if (!thread) return "struct task_struct has no member 'thread'";
  let tt = types[thread.type];
  while (tt && (tt.kind === Kind.Typedef || tt.kind === Kind.Const || tt.kind === Kind.Volatile)) {
    tt = types[tt.sizeOrType];
  }
  const fs = tt?.members.find((m) => m.name === "fsbase");
  if (!fs) return "struct thread_struct has no member 'fsbase' (not x86_64?)";
  return (thread.bitOffset + fs.bitOffset) / 8;
}

let cached: number | string | undefined;

/** `task_struct.thread.fsbase`'s offset in the running kernel (read once), or why unknown. */
export function kernelFsbaseOffset(path = "/sys/kernel/btf/vmlinux"): number | string {
  if (cached !== undefined) return cached;
  try {
    cached = fsbaseOffset(parseBtf(Deno.readFileSync(path)));
  } catch (e) {
    cached = `cannot read the kernel's BTF (${path}): ${(e as Error).message}`;
  }
  return cached;
}
