import { assertEquals, assertThrows } from "./assert.ts";
import {
  decodeUserDev,
  INITIAL_PID_NS_INO,
  isInitialPidNs,
  type NsFileAccess,
  NsSource,
  parseNsLink,
  readPidNs,
  realNsFileAccess,
  samePidNs,
  userDevToKernelDev,
} from "../lib/proc/ns.ts";
import { ProcFormatError } from "../lib/proc/errors.ts";

/** glibc makedev: the userspace encoding of (major, minor). */
function userDev(major: bigint, minor: bigint): bigint {
  return (minor & 0xffn) | ((major & 0xfffn) << 8n) | ((minor & ~0xffn) << 12n) |
    ((major & ~0xfffn) << 32n);
}

Deno.test("ns: MKDEV conversion equals st_dev only while minor < 256", () => {
  assertEquals(userDevToKernelDev(4n), 4n);
  assertEquals(decodeUserDev(userDev(0n, 300n)), { major: 0n, minor: 300n });
  assertEquals(userDevToKernelDev(userDev(0n, 300n)), 300n);
  assertEquals(userDev(0n, 300n) !== 300n, true);
  assertEquals(userDevToKernelDev(userDev(8n, 1n)), (8n << 20n) | 1n);
  assertEquals(userDevToKernelDev(userDev(259n, 70000n)), (259n << 20n) | 70000n);
  assertThrows(() => userDevToKernelDev(userDev(5000n, 0n)), RangeError);
});

Deno.test("ns: link text", () => {
  assertEquals(parseNsLink("pid:[4026531836]"), INITIAL_PID_NS_INO);
  assertThrows(() => parseNsLink("net:[1]"), ProcFormatError);
});

function access(stat: NsFileAccess["stat"], readLink: NsFileAccess["readLink"]): NsFileAccess {
  return { stat, readLink };
}

Deno.test("ns: stat gives dev (converted) and ino", () => {
  const seen: string[] = [];
  const ns = readPidNs(42, {
    procRoot: "/fake/proc/",
    access: access((path) => {
      seen.push(path);
      return { dev: Number(userDev(0n, 300n)), ino: 4026532178 };
    }, () => "unused"),
  });
  assertEquals(seen, ["/fake/proc/42/ns/pid"]);
  assertEquals(ns, { dev: 300n, ino: 4026532178n, source: NsSource.Stat });
});

Deno.test("ns: readlink fallback gives ino only", () => {
  const ns = readPidNs(42, {
    access: access(() => {
      throw new Deno.errors.PermissionDenied("no");
    }, () => "pid:[4026532178]"),
  });
  assertEquals(ns, { dev: undefined, ino: 4026532178n, source: NsSource.ReadLink });
});

Deno.test("ns: both failing rethrows the stat error", () => {
  assertThrows(
    () =>
      readPidNs(42, {
        access: access(() => {
          throw new Deno.errors.NotFound("gone");
        }, () => {
          throw new Deno.errors.NotFound("gone too");
        }),
      }),
    Deno.errors.NotFound,
    "gone",
  );
});

Deno.test("ns: real stat of a regular file goes through the same conversion", () => {
  const file = Deno.makeTempFileSync();
  try {
    const info = Deno.statSync(file);
    const ns = readPidNs(1, {
      access: { stat: () => realNsFileAccess.stat(file), readLink: () => "unused" },
    });
    assertEquals(ns.ino, BigInt(info.ino!));
    assertEquals(ns.dev, userDevToKernelDev(BigInt(info.dev)));
  } finally {
    Deno.removeSync(file);
  }
});

Deno.test("ns: the real /proc/self/ns/pid agrees with its link text", () => {
  const ns = readPidNs("self");
  assertEquals(ns.source, NsSource.Stat);
  assertEquals(parseNsLink(Deno.readLinkSync("/proc/self/ns/pid")), ns.ino);
});

Deno.test("ns: identity helpers", () => {
  const a = { dev: 4n, ino: INITIAL_PID_NS_INO, source: NsSource.Stat };
  assertEquals(isInitialPidNs(a), true);
  assertEquals(
    samePidNs(a, { dev: undefined, ino: INITIAL_PID_NS_INO, source: NsSource.ReadLink }),
    true,
  );
  assertEquals(samePidNs(a, { ...a, dev: 5n }), false);
  assertEquals(samePidNs(a, { ...a, ino: 1n }), false);
});
