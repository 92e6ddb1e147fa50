import { assertEquals, assertThrows } from "./assert.ts";
import { MapsPathKind, parseMaps, parseMapsLine, readMaps } from "../lib/proc/maps.ts";
import { ProcFormatError } from "../lib/proc/errors.ts";

Deno.test("maps: file with spaces in the path", () => {
  const e = parseMapsLine(
    "55fb7f6a0000-55fb7f6a5000 r-xp 00002000 fe:00 260131                     /opt/my app/bin x",
  );
  assertEquals(e.start, 0x55fb7f6a0000n);
  assertEquals(e.end, 0x55fb7f6a5000n);
  assertEquals(e.permsText, "r-xp");
  assertEquals(e.perms, { read: true, write: false, exec: true, shared: false });
  assertEquals(e.offset, 0x2000n);
  assertEquals([e.devMajor, e.devMinor], [0xfe, 0]);
  assertEquals(e.inode, 260131n);
  assertEquals(e.path, "/opt/my app/bin x");
  assertEquals(e.pathKind, MapsPathKind.File);
  assertEquals(e.deleted, false);
});

Deno.test("maps: deleted files, anonymous, pseudo and shared mappings", () => {
  const entries = parseMaps([
    "7f0000000000-7f0000001000 r-xs 00000000 00:01 1234                       /memfd:jit (deleted)",
    "7f0000001000-7f0000002000 rw-p 00000000 00:00 0 ",
    "7f0000002000-7f0000003000 rw-p 00000000 00:00 0",
    "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0                          [stack]",
    "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]",
    "7f0000004000-7f0000005000 rw-s 00000000 00:0f 2052                       anon_inode:[perf_event]",
    "",
  ].join("\n"));
  assertEquals(entries.length, 6);
  assertEquals(entries[0].path, "/memfd:jit");
  assertEquals(entries[0].deleted, true);
  assertEquals(entries[0].perms.shared, true);
  assertEquals(entries[1].pathKind, MapsPathKind.Anonymous);
  assertEquals(entries[2].path, "");
  assertEquals(entries[3].pathKind, MapsPathKind.Pseudo);
  assertEquals(entries[4].start, 0xffffffffff600000n);
  assertEquals(entries[4].pathKind, MapsPathKind.Pseudo);
  assertEquals(entries[5].pathKind, MapsPathKind.Other);
});

Deno.test("maps: malformed line", () => {
  assertThrows(() => parseMapsLine("not a maps line"), ProcFormatError);
});

Deno.test("maps: the real /proc/self/maps parses completely", () => {
  const entries = readMaps("self");
  assertEquals(entries.length > 0, true);
  assertEquals(entries.some((e) => e.perms.exec && e.pathKind === MapsPathKind.File), true);
});
