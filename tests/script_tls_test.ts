import assert from "node:assert/strict";
import { fsbaseOffset, kernelFsbaseOffset, parseBtf } from "../lib/script/variables/kernel_btf.ts";
import { staticTls } from "../lib/script/variables/process.ts";
import type { ModuleFile } from "../lib/script/variables/process.ts";

function module(main: boolean, tls?: { vaddr: number; memsz: number; align: number }): ModuleFile {
  const programHeaders = tls ? [{ type: 7, flags: 4, offset: 0, paddr: 0, filesz: 0, ...tls }] : [];
  return {
    path: "/bin/x",
    hostPath: "/bin/x",
    main,
    elf: () => ({ programHeaders }),
  } as unknown as ModuleFile;
}

Deno.test("static TLS: the executable's block offset below the thread pointer (glibc, x86_64)", () => {
  const off = (tls: { vaddr: number; memsz: number; align: number }) => {
    const b = staticTls(module(true, tls));
    assert.ok(b?.ok, JSON.stringify(b));
    return b.blockOffset;
  };
  assert.equal(off({ vaddr: 0x3de8, memsz: 12, align: 8 }), 16);
  assert.equal(off({ vaddr: 0x4000, memsz: 16, align: 16 }), 16);
  // a block whose start is not aligned keeps its misalignment below the thread pointer
  assert.equal(off({ vaddr: 0x1004, memsz: 12, align: 8 }), 12);
  assert.equal(staticTls(module(true)), undefined);
  const lib = staticTls(module(false, { vaddr: 0, memsz: 8, align: 8 }));
  assert.ok(lib && !lib.ok && /library/.test(lib.why));
});

Deno.test("kernel BTF: task_struct.thread.fsbase from a built blob and from the running kernel", () => {
  // a minimal BTF: u64 (id 1), struct thread_struct { u64 sp; u64 fsbase; } (id 2),
  // struct task_struct { u64 a; struct thread_struct thread; } (id 3)
  const strings = "\0u64\0thread_struct\0sp\0fsbase\0task_struct\0a\0thread\0";
  const at = (s: string) => strings.indexOf(`\0${s}\0`) + 1;
  const words: number[] = [
    at("u64"),
    (1 << 24) | 0,
    8,
    64, // INT + its u32
    at("thread_struct"),
    (4 << 24) | 2,
    16,
    at("sp"),
    1,
    0,
    at("fsbase"),
    1,
    64,
    at("task_struct"),
    (4 << 24) | 2,
    24,
    at("a"),
    1,
    0,
    at("thread"),
    2,
    64,
  ];
  const types = new Uint8Array(words.length * 4);
  const tv = new DataView(types.buffer);
  words.forEach((w, i) => tv.setUint32(i * 4, w >>> 0, true));
  const str = new TextEncoder().encode(strings);
  const blob = new Uint8Array(24 + types.length + str.length);
  const v = new DataView(blob.buffer);
  v.setUint16(0, 0xeb9f, true);
  v.setUint8(2, 1);
  v.setUint32(4, 24, true);
  v.setUint32(8, 0, true);
  v.setUint32(12, types.length, true);
  v.setUint32(16, types.length, true);
  v.setUint32(20, str.length, true);
  blob.set(types, 24);
  blob.set(str, 24 + types.length);
  assert.equal(fsbaseOffset(parseBtf(blob)), 16);
  assert.throws(() => parseBtf(new Uint8Array(24)), /not BTF/);
  try {
    Deno.statSync("/sys/kernel/btf/vmlinux");
  } catch {
    return; // no kernel BTF here: the e2e test needs it anyway
  }
  const real = kernelFsbaseOffset();
  assert.equal(typeof real, "number", String(real));
});
