/**
 * The kernel side of return probes (bpf/return_pairing.ts) on the real kernel, without the
 * script compiler: on the returns fixture's recursive r_fact(5), an entry program (uprobe at
 * the function's entry, capturing `n` from rdi, keyed by the frame address rsp + 8) and a return
 * program (uretprobe, keyed by regs->sp) pair every return with its own entry: five events per
 * call, innermost first, each with entry n = k, $retval = k! and a duration that grows outwards;
 * afterwards the pairing map is empty.
 */
import assert from "node:assert/strict";
import { closeFd, createMap, loadProgram, mapNextKey, ProgType } from "../../ffi/bpf.ts";
import { attachBpf, openUprobe } from "../../ffi/perf.ts";
import { RingBuffer } from "../../ffi/ringbuf.ts";
import { IrBuiltin, type IrTrace } from "../../bpf/ir.ts";
import { EVENTS_MAP, eventsMapSpec, LOST_MAP, lostMapSpec } from "../../bpf/maps.ts";
import {
  PT_REGS_SP,
  RET_CALLS_MAP,
  RET_KEY_SIZE,
  retCallsMapSpec,
} from "../../bpf/return_pairing.ts";
import { buildTraceProgram } from "../../bpf/trace_program.ts";
import { decodeEvent, ValueType } from "../../bpf/wire.ts";
import { openElf } from "../../lib/elf/mod.ts";
import { e2eTest, fixture, spawnTarget } from "./harness.ts";

const RDI = 112;
const RAX = 80;
const DURATION = 1000;
const ENTRY_N = 1001;

e2eTest("return pairing: each r_fact return gets its own entry; the map ends empty", async () => {
  const path = fixture("returns");
  const elf = openElf(path);
  const sym = elf.findFunction("r_fact")!;
  const offset = elf.vaddrToFileOffset(sym.value);
  const target = await spawnTarget("returns", ["2", "10"], { wait: true });
  const fds: number[] = [];
  const hold = (fd: number) => (fds.push(fd), fd);
  try {
    const maps = {
      [EVENTS_MAP]: hold(createMap(eventsMapSpec(1 << 16))),
      [LOST_MAP]: hold(createMap(lostMapSpec())),
      [RET_CALLS_MAP]: hold(createMap(retCallsMapSpec(2))),
    };
    const filter = { kind: "host-tgid" as const, tgid: target.pid };
    const entry: IrTrace = { traceId: 3, name: "gs_3_e", body: [] };
    const ret: IrTrace = {
      traceId: 3,
      name: "gs_3_r",
      body: [{
        kind: "print",
        printId: 0,
        args: [
          { type: ValueType.U64, expr: { kind: "var", id: DURATION } },
          {
            type: ValueType.I64,
            expr: { kind: "extend", operand: { kind: "var", id: ENTRY_N }, bits: 32, signed: true },
          },
          {
            type: ValueType.I64,
            expr: { kind: "extend", operand: { kind: "ctx", offset: RAX }, bits: 32, signed: true },
          },
          { type: ValueType.U64, expr: { kind: "builtin", builtin: IrBuiltin.HostTid } },
        ],
      }],
    };
    const opts = { filter, pidView: { kind: "host" as const }, ringbufSize: 1 << 16 };
    const entryProg = buildTraceProgram(entry, {
      ...opts,
      pairing: {
        role: "entry",
        // at the function's first instruction the frame address is rsp + 8
        frame: {
          kind: "arith",
          op: "add",
          signed: false,
          left: { kind: "ctx", offset: PT_REGS_SP },
          right: { kind: "const", value: 8n },
        },
        captures: [{ kind: "ctx", offset: RDI }],
        slots: 2,
      },
    });
    const retProg = buildTraceProgram(ret, {
      ...opts,
      pairing: { role: "return", durationVar: DURATION, entryVars: [ENTRY_N] },
    });
    const entryFd = hold(loadProgram({
      type: ProgType.Kprobe,
      name: "gs_3_e",
      insns: entryProg.assemble(maps),
      license: "GPL",
    }));
    const retFd = hold(loadProgram({
      type: ProgType.Kprobe,
      name: "gs_3_r",
      insns: retProg.assemble(maps),
      license: "GPL",
    }));
    const up = hold(openUprobe({ path, offset, pid: target.pid }));
    const uret = hold(openUprobe({ path, offset, pid: target.pid, retprobe: true }));
    hold(attachBpf(up, entryFd));
    hold(attachBpf(uret, retFd));

    const events: { duration: bigint; n: bigint; ret: bigint; tid: bigint }[] = [];
    const ring = new RingBuffer(maps[EVENTS_MAP], (bytes) => {
      const e = decodeEvent(bytes);
      const [d, n, r, t] = e.values.map((v) => v.value as bigint);
      events.push({ duration: d, n, ret: r, tid: t });
    });
    try {
      target.go();
      const deadline = Date.now() + 10_000;
      // Records are submitted without a wake-up (the reader polls on a timer): consume after each poll.
      while (events.length < 10 && Date.now() < deadline) {
        ring.poll(100);
        ring.consume();
      }
    } finally {
      ring.close();
    }
    assert.equal(events.length, 10, JSON.stringify(events, (_, v) => String(v)));
    const fact = [1n, 1n, 2n, 6n, 24n, 120n];
    events.forEach((e, i) => {
      const k = BigInt((i % 5) + 1);
      assert.equal(e.n, k, `event ${i}: entry n`);
      assert.equal(e.ret, fact[Number(k)], `event ${i}: retval of r_fact(${k})`);
      assert.equal(e.tid, BigInt(target.pid));
      assert.ok(e.duration > 0n && e.duration < 1_000_000_000n, `event ${i}: ${e.duration} ns`);
      // An outer call lasts longer than the inner one it waited for.
      if (i % 5 > 0) assert.ok(e.duration > events[i - 1].duration, `event ${i} outlasts ${i - 1}`);
    });
    await target.stdout.waitFor("done", 10_000);
    assert.equal(mapNextKey(maps[RET_CALLS_MAP], null, RET_KEY_SIZE), null, "ret_calls empty");
  } finally {
    for (const fd of fds.reverse()) closeFd(fd);
  }
});
