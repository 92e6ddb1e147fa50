/**
 * End-to-end smoke test of ffi/: real maps, programs, uprobes and a ring buffer on this kernel.
 * Needs root (skipped with a message otherwise, except with CI=true where it fails), gcc, binutils
 * (nm, readelf) and bpftool.
 *
 * The BPF programs are hand-encoded here (the assembler lives in bpf/ and is not used on purpose).
 */
import assert from "node:assert/strict";
import {
  closeFd,
  createMap,
  loadProgram,
  mapDelete,
  mapLookup,
  mapNextKey,
  MapType,
  mapUpdate,
  objectInfo,
  possibleCpus,
  probeHelper,
  probeMapType,
  ProgType,
  UpdateFlag,
} from "../../ffi/bpf.ts";
import { BpfError, NotSupportedError, VerifierError } from "../../ffi/errors.ts";
import { attachBpf, enable, openTracepoint, openUprobe, tracefsRoot } from "../../ffi/perf.ts";
import { geteuid, pidfdExited, pidfdOpen } from "../../ffi/process.ts";
import { RingBuffer } from "../../ffi/ringbuf.ts";

// ---------------------------------------------------------------- gating

const isRoot = geteuid() === 0;
const inCi = Deno.env.get("CI") === "true";
const skip = !isRoot && !inCi;
if (skip) {
  console.warn("SKIPPED tests/e2e/ffi_smoke_test.ts: needs root (BPF + perf_event_open)");
}

/** A root-only test: skipped when not root, failing instead when CI=true. */
function e2e(name: string, fn: () => Promise<void> | void): void {
  Deno.test({
    name,
    ignore: skip,
    fn: async () => {
      if (!isRoot) throw new Error("ffi e2e tests need root (CI=true forbids skipping)");
      await fn();
    },
  });
}

// ---------------------------------------------------------------- BPF encoding

/** Instruction classes / opcodes used below (`struct bpf_insn.code`). */
enum Op {
  Mov64Imm = 0xb7,
  Mov64Reg = 0xbf,
  Add64Imm = 0x07,
  Rsh64Imm = 0x77,
  LdxDw = 0x79,
  StxW = 0x63,
  StW = 0x62,
  LdImm64 = 0x18,
  Call = 0x85,
  Exit = 0x95,
}

enum Helper {
  GetCurrentPidTgid = 14,
  GetNsCurrentPidTgid = 120,
  RingbufOutput = 130,
}

const R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R10 = 10;
const PSEUDO_MAP_FD = 1;

/** `u8 code | u8 src<<4|dst | s16 off | s32 imm`, little-endian. */
function insn(code: Op | 0, dst: number, src: number, off: number, imm: number): Uint8Array {
  const bytes = new Uint8Array(8);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, code);
  view.setUint8(1, (src << 4) | dst);
  view.setInt16(2, off, true);
  view.setInt32(4, imm, true);
  return bytes;
}

function program(...insns: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(insns.length * 8);
  insns.forEach((bytes, i) => out.set(bytes, i * 8));
  return out;
}

/** Emits `{u32 magic, u32 tgid}` into the ring buffer `ringFd`. Works for uprobes and tracepoints. */
function tgidReporter(ringFd: number, magic: number): Uint8Array {
  return program(
    insn(Op.Call, 0, 0, 0, Helper.GetCurrentPidTgid),
    insn(Op.Rsh64Imm, R0, 0, 0, 32),
    insn(Op.StxW, R10, R0, -4, 0), // *(u32*)(r10-4) = tgid
    insn(Op.StW, R10, 0, -8, magic), // *(u32*)(r10-8) = magic
    insn(Op.LdImm64, R1, PSEUDO_MAP_FD, 0, ringFd), // r1 = &ring
    insn(0, 0, 0, 0, 0),
    insn(Op.Mov64Reg, R2, R10, 0, 0),
    insn(Op.Add64Imm, R2, 0, 0, -8),
    insn(Op.Mov64Imm, R3, 0, 0, 8),
    insn(Op.Mov64Imm, R4, 0, 0, 0),
    insn(Op.Call, 0, 0, 0, Helper.RingbufOutput),
    insn(Op.Mov64Imm, R0, 0, 0, 0),
    insn(Op.Exit, 0, 0, 0, 0),
  );
}

/** Reads pt_regs far out of bounds: the verifier must refuse it. */
const INVALID_PROGRAM = program(
  insn(Op.LdxDw, R0, R1, 4000, 0),
  insn(Op.Exit, 0, 0, 0, 0),
);

const ENTRY_MAGIC = 0x47530001;
const RETURN_MAGIC = 0x47530002;
const TRACEPOINT_MAGIC = 0x47530003;
const RINGBUF_SIZE = 256 * 1024;

// ---------------------------------------------------------------- fixture helpers

const FIXTURE_C = `
#include <unistd.h>
__attribute__((noinline)) int ghost_target(int x) {
  __asm__ volatile("");
  return x + 1;
}
int main(void) {
  volatile int v = 0;
  for (;;) {
    v = ghost_target(v);
    usleep(2000);
  }
}
`;

async function run(cmd: string, args: string[]): Promise<{ ok: boolean; out: string }> {
  const result = await new Deno.Command(cmd, { args, stdout: "piped", stderr: "piped" }).output();
  const decoder = new TextDecoder();
  return {
    ok: result.success,
    out: decoder.decode(result.stdout) + decoder.decode(result.stderr),
  };
}

/** File offset of `symbol` in `path`, from `nm` (st_value) and `readelf -l` (PT_LOAD). */
async function symbolFileOffset(path: string, symbol: string): Promise<bigint> {
  const nm = await run("nm", [path]);
  const line = nm.out.split("\n").find((l) => l.endsWith(` ${symbol}`));
  assert.ok(line, `nm: ${symbol} not found`);
  const vaddr = BigInt(`0x${line.split(" ")[0]}`);
  const readelf = await run("readelf", ["-lW", path]);
  for (const l of readelf.out.split("\n")) {
    const f = l.trim().split(/\s+/);
    if (f[0] !== "LOAD") continue;
    const [offset, start, , , memsz] = f.slice(1, 6).map((x) => BigInt(x));
    if (vaddr >= start! && vaddr < start! + memsz!) return vaddr - start! + offset!;
  }
  throw new Error(`no PT_LOAD segment holds ${symbol}`);
}

async function buildFixture(dir: string): Promise<string> {
  await Deno.writeTextFile(`${dir}/target.c`, FIXTURE_C);
  const build = await run("gcc", ["-O1", "-o", `${dir}/target`, `${dir}/target.c`]);
  assert.ok(build.ok, build.out);
  return `${dir}/target`;
}

/** Whether bpftool still lists `kind` (prog/link/map) with this id. */
async function bpftoolHas(kind: "prog" | "link" | "map", id: number): Promise<boolean> {
  return (await run("bpftool", [kind, "show", "id", String(id)])).ok;
}

/** Waits (up to 5 s) until bpftool no longer lists the object; the kernel frees some lazily. */
async function waitGone(kind: "prog" | "link" | "map", id: number): Promise<boolean> {
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    if (!(await bpftoolHas(kind, id))) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

function openFdCount(): number {
  return [...Deno.readDirSync("/proc/self/fd")].length;
}

/** Polls `ring` until `done()` or the deadline, yielding to the event loop between polls. */
async function pollUntil(ring: RingBuffer, done: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) {
    ring.poll(50);
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

function u32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setUint32(0, value, true);
  return bytes;
}

function u64(value: bigint): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, value, true);
  return bytes;
}

function readU32(bytes: Uint8Array, offset = 0): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset, true);
}

// ---------------------------------------------------------------- tests

e2e("feature probes: helper 120 for kprobe programs, ringbuf maps, CPU count", () => {
  assert.equal(probeHelper(ProgType.Kprobe, Helper.GetNsCurrentPidTgid), true);
  assert.equal(probeHelper(ProgType.Kprobe, Helper.GetNsCurrentPidTgid), true, "cached");
  assert.equal(probeHelper(ProgType.Kprobe, 999_999), false, "unknown helper id");
  assert.equal(probeMapType(MapType.RingBuf), true);
  assert.ok(possibleCpus() >= 1);
});

e2e("hash map: update, lookup, next key, delete", () => {
  const fd = createMap({
    type: MapType.Hash,
    name: "ffi_hash",
    keySize: 4,
    valueSize: 8,
    maxEntries: 8,
  });
  try {
    for (const key of [1, 2, 3]) mapUpdate(fd, u32(key), u64(BigInt(key) * 100n));
    assert.deepEqual(mapLookup(fd, u32(2), 8), u64(200n));
    assert.equal(mapLookup(fd, u32(42), 8), null);

    assert.throws(
      () => mapUpdate(fd, u32(1), u64(0n), UpdateFlag.NoExist),
      (err: unknown) => err instanceof BpfError && err.errnoName === "EEXIST",
    );
    mapUpdate(fd, u32(1), u64(111n), UpdateFlag.Exist);
    assert.deepEqual(mapLookup(fd, u32(1), 8), u64(111n));

    const keys: number[] = [];
    for (let key = mapNextKey(fd, null, 4); key !== null; key = mapNextKey(fd, key, 4)) {
      keys.push(readU32(key));
    }
    assert.deepEqual(keys.sort(), [1, 2, 3]);

    assert.equal(mapDelete(fd, u32(2)), true);
    assert.equal(mapDelete(fd, u32(2)), false);
    assert.equal(mapLookup(fd, u32(2), 8), null);
  } finally {
    closeFd(fd);
  }
});

e2e("createMap: bad ring size is a RangeError, kernel refusals are BpfError", () => {
  assert.throws(
    () =>
      createMap({ type: MapType.RingBuf, name: "bad", keySize: 0, valueSize: 0, maxEntries: 1000 }),
    RangeError,
  );
  assert.throws(
    () => createMap({ type: MapType.Hash, name: "bad", keySize: 0, valueSize: 8, maxEntries: 1 }),
    (err: unknown) =>
      err instanceof BpfError && err.errnoName === "EINVAL" &&
      err.message.startsWith("bpf_map_create(bad): EINVAL ("),
  );
});

e2e("loadProgram: the verifier's rejection carries its log", () => {
  let caught: unknown;
  try {
    const fd = loadProgram({
      type: ProgType.Kprobe,
      name: "ffi_invalid",
      insns: INVALID_PROGRAM,
      license: "GPL",
    });
    closeFd(fd);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof VerifierError, `expected VerifierError, got ${caught}`);
  assert.match(caught.message, /^bpf_prog_load\(ffi_invalid\): EACCES \(/);
  assert.match(caught.log, /invalid bpf_context access off=4000/);
  assert.match(caught.tail(3), /invalid bpf_context access/);
});

e2e("loadProgram: names are cleaned and truncated to 15 characters", async () => {
  const ring = createMap({
    type: MapType.RingBuf,
    name: "ffi_events",
    keySize: 0,
    valueSize: 0,
    maxEntries: RINGBUF_SIZE,
  });
  try {
    const prog = loadProgram({
      type: ProgType.Kprobe,
      name: "a-very-long-program-name-indeed",
      insns: tgidReporter(ring, ENTRY_MAGIC),
      license: "GPL",
    });
    try {
      const { id } = objectInfo(prog);
      const shown = await run("bpftool", ["-j", "prog", "show", "id", String(id)]);
      assert.equal(JSON.parse(shown.out).name, "a_very_long_pro");
    } finally {
      closeFd(prog);
    }
  } finally {
    closeFd(ring);
  }
});

e2e("uprobe + uretprobe on a child process deliver its tgid through the ring buffer", async () => {
  const fdsBefore = openFdCount();
  const dir = await Deno.makeTempDir({ prefix: "ghostscope-ffi-" });
  const binary = await buildFixture(dir);
  const offset = await symbolFileOffset(binary, "ghost_target");
  const child = new Deno.Command(binary, { stdout: "null", stderr: "null" }).spawn();
  const ids: Array<{ kind: "prog" | "link" | "map"; id: number }> = [];
  const fds: number[] = [];
  let ring: RingBuffer | undefined;
  try {
    const ringFd = createMap({
      type: MapType.RingBuf,
      name: "ffi_events",
      keySize: 0,
      valueSize: 0,
      maxEntries: RINGBUF_SIZE,
    });
    fds.push(ringFd);
    ids.push({ kind: "map", id: objectInfo(ringFd).id });

    const events: Array<{ magic: number; tgid: number; size: number }> = [];
    ring = new RingBuffer(ringFd, (bytes) => {
      events.push({ magic: readU32(bytes, 0), tgid: readU32(bytes, 4), size: bytes.length });
    });

    for (const [magic, retprobe] of [[ENTRY_MAGIC, false], [RETURN_MAGIC, true]] as const) {
      const prog = loadProgram({
        type: ProgType.Kprobe,
        name: retprobe ? "ffi_uretprobe" : "ffi_uprobe",
        insns: tgidReporter(ringFd, magic),
        license: "GPL",
      });
      fds.push(prog);
      ids.push({ kind: "prog", id: objectInfo(prog).id });
      const perf = openUprobe({ path: binary, offset, pid: child.pid, retprobe });
      fds.push(perf);
      const link = attachBpf(perf, prog);
      fds.push(link);
      ids.push({ kind: "link", id: objectInfo(link).id });
      enable(perf);
    }
    for (const { kind, id } of ids) assert.ok(await bpftoolHas(kind, id), `${kind} ${id} listed`);

    const seen = (magic: number) => events.filter((e) => e.magic === magic).length;
    await pollUntil(ring, () => seen(ENTRY_MAGIC) >= 3 && seen(RETURN_MAGIC) >= 3);
    assert.ok(seen(ENTRY_MAGIC) >= 3, `entry events: ${seen(ENTRY_MAGIC)}`);
    assert.ok(seen(RETURN_MAGIC) >= 3, `return events: ${seen(RETURN_MAGIC)}`);
    for (const event of events) {
      assert.equal(event.tgid, child.pid);
      assert.equal(event.size, 8);
    }

    // A throwing handler: the error surfaces from poll(), not across the C callback.
    const boom = new Error("handler failed");
    const throwing = new RingBuffer(ringFd, () => {
      throw boom;
    });
    try {
      let thrown: unknown;
      const deadline = Date.now() + 5000;
      while (thrown === undefined && Date.now() < deadline) {
        try {
          throwing.poll(50);
        } catch (err) {
          thrown = err;
        }
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
      assert.equal(thrown, boom);
    } finally {
      throwing.close();
      throwing.close();
    }
    assert.throws(() => throwing.poll(0), BpfError, "poll after close");
    assert.ok(ring.consume() >= 0);
  } finally {
    ring?.close();
    ring?.close();
    for (const fd of fds.reverse()) closeFd(fd);
    child.kill("SIGKILL");
    await child.status;
    await Deno.remove(dir, { recursive: true });
  }
  for (const { kind, id } of ids) assert.ok(await waitGone(kind, id), `${kind} ${id} still listed`);
  assert.equal(openFdCount(), fdsBefore, "no fd leaked");
});

e2e("openUprobe: missing file is ENOENT, vanished pid is ESRCH", async () => {
  assert.throws(
    () => openUprobe({ path: "/nonexistent/ghostscope", offset: 0x1000 }),
    (err: unknown) => err instanceof BpfError && err.errnoName === "ENOENT",
  );
  const child = new Deno.Command("/bin/true").spawn();
  await child.status;
  assert.throws(
    () => openUprobe({ path: "/bin/true", offset: 0, pid: child.pid }),
    (err: unknown) => err instanceof BpfError && err.errnoName === "ESRCH",
  );
});

e2e("RingBuffer on a non-ringbuf map fails with a BpfError", () => {
  const fd = createMap({
    type: MapType.Array,
    name: "ffi_array",
    keySize: 4,
    valueSize: 4,
    maxEntries: 1,
  });
  try {
    assert.throws(() => new RingBuffer(fd, () => {}), BpfError);
  } finally {
    closeFd(fd);
  }
});

e2e("pidfd: open, running, exited after kill, ESRCH for a dead pid", async () => {
  const child = new Deno.Command("sleep", { args: ["30"] }).spawn();
  const fd = pidfdOpen(child.pid);
  try {
    assert.equal(pidfdExited(fd), false);
    child.kill("SIGKILL");
    await child.status;
    assert.equal(pidfdExited(fd), true);
  } finally {
    closeFd(fd);
  }
  assert.throws(
    () => pidfdOpen(child.pid),
    (err: unknown) => err instanceof BpfError && err.errnoName === "ESRCH",
  );
  assert.throws(
    () => closeFd(fd),
    (err: unknown) => err instanceof BpfError && err.errnoName === "EBADF",
  );
});

e2e("tracepoint sched:sched_process_exec (or a clear error without tracefs)", async () => {
  if (tracefsRoot() === null) {
    assert.throws(
      () => openTracepoint({ category: "sched", name: "sched_process_exec" }),
      (err: unknown) => err instanceof NotSupportedError && err.feature === "tracefs",
    );
    console.warn("tracefs is not mounted: only the error path of openTracepoint was tested");
    return;
  }
  assert.throws(
    () => openTracepoint({ category: "sched", name: "no_such_tracepoint" }),
    (err: unknown) => err instanceof BpfError && err.errnoName === "ENOENT",
  );
  const ringFd = createMap({
    type: MapType.RingBuf,
    name: "ffi_tp_events",
    keySize: 0,
    valueSize: 0,
    maxEntries: RINGBUF_SIZE,
  });
  const fds = [ringFd];
  const tgids: number[] = [];
  const ring = new RingBuffer(ringFd, (bytes) => {
    if (readU32(bytes) === TRACEPOINT_MAGIC) tgids.push(readU32(bytes, 4));
  });
  try {
    const prog = loadProgram({
      type: ProgType.Tracepoint,
      name: "ffi_exec",
      insns: tgidReporter(ringFd, TRACEPOINT_MAGIC),
      license: "GPL",
    });
    fds.push(prog);
    const perf = openTracepoint({ category: "sched", name: "sched_process_exec" });
    fds.push(perf);
    fds.push(attachBpf(perf, prog));
    enable(perf);
    const child = new Deno.Command("/bin/true").spawn();
    await child.status;
    await pollUntil(ring, () => tgids.includes(child.pid));
    assert.ok(tgids.includes(child.pid), `exec of ${child.pid} not seen in ${tgids}`);
  } finally {
    ring.close();
    for (const fd of fds.reverse()) closeFd(fd);
  }
});
