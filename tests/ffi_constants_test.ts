/**
 * Cross-checks the enums of ffi/bpf.ts against the kernel UAPI headers installed on this machine
 * (compiles a tiny C program with gcc). Needs gcc and linux-libc-dev, not root.
 */
import assert from "node:assert/strict";
import { AttachType, MapFlag, MapType, ProgType, UpdateFlag } from "../ffi/bpf.ts";
import { cString, CStruct, fromCString } from "../ffi/pointers.ts";

const C_SOURCE = `
#include <stdio.h>
#include <linux/bpf.h>
#define P(name) printf("%s %lld\\n", #name, (long long)(name))
int main(void) {
  P(BPF_MAP_TYPE_HASH); P(BPF_MAP_TYPE_ARRAY); P(BPF_MAP_TYPE_PROG_ARRAY);
  P(BPF_MAP_TYPE_PERF_EVENT_ARRAY); P(BPF_MAP_TYPE_PERCPU_HASH); P(BPF_MAP_TYPE_PERCPU_ARRAY);
  P(BPF_MAP_TYPE_STACK_TRACE); P(BPF_MAP_TYPE_LRU_HASH); P(BPF_MAP_TYPE_LRU_PERCPU_HASH);
  P(BPF_MAP_TYPE_LPM_TRIE); P(BPF_MAP_TYPE_ARRAY_OF_MAPS); P(BPF_MAP_TYPE_HASH_OF_MAPS);
  P(BPF_MAP_TYPE_QUEUE); P(BPF_MAP_TYPE_STACK); P(BPF_MAP_TYPE_RINGBUF);
  P(BPF_MAP_TYPE_TASK_STORAGE); P(BPF_MAP_TYPE_BLOOM_FILTER);
  P(BPF_PROG_TYPE_SOCKET_FILTER); P(BPF_PROG_TYPE_KPROBE); P(BPF_PROG_TYPE_TRACEPOINT);
  P(BPF_PROG_TYPE_PERF_EVENT); P(BPF_PROG_TYPE_RAW_TRACEPOINT); P(BPF_PROG_TYPE_TRACING);
  P(BPF_TRACE_RAW_TP); P(BPF_TRACE_FENTRY); P(BPF_TRACE_FEXIT); P(BPF_PERF_EVENT);
  P(BPF_TRACE_KPROBE_MULTI);
  P(BPF_ANY); P(BPF_NOEXIST); P(BPF_EXIST);
  P(BPF_F_NO_PREALLOC); P(BPF_F_RDONLY); P(BPF_F_WRONLY); P(BPF_F_RDONLY_PROG);
  P(BPF_F_WRONLY_PROG); P(BPF_F_MMAPABLE);
  return 0;
}
`;

const EXPECTED: Record<string, number> = {
  BPF_MAP_TYPE_HASH: MapType.Hash,
  BPF_MAP_TYPE_ARRAY: MapType.Array,
  BPF_MAP_TYPE_PROG_ARRAY: MapType.ProgArray,
  BPF_MAP_TYPE_PERF_EVENT_ARRAY: MapType.PerfEventArray,
  BPF_MAP_TYPE_PERCPU_HASH: MapType.PerCpuHash,
  BPF_MAP_TYPE_PERCPU_ARRAY: MapType.PerCpuArray,
  BPF_MAP_TYPE_STACK_TRACE: MapType.StackTrace,
  BPF_MAP_TYPE_LRU_HASH: MapType.LruHash,
  BPF_MAP_TYPE_LRU_PERCPU_HASH: MapType.LruPerCpuHash,
  BPF_MAP_TYPE_LPM_TRIE: MapType.LpmTrie,
  BPF_MAP_TYPE_ARRAY_OF_MAPS: MapType.ArrayOfMaps,
  BPF_MAP_TYPE_HASH_OF_MAPS: MapType.HashOfMaps,
  BPF_MAP_TYPE_QUEUE: MapType.Queue,
  BPF_MAP_TYPE_STACK: MapType.Stack,
  BPF_MAP_TYPE_RINGBUF: MapType.RingBuf,
  BPF_MAP_TYPE_TASK_STORAGE: MapType.TaskStorage,
  BPF_MAP_TYPE_BLOOM_FILTER: MapType.BloomFilter,
  BPF_PROG_TYPE_SOCKET_FILTER: ProgType.SocketFilter,
  BPF_PROG_TYPE_KPROBE: ProgType.Kprobe,
  BPF_PROG_TYPE_TRACEPOINT: ProgType.Tracepoint,
  BPF_PROG_TYPE_PERF_EVENT: ProgType.PerfEvent,
  BPF_PROG_TYPE_RAW_TRACEPOINT: ProgType.RawTracepoint,
  BPF_PROG_TYPE_TRACING: ProgType.Tracing,
  BPF_TRACE_RAW_TP: AttachType.TraceRawTp,
  BPF_TRACE_FENTRY: AttachType.TraceFentry,
  BPF_TRACE_FEXIT: AttachType.TraceFexit,
  BPF_PERF_EVENT: AttachType.PerfEvent,
  BPF_TRACE_KPROBE_MULTI: AttachType.TraceKprobeMulti,
  BPF_ANY: UpdateFlag.Any,
  BPF_NOEXIST: UpdateFlag.NoExist,
  BPF_EXIST: UpdateFlag.Exist,
  BPF_F_NO_PREALLOC: MapFlag.NoPrealloc,
  BPF_F_RDONLY: MapFlag.RdOnly,
  BPF_F_WRONLY: MapFlag.WrOnly,
  BPF_F_RDONLY_PROG: MapFlag.RdOnlyProg,
  BPF_F_WRONLY_PROG: MapFlag.WrOnlyProg,
  BPF_F_MMAPABLE: MapFlag.Mmapable,
};

async function hasGcc(): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("gcc", { args: ["--version"], stdout: "null" })
      .output();
    return success && (await Deno.stat("/usr/include/linux/bpf.h")).isFile;
  } catch {
    return false;
  }
}

const gccAvailable = await hasGcc();
if (!gccAvailable) console.warn("ffi_constants_test: gcc or linux/bpf.h missing, skipping");

Deno.test({
  name: "ffi/bpf.ts enums match the kernel UAPI headers",
  ignore: !gccAvailable,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "ghostscope-consts-" });
    try {
      await Deno.writeTextFile(`${dir}/consts.c`, C_SOURCE);
      const build = await new Deno.Command("gcc", {
        args: ["-o", `${dir}/consts`, `${dir}/consts.c`],
        stderr: "piped",
      }).output();
      assert.ok(build.success, new TextDecoder().decode(build.stderr));
      const run = await new Deno.Command(`${dir}/consts`, { stdout: "piped" }).output();
      const actual: Record<string, number> = {};
      for (const line of new TextDecoder().decode(run.stdout).trim().split("\n")) {
        const [name, value] = line.split(" ");
        actual[name!] = Number(value);
      }
      assert.deepEqual(actual, EXPECTED);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("CStruct writes little-endian fields and keeps pointees alive", () => {
  const path = cString("/bin/true");
  const struct = new CStruct(24).u32(0, 0xdeadbeef).i32(4, -2).pointer(8, path).u64(16, 1n << 40n);
  const view = new DataView(struct.bytes.buffer);
  assert.equal(view.getUint32(0, true), 0xdeadbeef);
  assert.equal(view.getInt32(4, true), -2);
  assert.notEqual(view.getBigUint64(8, true), 0n);
  assert.equal(view.getBigUint64(16, true), 1n << 40n);
  assert.equal(fromCString(path), "/bin/true");
  assert.equal(path.at(-1), 0);
  struct.keepAlive();
});
