/**
 * Which map entries a followed process gets in each namespace situation, and that removing the
 * process removes exactly those (through a recording fake of the map store).
 */
import assert from "node:assert/strict";
import { assertEquals } from "./assert.ts";
import { ProcessPublisher } from "../lib/sysmon/publisher.ts";
import type { SysmonMapWriter } from "../lib/sysmon/map_store.ts";
import type { FollowedProcess } from "../lib/sysmon/followed.ts";
import { FollowedSet } from "../lib/sysmon/followed.ts";
import { INITIAL_PID_NS_INO, type ModuleOffsets, PIDNS_SLOTS } from "../bpf/sysmon_maps.ts";

/** An in-memory store with the same key semantics as the kernel maps. */
class FakeStore implements SysmonMapWriter {
  offsets = new Map<string, ModuleOffsets>();
  aliases = new Map<string, number>();
  allowed = new Set<number>();
  slots = new Map<number, [bigint, bigint]>();
  setOffsets(p: number, c: bigint, v: ModuleOffsets) {
    this.offsets.set(`${p}/${c}`, v);
  }
  deleteOffsets(p: number, c: bigint) {
    this.offsets.delete(`${p}/${c}`);
  }
  setAlias(t: number, ns: bigint, p: number) {
    this.aliases.set(`${t}@${ns}`, p);
  }
  deleteAlias(t: number, ns: bigint) {
    this.aliases.delete(`${t}@${ns}`);
  }
  allow(h: number) {
    this.allowed.add(h);
  }
  disallow(h: number) {
    this.allowed.delete(h);
  }
  setPidNsSlot(slot: number, dev: bigint, ino: bigint) {
    if (ino === 0n) this.slots.delete(slot);
    else this.slots.set(slot, [dev, ino]);
  }
  empty(): boolean {
    return this.offsets.size + this.aliases.size + this.allowed.size + this.slots.size === 0;
  }
}

const SELF = { dev: 4n, ino: 0xf0000152n };
const NESTED = 0xf0000154n;
const COOKIE = 0xabcn;
const OFFS: ModuleOffsets = { bias: 0x5000n, start: 0x5000n, end: 0x9000n };

function proc(procPid: number, nsIno: bigint, nsTgid: number): FollowedProcess {
  return {
    procPid,
    startTime: 1n,
    comm: "x",
    nsIno,
    nsDev: 4n,
    nsTgid,
    offsets: new Map(),
    aliases: [],
    allowed: new Set(),
    sinceNs: 0n,
  };
}

Deno.test("sysmon publisher: initial namespace: offsets and allow-list by host TGID, no alias", () => {
  const store = new FakeStore();
  const pub = new ProcessPublisher(store, undefined, () => {});
  const p = proc(4242, INITIAL_PID_NS_INO, 4242);
  pub.publishIdentity(p);
  pub.publishOffsets(p, COOKIE, OFFS);
  pub.publishHost(p, 4242);
  assertEquals([...store.offsets.keys()], [`4242/${COOKIE}`]);
  assertEquals([...store.allowed], [4242]);
  assertEquals(store.aliases.size, 0);
  pub.purge(p);
  assert.ok(store.empty());
});

Deno.test("sysmon publisher: private namespace, same-namespace target", () => {
  const store = new FakeStore();
  const pub = new ProcessPublisher(store, SELF, () => {});
  const p = proc(7, SELF.ino, 7);
  pub.publishIdentity(p);
  pub.publishOffsets(p, COOKIE, OFFS);
  assertEquals(new Map(store.aliases), new Map([[`7@${SELF.ino}`, 7]]));
  assertEquals(store.allowed.size, 0); // host TGID not known yet
  pub.publishHost(p, 91234);
  assertEquals(
    new Map(store.aliases),
    new Map([[`7@${SELF.ino}`, 7], [`91234@${INITIAL_PID_NS_INO}`, 7]]),
  );
  assertEquals([...store.allowed], [91234]);
  assertEquals(store.slots.size, 0); // our own namespace is never registered
  pub.purge(p);
  assert.ok(store.empty());
});

Deno.test("sysmon publisher: nested namespace registers a slot, shared and released", () => {
  const store = new FakeStore();
  const pub = new ProcessPublisher(store, SELF, () => {});
  const a = proc(8, NESTED, 1);
  const b = proc(9, NESTED, 2);
  pub.publishIdentity(a);
  pub.publishIdentity(b);
  assertEquals([...store.slots.values()], [[4n, NESTED]]);
  assertEquals(store.aliases.get(`1@${NESTED}`), 8);
  assertEquals(store.aliases.get(`2@${NESTED}`), 9);
  pub.purge(a);
  assertEquals(store.slots.size, 1);
  pub.purge(b);
  assert.ok(store.empty());
});

Deno.test("sysmon publisher: slots run out with one notice", () => {
  const store = new FakeStore();
  const notices: string[] = [];
  const pub = new ProcessPublisher(store, SELF, (t) => notices.push(t));
  for (let i = 0; i <= PIDNS_SLOTS + 1; i++) {
    pub.publishIdentity(proc(10 + i, 0xf1000000n + BigInt(i), 1));
  }
  assertEquals(store.slots.size, PIDNS_SLOTS);
  assertEquals(notices.length, 1);
  assert.match(notices[0], /nested PID namespaces/);
});

Deno.test("sysmon publisher: unchanged offsets are not rewritten; a full map is a notice", () => {
  let writes = 0;
  const store = new FakeStore();
  const counting: SysmonMapWriter = Object.assign(Object.create(store), {
    setOffsets: (p: number, c: bigint, v: ModuleOffsets) => {
      writes++;
      store.setOffsets(p, c, v);
    },
    allow: () => {
      throw new Error("E2BIG (map full)");
    },
  });
  const notices: string[] = [];
  const pub = new ProcessPublisher(counting, undefined, (t) => notices.push(t));
  const p = proc(1, INITIAL_PID_NS_INO, 1);
  pub.publishOffsets(p, COOKIE, OFFS);
  pub.publishOffsets(p, COOKIE, { ...OFFS });
  assertEquals(writes, 1);
  pub.publishOffsets(p, COOKIE, { ...OFFS, bias: 0x6000n });
  assertEquals(writes, 2);
  pub.publishHost(p, 1);
  pub.publishHost(p, 1);
  assertEquals(p.allowed.size, 0);
  assertEquals(notices, ["cannot update allowed_pids: E2BIG (map full)"]);
});

Deno.test("sysmon followed set: indexes by proc PID, host TGID and namespace TGID", () => {
  const set = new FollowedSet();
  const p = proc(8, NESTED, 1);
  set.add(p);
  assertEquals(set.byProcPid(8), p);
  assertEquals(set.byNsTgid(NESTED, 1), p);
  assertEquals(set.byHostTgid(5000), undefined);
  set.bindHost(p, 5000);
  assertEquals(set.byHostTgid(5000), p);
  const q = proc(8, NESTED, 1); // same PID reused by a new process
  set.remove(p);
  set.add(q);
  set.remove(p); // removing the old record must not drop the new one
  assertEquals(set.byProcPid(8), q);
  assertEquals(set.size, 1);
});
