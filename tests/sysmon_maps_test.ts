/** Layouts of the sysmon maps: sizes, names, encoders and decoders. */
import assert from "node:assert/strict";
import { assertEquals } from "./assert.ts";
import {
  AliasKey,
  aliasKey,
  aliasValue,
  allowedKey,
  COMM_LEN,
  commKey,
  decodeAliasKey,
  decodeAliasValue,
  decodeAllowedKey,
  decodeOffsetsKey,
  decodeOffsetsValue,
  INITIAL_PID_NS_INO,
  OffsetsKey,
  offsetsKey,
  OffsetsValue,
  offsetsValue,
  pidNsSlotValue,
  sharedMapSpecs,
  SYSMON_MAP_NAMES,
  SysmonMapRef,
  sysmonMapSpecs,
} from "../bpf/sysmon_maps.ts";
import { INITIAL_PID_NS_INO as PROC_INITIAL } from "../lib/proc/ns.ts";
import { OBJECT_PREFIX } from "../bpf/maps.ts";

Deno.test("sysmon maps: the initial namespace inode agrees with lib/proc", () => {
  assertEquals(INITIAL_PID_NS_INO, PROC_INITIAL);
});

Deno.test("sysmon maps: kernel names are gs_-prefixed and fit 15 characters", () => {
  for (const name of Object.values(SYSMON_MAP_NAMES)) {
    assert.ok(name.startsWith(OBJECT_PREFIX) && name.length <= 15, name);
  }
  const refs = sysmonMapSpecs().map((s) => s.ref);
  assertEquals(new Set(refs).size, refs.length);
  assertEquals(new Set(refs), new Set(Object.values(SysmonMapRef)));
});

Deno.test("sysmon maps: shared specs are what trace programs read", () => {
  assertEquals(sharedMapSpecs().map((s) => s.ref), [
    SysmonMapRef.ProcModuleOffsets,
    SysmonMapRef.PidAliases,
    SysmonMapRef.PidNs,
  ]);
  const offsets = sysmonMapSpecs({ offsets: 128 }).find((s) =>
    s.ref === SysmonMapRef.ProcModuleOffsets
  )!;
  assertEquals([offsets.keySize, offsets.valueSize, offsets.maxEntries], [16, 24, 128]);
});

Deno.test("sysmon maps: proc_module_offsets key and value round-trip", () => {
  const key = offsetsKey(4321, 0xdcdc5fe1506de13dn);
  assertEquals(key.length, OffsetsKey.Size);
  assertEquals(Array.from(key.subarray(4, 8)), [0, 0, 0, 0]);
  assertEquals(decodeOffsetsKey(key), { procPid: 4321, cookie: 0xdcdc5fe1506de13dn });
  const value = offsetsValue({
    bias: 0x55f79fae0000n,
    start: 0x55f79fae0000n,
    end: 0x55f79fae5000n,
  });
  assertEquals(value.length, OffsetsValue.Size);
  assertEquals(decodeOffsetsValue(value), {
    bias: 0x55f79fae0000n,
    start: 0x55f79fae0000n,
    end: 0x55f79fae5000n,
  });
});

Deno.test("sysmon maps: pid_aliases key is (tgid, namespace inode)", () => {
  const key = aliasKey(17, INITIAL_PID_NS_INO);
  assertEquals(key.length, AliasKey.Size);
  assertEquals(decodeAliasKey(key), { tgid: 17, nsIno: INITIAL_PID_NS_INO });
  assertEquals(new DataView(key.buffer).getBigUint64(AliasKey.NsIno, true), 0xeffffffcn);
  assertEquals(decodeAliasValue(aliasValue(99)), 99);
});

Deno.test("sysmon maps: allowed_pids and pidns slots", () => {
  assertEquals(decodeAllowedKey(allowedKey(123456)), 123456);
  const slot = new DataView(pidNsSlotValue(4n, 0xf0000152n).buffer);
  assertEquals([slot.getBigUint64(0, true), slot.getBigUint64(8, true)], [4n, 0xf0000152n]);
});

Deno.test("sysmon maps: exec comm keys are the basename cut to 15 bytes, NUL padded", () => {
  const key = commKey("/opt/app/bin/a-very-long-program-name");
  assertEquals(key.length, COMM_LEN);
  assertEquals(new TextDecoder().decode(key.subarray(0, 15)), "a-very-long-pro");
  assertEquals(key[15], 0);
  const short = commKey("sm_target");
  assertEquals(new TextDecoder().decode(short.subarray(0, 9)), "sm_target");
  assertEquals(Array.from(short.subarray(9)), new Array(7).fill(0));
});
