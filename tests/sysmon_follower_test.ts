/**
 * The follower's decisions on a fake /proc (ghostscope in the initial namespace): exec follows a
 * process mapping the module, fork tells threads from processes, exit forgets only what it
 * should, an exec away drops the kernel-inherited allow-list entry.
 */
import { assertEquals } from "./assert.ts";
import { ProcessFollower } from "../lib/sysmon/follower.ts";
import { ProcessPublisher } from "../lib/sysmon/publisher.ts";
import type { SysmonMapWriter } from "../lib/sysmon/map_store.ts";
import { fileIdentity, ModuleKind, type TargetModule } from "../lib/sysmon/module.ts";
import type { ModuleOffsets } from "../bpf/sysmon_maps.ts";
import { type SysmonEvent, SysmonKind } from "../bpf/sysmon_event.ts";

const hex = (n: number) => n.toString(16).padStart(2, "0");

/** A fake /proc tree plus a module file whose identity its maps lines can name. */
class FakeProc {
  readonly root = Deno.makeTempDirSync();
  readonly proc = `${this.root}/proc`;
  readonly module: TargetModule;

  constructor() {
    Deno.mkdirSync(this.proc);
    const file = `${this.root}/app`;
    Deno.writeTextFileSync(file, "x");
    this.module = {
      path: file,
      identity: fileIdentity(Deno.statSync(file)),
      cookie: 0xc00c1en,
      kind: ModuleKind.Executable,
      loads: [{ offset: 0, vaddr: 0, filesz: 0x100 }, {
        offset: 0x1000,
        vaddr: 0x1000,
        filesz: 0x100,
      }],
      positionIndependent: true,
      elf: undefined as unknown as TargetModule["elf"],
    };
  }

  /** A process (or thread, with `tgid`) that maps the module at `base` (or nothing). */
  add(pid: number, opts: { tgid?: number; base?: bigint; children?: number[]; start?: number }) {
    const dir = `${this.proc}/${pid}`;
    Deno.mkdirSync(`${dir}/ns`, { recursive: true });
    Deno.mkdirSync(`${dir}/task/${pid}`, { recursive: true });
    Deno.writeTextFileSync(`${dir}/ns/pid`, "");
    const tgid = opts.tgid ?? pid;
    const rest = Array.from({ length: 18 }, (_, i) => (i === 17 ? String(opts.start ?? 100) : "0"));
    Deno.writeTextFileSync(`${dir}/stat`, `${pid} (app) S 1 ${rest.join(" ")}\n`);
    Deno.writeTextFileSync(
      `${dir}/status`,
      `Name:\tapp\nTgid:\t${tgid}\nPid:\t${pid}\nPPid:\t1\nNStgid:\t${tgid}\nNSpid:\t${pid}\n`,
    );
    const id = this.module.identity;
    const dev = `${hex(id.major)}:${hex(id.minor)}`;
    Deno.writeTextFileSync(
      `${dir}/maps`,
      opts.base === undefined ? "" : [
        `${opts.base.toString(16)}-${
          (opts.base + 0x1000n).toString(16)
        } r--p 00000000 ${dev} ${id.ino} /app`,
        `${(opts.base + 0x1000n).toString(16)}-${
          (opts.base + 0x2000n).toString(16)
        } r-xp 00001000 ${dev} ${id.ino} /app`,
      ].join("\n") + "\n",
    );
    Deno.writeTextFileSync(`${dir}/task/${pid}/children`, (opts.children ?? []).join(" "));
  }

  remove(pid: number) {
    Deno.removeSync(`${this.proc}/${pid}`, { recursive: true });
  }

  dispose() {
    Deno.removeSync(this.root, { recursive: true });
  }
}

class RecordingStore implements SysmonMapWriter {
  offsets = new Map<number, ModuleOffsets>();
  allowed = new Set<number>();
  comms = new Set<string>();
  setOffsets(p: number, _c: bigint, v: ModuleOffsets) {
    this.offsets.set(p, v);
  }
  deleteOffsets(p: number) {
    this.offsets.delete(p);
  }
  setAlias() {}
  deleteAlias() {}
  allow(h: number) {
    this.allowed.add(h);
  }
  disallow(h: number) {
    this.allowed.delete(h);
  }
  setPidNsSlot() {}
  addExecComm(name: string) {
    this.comms.add(name);
  }
}

function event(kind: SysmonKind, host: number, more: Partial<SysmonEvent> = {}): SysmonEvent {
  return {
    kind,
    flags: 0,
    ktimeNs: 1n << 62n,
    hostTgid: host,
    hostTid: host,
    selfTgid: host,
    selfTid: host,
    nsIno: 0n,
    nsTgid: 0,
    detail: 0,
    comm: "app",
    filename: "",
    ...more,
  };
}

function setup() {
  const fake = new FakeProc();
  const store = new RecordingStore();
  const refreshes: number[] = [];
  const follower = new ProcessFollower({
    module: fake.module,
    procRoot: fake.proc,
    selfPid: 1,
    selfNs: undefined,
    publisher: new ProcessPublisher(store, undefined, () => {}),
    store,
    scheduleRefresh: (pid) => refreshes.push(pid),
    cancelRefresh: () => {},
    requestRescan: () => {},
  });
  return { fake, store, follower, refreshes };
}

Deno.test("sysmon follower: exec follows a process that maps the module, with its children", () => {
  const { fake, store, follower } = setup();
  try {
    fake.add(100, { base: 0x5550000n, children: [101] });
    fake.add(101, { base: 0x5550000n });
    follower.handle(event(SysmonKind.Exec, 100));
    assertEquals([...store.offsets.keys()].sort(), [100, 101]);
    assertEquals(store.offsets.get(100)?.bias, 0x5550000n);
    assertEquals([...store.allowed].sort(), [100, 101]);
    assertEquals([...store.comms], ["app"]);
  } finally {
    fake.dispose();
  }
});

Deno.test("sysmon follower: a thread from fork is dropped, a process is followed", () => {
  const { fake, store, follower } = setup();
  try {
    fake.add(100, { base: 0x5550000n });
    follower.evaluate(100);
    fake.add(200, { tgid: 100, base: 0x5550000n }); // a thread of 100
    store.allow(200); // what the kernel's fork program inherited
    follower.handle(event(SysmonKind.Fork, 100, { detail: 200 }));
    assertEquals(store.allowed.has(200), false);
    assertEquals(follower.followed.byProcPid(200), undefined);
    fake.add(201, { base: 0x7770000n });
    follower.handle(event(SysmonKind.Fork, 100, { detail: 201 }));
    assertEquals(store.offsets.get(201)?.bias, 0x7770000n);
  } finally {
    fake.dispose();
  }
});

Deno.test("sysmon follower: exit forgets the process, not an older event about its PID", () => {
  const { fake, store, follower } = setup();
  try {
    fake.add(100, { base: 0x5550000n });
    follower.evaluate(100);
    follower.handle(event(SysmonKind.Exit, 100, { ktimeNs: 1n })); // before we followed it
    assertEquals(store.offsets.has(100), true);
    follower.handle(event(SysmonKind.Exit, 100));
    assertEquals(store.offsets.size + store.allowed.size, 0);
    assertEquals(follower.followed.size, 0);
  } finally {
    fake.dispose();
  }
});

Deno.test("sysmon follower: exec away drops the record and the inherited allow entry", () => {
  const { fake, store, follower } = setup();
  try {
    fake.add(100, { base: 0x5550000n });
    follower.evaluate(100);
    fake.add(100, {}); // exec'd another program: no mapping of the module any more
    follower.handle(event(SysmonKind.Exec, 100));
    assertEquals(follower.followed.size, 0);
    assertEquals(store.allowed.size, 0);
    fake.add(300, {}); // a stranger the kernel allow-listed at fork
    store.allow(300);
    follower.handle(event(SysmonKind.Exec, 300));
    assertEquals(store.allowed.has(300), false);
  } finally {
    fake.dispose();
  }
});

Deno.test("sysmon follower: map changes are debounced; a vanished process is forgotten", () => {
  const { fake, store, follower, refreshes } = setup();
  try {
    fake.add(100, { base: 0x5550000n });
    follower.evaluate(100);
    follower.handle(event(SysmonKind.MapChange, 100));
    assertEquals(refreshes, [100]);
    fake.remove(100);
    follower.evaluate(100);
    assertEquals(store.offsets.size + store.allowed.size, 0);
  } finally {
    fake.dispose();
  }
});
