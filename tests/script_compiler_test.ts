import assert from "node:assert/strict";
import { type CompileOptions, compileScript, programName } from "../lib/script/compiler.ts";
import { ScriptError } from "../lib/script/diagnostics.ts";
import { disassemble } from "../bpf/disasm.ts";
import { EVENTS_MAP, LOST_MAP } from "../bpf/maps.ts";
import { ValueStatus, ValueType } from "../bpf/wire.ts";
import { buildTraceProgram } from "../bpf/trace_program.ts";

const NS = { dev: 4n, ino: 4026532178n };
const FDS = { [EVENTS_MAP]: 11, [LOST_MAP]: 12 };

function compile(src: string, opts: Partial<CompileOptions> = {}) {
  return compileScript(src, {
    filter: { kind: "none" },
    pidView: { kind: "host" },
    inputPid: 4242,
    ...opts,
  });
}

/** Disassembly of trace `i` (what `bpftool prog dump xlated` would show, minus map names). */
function dis(src: string, opts: Partial<CompileOptions> = {}, i = 0): string {
  return disassemble(compile(src, opts).traces[i].program.assemble(FDS)).join("\n");
}

Deno.test("host-tgid filter: compare the tgid half of pid_tgid and leave early", () => {
  const text = dis("trace main { }", { filter: { kind: "host-tgid", tgid: 4242 } });
  assert.equal(
    text,
    [
      "   0: r6 = r1",
      "   1: call 14 (GetCurrentPidTgid)",
      "   2: r0 >>= 32",
      "   3: if r0 != 0x1092 goto +0 (-> 4)",
      "   4: r0 = 0",
      "   5: exit",
    ].join("\n"),
  );
});

Deno.test("ns-tgid filter: helper 120 must succeed and report the tgid", () => {
  const text = dis("trace main { print $pid; }", {
    filter: { kind: "ns-tgid", ns: NS, tgid: 7 },
    pidView: { kind: "ns", ns: NS },
  });
  assert.match(
    text,
    /r1 = 0x4 ll\n.*r2 = 0xf0000152 ll\n.*r3 = r10\n.*r3 \+= -16\n.*r4 = 8\n.*call 120/,
  );
  assert.match(
    text,
    /call 120 \(GetNsCurrentPidTgid\)\n.*if r0 != 0x0 goto .*\n.*r1 = \*\(u32 \*\)\(r10 -12\)\n.*if r1 != 0x7 goto/,
  );
  // same namespace for the view: the filter's helper result is reused, not fetched again
  assert.equal(text.match(/call 120/g)?.length, 1);
  // $pid is the namespace tgid
  assert.match(text, /r0 = \*\(u32 \*\)\(r10 -12\)/);
});

Deno.test("ns pid view with a host filter fetches the namespace view once, zeroed on failure", () => {
  const text = dis('trace main { print "{} {}", $pid, $tid; }', {
    filter: { kind: "host-tgid", tgid: 99 },
    pidView: { kind: "ns", ns: NS },
  });
  assert.equal(text.match(/call 120/g)?.length, 1);
  assert.match(text, /call 120 .*\n.*if r0 == 0x0 goto \+1 .*\n.*\*\(u64 \*\)\(r10 -16\) = 0/);
  assert.match(text, /r0 = \*\(u32 \*\)\(r10 -16\)/); // $tid = info.pid
});

Deno.test("no filter and no output: nothing but return 0", () => {
  assert.equal(
    dis("trace main { let a = 1; }"),
    "   0: r6 = r1\n   1: r0 = 1\n   2: *(u64 *)(r10 -48) = r0\n   3: r0 = 0\n   4: exit",
  );
});

Deno.test("print: reserve a fixed-size record, header, values, adaptive wake-up", () => {
  const text = dis('trace main { print "{} {}", $input_pid, 2; }', {
    ringbufSize: 1 << 20,
  });
  // 32-byte header + 2 records of 16 bytes
  assert.match(text, /r1 = map\[fd 11\]\n.*r2 = 64\n.*r3 = 0\n.*call 131 \(RingbufReserve\)/);
  // ring full: count the loss in the per-CPU map
  assert.match(text, /r1 = map\[fd 12\]\n.*r2 = r10\n.*r2 \+= -24\n.*call 1 \(MapLookupElem\)/);
  assert.match(text, /lock \*\(u64 \*\)\(r0 \+0\) \+= r1/);
  // header: trace id, print id, ktime, tid, tgid
  assert.match(
    text,
    /r7 = r0\n.*\*\(u32 \*\)\(r7 \+0\) = 0\n.*\*\(u32 \*\)\(r7 \+4\) = 0\n.*call 5/,
  );
  assert.match(text, /\*\(u32 \*\)\(r7 \+20\) = r1\n.*r1 >>= 32\n.*\*\(u32 \*\)\(r7 \+16\) = r1/);
  // values: $input_pid is a constant; record header word = I64 | len 8 << 16
  assert.match(
    text,
    /r0 = 4242\n.*\*\(u64 \*\)\(r7 \+32\) = 524290\n.*\*\(u64 \*\)\(r7 \+40\) = r0/,
  );
  // wake-up: NO_WAKEUP (1), except FORCE (2) for the 64-byte record that takes the unread data
  // across 1 MiB / 8 = 0x20000 bytes (not for every record past it)
  assert.match(
    text,
    /call 134 \(RingbufQuery\)\n.*r2 = 1\n.*if r0 < 0x20000 goto \+2.*\n.*if r0 >= 0x20040 goto \+1.*\n.*r2 = 2\n.*r1 = r7\n.*call 132 \(RingbufSubmit\)/,
  );
  const custom = dis('trace main { print "x"; }', { wakeupThreshold: 4096 });
  assert.match(custom, /if r0 < 0x1000 goto/);
});

Deno.test("trace and print ids go into the header", () => {
  const c = compile('trace a { print "x"; } trace b { print "y"; print "z"; }');
  const t = disassemble(c.traces[1].program.assemble(FDS)).join("\n");
  assert.match(t, /\*\(u32 \*\)\(r7 \+0\) = 1\n.*\*\(u32 \*\)\(r7 \+4\) = 1\n/);
  assert.match(t, /\*\(u32 \*\)\(r7 \+0\) = 1\n.*\*\(u32 \*\)\(r7 \+4\) = 2\n/);
  assert.deepEqual(c.traces.map((t) => t.name), ["gs_0_a", "gs_1_b"]);
  assert.deepEqual(c.traces[1].program.mapNames(), [EVENTS_MAP, LOST_MAP]);
});

Deno.test("signed division divides magnitudes with a register divisor (no constant-zero division)", () => {
  const text = dis("trace main { let a = $pid / 3; let b = $pid % $tid; }");
  assert.doesNotMatch(text, /\/= \d/);
  assert.match(text, /if r0 s>= 0x0 goto .*\n.*r0 = -r0/);
  assert.match(text, /r0 \/= r1/);
  assert.match(text, /r0 %= r1/);
});

Deno.test("builtins: $timestamp calls ktime, $host_pid is the high half of pid_tgid", () => {
  const text = dis("trace main { let t = $timestamp; let h = $host_pid; }");
  assert.match(text, /call 5 \(KtimeGetNs\)\n.*\*\(u64 \*\)\(r10 -48\) = r0/);
  assert.match(text, /r0 = \*\(u64 \*\)\(r10 -8\)\n.*r0 >>= 32/);
});

Deno.test("values from the resolver: register reads and failing memory reads carry a status", () => {
  const text = dis("trace main { print *p; }".replace("*p", "p"), {
    resolveVariable: {
      resolve: () => ({
        type: "i64",
        expr: { kind: "read", addr: { kind: "ctx", offset: 112 }, size: 4, signed: true },
      }),
    },
  });
  assert.match(text, /r9 = 0/);
  assert.match(text, /r0 = \*\(u64 \*\)\(r6 \+112\)/);
  assert.match(text, /call 112 \(ProbeReadUser\)/);
  assert.match(text, new RegExp(`r9 = ${ValueStatus.NullDeref}`));
  assert.match(text, new RegExp(`r9 = ${ValueStatus.ReadError}`));
  assert.match(text, /r0 <<= 32\n.*r0 s>>= 32/); // sign extension of the 4-byte read
  assert.match(text, /\*\(u8 \*\)\(r7 \+33\) = r9/); // status byte of the value record
});

Deno.test("too many variables for the BPF stack is a script error at the trace", () => {
  const lets = Array.from({ length: 70 }, (_, i) => `let v${i} = ${i};`).join(" ");
  assert.throws(
    () => compile(`trace main { ${lets} }`),
    (e) =>
      e instanceof ScriptError &&
      /^script:1:1: trace block 'main' cannot be compiled: .*512 bytes/.test(e.message),
  );
});

Deno.test("program names are kernel-safe and at most 15 characters", () => {
  assert.equal(programName(0, "main"), "gs_0_main");
  assert.equal(programName(12, "/src/very_long_file.c:42"), "gs_12__src_very");
  assert.equal(programName(3, "libc.so.6:0x1234").length, 15);
});

Deno.test("memory arguments: read into the ring record, dynamic lengths clamped, statuses", () => {
  const ir = {
    traceId: 0,
    name: "gs_0_t",
    body: [{
      kind: "print" as const,
      printId: 0,
      args: [
        {
          kind: "memory" as const,
          type: ValueType.Str as const,
          addr: { kind: "ctx" as const, offset: 112 },
          capacity: 256,
          string: true,
        },
        {
          kind: "memory" as const,
          type: ValueType.Bytes as const,
          addr: { kind: "ctx" as const, offset: 104 },
          capacity: 1024,
          string: false,
          length: { kind: "ctx" as const, offset: 96 },
        },
      ],
    }],
  };
  const text = disassemble(
    buildTraceProgram(ir, { filter: { kind: "none" }, pidView: { kind: "host" } }).assemble(FDS),
  ).join("\n");
  // 32-byte header + 8 + 256 + 8 + 1024
  assert.match(text, /r2 = 1328\n.*r3 = 0\n.*call 131/);
  // the string goes straight into the record: r1 = r7 + 40, size 256, probe_read_user_str
  assert.match(text, /r1 = r7\n.*r1 \+= 40\n.*r2 = 256\n.*call 114 \(ProbeReadUserStr\)/);
  // `used` = bytes copied
  assert.match(text, /call 114 .*\n(.*\n){0,4}.*\*\(u32 \*\)\(r7 \+36\) = r0/);
  // the run-time length is clamped to 0..1024, reloaded and clamped again before the call
  assert.match(text, /if r0 s> 0x0 goto .*\n.*r0 = 0\n.*if r0 <= 0x400 goto .*\n.*r0 = 1024/);
  assert.match(
    text,
    /r2 = \*\(u64 \*\)\(r10 -\d+\)\n.*if r2 <= 0x400 goto .*\n.*r2 = 1024\n.*call 112/,
  );
  // length 0 is a ZeroLength status, NULL a NullDeref
  assert.match(text, new RegExp(`r9 = ${ValueStatus.ZeroLength}`));
  assert.match(text, new RegExp(`r9 = ${ValueStatus.NullDeref}`));
});

Deno.test("moduleBias needs the probe's link address; other modules go through the offsets map", () => {
  const bias = {
    traceId: 0,
    name: "gs_0_t",
    body: [{
      kind: "let" as const,
      id: 0,
      value: { kind: "moduleBias" as const },
    }],
  };
  const opts = { filter: { kind: "none" as const }, pidView: { kind: "host" as const } };
  assert.throws(() => buildTraceProgram(bias, opts), /probeLinkAddress/);
  const text = disassemble(
    buildTraceProgram(bias, { ...opts, probeLinkAddress: 0x401136 }).assemble(FDS),
  ).join("\n");
  assert.match(text, /r0 = \*\(u64 \*\)\(r6 \+128\)\n.*r0 -= 4198710/);
  const big = disassemble(
    buildTraceProgram(bias, { ...opts, probeLinkAddress: 0x1_0000_0000n }).assemble(FDS),
  ).join("\n");
  assert.match(big, /r1 = 0x100000000 ll\n.*r0 -= r1/);
  const lookup = {
    ...bias,
    body: [{
      kind: "let" as const,
      id: 0,
      value: { kind: "moduleOffsets" as const, module: "/lib/libc.so.6", cookie: 1n },
    }],
  };
  const program = buildTraceProgram(lookup, opts);
  // a let that can fail keeps its status in the scratch map entry
  assert.deepEqual(program.mapNames(), ["scratch", "proc_module_offsets"]);
  const offs = disassemble(program.assemble({ proc_module_offsets: 9, scratch: 10 })).join("\n");
  assert.match(offs, /r1 = 0x1 ll\n.*\*\(u64 \*\)\(r10 -\d+\) = r1/);
  assert.match(offs, /call 1 \(MapLookupElem\)\n.*if r0 != 0x0 goto/);
  assert.match(offs, new RegExp(`r9 = ${ValueStatus.OffsetsUnavailable}`));
  assert.match(offs, /r0 = \*\(u64 \*\)\(r0 \+0\)/);
});

Deno.test("a failed scalar carries the failing address in its payload", () => {
  const text = dis("trace main { print x; }", {
    resolveVariable: {
      resolve: () => ({
        type: "i64",
        expr: { kind: "read", addr: { kind: "const", value: 16n }, size: 4, signed: true },
      }),
    },
  });
  // R8 is the failing address, stored instead of the value when R9 (status) is set
  assert.match(text, /r9 = 2\n.*r8 = \*\(u64 \*\)\(r10 -40\)/);
  assert.match(text, /\*\(u8 \*\)\(r7 \+33\) = r9\n.*if r9 == 0x0 goto \+1 .*\n.*r0 = r8\n/);
});
