/** The sysmon event record: layout and decoding. */
import { assertEquals, assertThrows } from "./assert.ts";
import {
  decodeSysmonEvent,
  FILENAME_LEN,
  MapChangeSyscall,
  SYSMON_EVENT_SIZE,
  SysmonEventFlag,
  SysmonEventOffset as Ev,
  SysmonKind,
  SysmonWireError,
} from "../bpf/sysmon_event.ts";

function record(kind: number, fill: (v: DataView, bytes: Uint8Array) => void): Uint8Array {
  const bytes = new Uint8Array(SYSMON_EVENT_SIZE);
  const v = new DataView(bytes.buffer);
  v.setUint32(Ev.Kind, kind, true);
  fill(v, bytes);
  return bytes;
}

Deno.test("sysmon event: 128 bytes, fields at fixed offsets", () => {
  assertEquals(SYSMON_EVENT_SIZE, 128);
  assertEquals(Ev.Filename + FILENAME_LEN, SYSMON_EVENT_SIZE);
});

Deno.test("sysmon event: an exec record decodes with its filename", () => {
  const bytes = record(SysmonKind.Exec, (v, b) => {
    v.setUint32(Ev.Flags, SysmonEventFlag.Followed, true);
    v.setBigUint64(Ev.KtimeNs, 123456789n, true);
    v.setUint32(Ev.HostTgid, 4000, true);
    v.setUint32(Ev.HostTid, 4000, true);
    v.setUint32(Ev.SelfTgid, 7, true);
    v.setUint32(Ev.SelfTid, 7, true);
    b.set(new TextEncoder().encode("sm_target"), Ev.Comm);
    b.set(new TextEncoder().encode("/tmp/x/sm_target"), Ev.Filename);
  });
  assertEquals(decodeSysmonEvent(bytes), {
    kind: SysmonKind.Exec,
    flags: SysmonEventFlag.Followed,
    ktimeNs: 123456789n,
    hostTgid: 4000,
    hostTid: 4000,
    selfTgid: 7,
    selfTid: 7,
    nsIno: 0n,
    nsTgid: 0,
    detail: 0,
    comm: "sm_target",
    filename: "/tmp/x/sm_target",
  });
});

Deno.test("sysmon event: fork carries the child; other kinds have no filename", () => {
  const fork = decodeSysmonEvent(record(SysmonKind.Fork, (v, b) => {
    v.setUint32(Ev.Detail, 5555, true);
    v.setBigUint64(Ev.NsIno, 0xf0000154n, true);
    v.setUint32(Ev.NsTgid, 1, true);
    b.set([0x41, 0x42], Ev.Filename); // garbage outside exec is ignored
  }));
  assertEquals([fork.detail, fork.nsIno, fork.nsTgid, fork.filename], [5555, 0xf0000154n, 1, ""]);
  const mmap = decodeSysmonEvent(record(SysmonKind.MapChange, (v) => {
    v.setUint32(Ev.Detail, MapChangeSyscall.Munmap, true);
  }));
  assertEquals(mmap.detail, MapChangeSyscall.Munmap);
});

Deno.test("sysmon event: short or unknown records are rejected", () => {
  assertThrows(() => decodeSysmonEvent(new Uint8Array(64)), SysmonWireError, "64 bytes");
  assertThrows(() => decodeSysmonEvent(record(99, () => {})), SysmonWireError, "kind 99");
});
