/**
 * Shape of the sysmon programs (real verifier loading is in tests/e2e/sysmon_kernel_test.ts):
 * which maps and helpers each probe uses in each mode, and that every variant assembles.
 */
import assert from "node:assert/strict";
import { assertEquals } from "./assert.ts";
import {
  buildSysmonProgram,
  ExecPolicy,
  SYSMON_TRACEPOINTS,
  type SysmonFieldOffsets,
  SysmonProbe,
  sysmonProgramName,
} from "../bpf/sysmon_program.ts";
import { SysmonMapRef } from "../bpf/sysmon_maps.ts";
import { emitModuleOffsetsLookup } from "../bpf/sysmon_lookup.ts";
import { Assembler, Reg } from "../bpf/asm.ts";
import { sysmonProbes } from "../lib/sysmon/tracker.ts";

const FIELDS: Record<SysmonProbe, SysmonFieldOffsets> = {
  [SysmonProbe.Exec]: { probe: SysmonProbe.Exec, filenameDataLoc: 8 },
  [SysmonProbe.Fork]: { probe: SysmonProbe.Fork, childPid: 20 },
  [SysmonProbe.Exit]: { probe: SysmonProbe.Exit, groupDead: 32 },
  [SysmonProbe.Mmap]: { probe: SysmonProbe.Mmap, ret: 16 },
  [SysmonProbe.Mprotect]: { probe: SysmonProbe.Mprotect, ret: 16 },
  [SysmonProbe.Munmap]: { probe: SysmonProbe.Munmap, ret: 16 },
  [SysmonProbe.Mremap]: { probe: SysmonProbe.Mremap, ret: 16 },
  [SysmonProbe.MmapExec]: { probe: SysmonProbe.MmapExec, prot: 32, fd: 48 },
};

const SELF_NS = { dev: 4n, ino: 0xf0000152n };

function build(probe: SysmonProbe, priv: boolean, execPolicy = ExecPolicy.Comm): Assembler {
  return buildSysmonProgram(FIELDS[probe], {
    selfNs: priv ? SELF_NS : undefined,
    selfTgid: 1,
    execPolicy,
  });
}

Deno.test("sysmon program: every probe assembles in both modes", () => {
  for (const probe of Object.values(SysmonProbe)) {
    for (const priv of [false, true]) {
      const a = build(probe, priv);
      const fds = Object.fromEntries(a.mapNames().map((n, i) => [n, 100 + i]));
      assert.ok(a.assemble(fds).length > 0, `${probe} ${priv}`);
    }
    assert.ok(sysmonProgramName(probe).length <= 15);
    assert.ok(SYSMON_TRACEPOINTS[probe].name.length > 0);
  }
});

Deno.test("sysmon program: the initial namespace needs no alias or namespace map", () => {
  const a = build(SysmonProbe.Mmap, false);
  assertEquals(
    new Set(a.mapNames()),
    new Set([
      SysmonMapRef.AllowedPids,
      SysmonMapRef.Events,
      SysmonMapRef.Lost,
    ]),
  );
  const p = build(SysmonProbe.Mmap, true);
  for (const ref of [SysmonMapRef.PidAliases, SysmonMapRef.PidNs]) {
    assert.ok(p.mapNames().includes(ref), ref);
  }
  // The helper is called with ghostscope's namespace.
  assert.ok(/call 120|get_ns_current_pid_tgid/.test(p.listing()), p.listing());
});

Deno.test("sysmon program: exec policy decides whether the comm filter is read", () => {
  assert.ok(
    build(SysmonProbe.Exec, false, ExecPolicy.Comm).mapNames().includes(SysmonMapRef.ExecComm),
  );
  assert.ok(
    !build(SysmonProbe.Exec, false, ExecPolicy.All).mapNames().includes(SysmonMapRef.ExecComm),
  );
  assert.ok(
    !build(SysmonProbe.Exec, false, ExecPolicy.FollowedOnly).mapNames().includes(
      SysmonMapRef.ExecComm,
    ),
  );
});

Deno.test("sysmon program: fork inherits, exit deletes (allowed_pids)", () => {
  const fork = build(SysmonProbe.Fork, false).listing();
  assert.ok(/call 2\b|map_update_elem/.test(fork), fork);
  const exit = build(SysmonProbe.Exit, false).listing();
  assert.ok(/call 3\b|map_delete_elem/.test(exit), exit);
  // group_dead read as one byte from the record
  assert.ok(/\*\(u8 \*\)\(r6 \+32\)/.test(exit), exit);
  // without the field: pid == tgid
  const old = buildSysmonProgram({ probe: SysmonProbe.Exit }, {
    selfTgid: 1,
    execPolicy: ExecPolicy.Comm,
  }).listing();
  assert.ok(!/r6 \+32/.test(old), old);
});

Deno.test("sysmon program: probe sets per session kind", () => {
  assertEquals(sysmonProbes(false, false).includes(SysmonProbe.MmapExec), false);
  assertEquals(sysmonProbes(true, false).includes(SysmonProbe.MmapExec), true);
  assertEquals(sysmonProbes(true, true).includes(SysmonProbe.MmapExec), false);
  assertEquals(sysmonProbes(false, true).includes(SysmonProbe.Fork), false);
  assertEquals(sysmonProbes(false, false).includes(SysmonProbe.Fork), true);
});

Deno.test("sysmon lookup: the emitted lookup assembles in both modes", () => {
  for (const selfNs of [undefined, SELF_NS]) {
    let n = 0;
    const a = new Assembler();
    a.mov64(Reg.R6, Reg.R1);
    emitModuleOffsetsLookup(a, {
      selfNs,
      cookie: 0x1234n,
      keySlot: -16,
      nsInfoSlot: -24,
      label: (w) => `${w}_${n++}`,
    });
    a.mov64(Reg.R0, 0).exit();
    const fds = Object.fromEntries(a.mapNames().map((m, i) => [m, 10 + i]));
    assert.ok(a.assemble(fds).length > 0);
    assertEquals(
      a.mapNames().includes(SysmonMapRef.PidAliases),
      selfNs !== undefined,
    );
  }
});
