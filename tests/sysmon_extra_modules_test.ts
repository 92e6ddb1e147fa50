/**
 * Offsets of other modules (globals of a library read from a probe in the executable): the
 * follower publishes the `extraModules` a followed process maps, refreshes them when its maps
 * change (a dlopen), and removes them when unmapped; `neededModules` finds an executable's
 * DT_NEEDED libraries through RUNPATH `$ORIGIN` (gcc-built fixtures, no root needed).
 */
import { assertEquals } from "./assert.ts";
import { ProcessFollower } from "../lib/sysmon/follower.ts";
import { ProcessPublisher } from "../lib/sysmon/publisher.ts";
import type { SysmonMapWriter } from "../lib/sysmon/map_store.ts";
import { fileIdentity, ModuleKind, type TargetModule } from "../lib/sysmon/module.ts";
import type { ModuleOffsets } from "../bpf/sysmon_maps.ts";
import { libraryModule } from "../lib/session/process_modules.ts";
import { neededModules } from "../lib/session/other_modules.ts";
import { globalsFixtures } from "./fixtures/sysmon/globals_build.ts";

const hex = (n: number) => n.toString(16).padStart(2, "0");

function fakeModule(file: string, cookie: bigint, kind: ModuleKind): TargetModule {
  Deno.writeTextFileSync(file, "x");
  return {
    path: file,
    identity: fileIdentity(Deno.statSync(file)),
    cookie,
    kind,
    loads: [{ offset: 0, vaddr: 0, filesz: 0x100 }, { offset: 0x1000, vaddr: 0x1000, filesz: 1 }],
    positionIndependent: true,
    elf: undefined as unknown as TargetModule["elf"],
  };
}

function mapsLines(m: TargetModule, base: bigint, name: string): string {
  const dev = `${hex(m.identity.major)}:${hex(m.identity.minor)}`;
  const ino = m.identity.ino;
  return `${base.toString(16)}-${(base + 0x1000n).toString(16)} r--p 00000000 ${dev} ${ino} ${name}
${(base + 0x1000n).toString(16)}-${
    (base + 0x2000n).toString(16)
  } r-xp 00001000 ${dev} ${ino} ${name}
`;
}

class OffsetsStore implements SysmonMapWriter {
  offsets = new Map<string, bigint>();
  setOffsets(p: number, c: bigint, v: ModuleOffsets) {
    this.offsets.set(`${p}:${c}`, v.bias);
  }
  deleteOffsets(p: number, c: bigint) {
    this.offsets.delete(`${p}:${c}`);
  }
  setAlias() {}
  deleteAlias() {}
  allow() {}
  disallow() {}
  setPidNsSlot() {}
  addExecComm() {}
}

Deno.test("sysmon extra modules: published while mapped, refreshed on change, removed", () => {
  const root = Deno.makeTempDirSync();
  try {
    const proc = `${root}/proc`;
    const dir = `${proc}/100`;
    Deno.mkdirSync(`${dir}/ns`, { recursive: true });
    Deno.mkdirSync(`${dir}/task/100`, { recursive: true });
    Deno.writeTextFileSync(`${dir}/ns/pid`, "");
    const rest = Array.from({ length: 18 }, (_, i) => (i === 17 ? "100" : "0"));
    Deno.writeTextFileSync(`${dir}/stat`, `100 (app) S 1 ${rest.join(" ")}\n`);
    Deno.writeTextFileSync(
      `${dir}/status`,
      "Name:\tapp\nTgid:\t100\nPid:\t100\nPPid:\t1\nNStgid:\t100\nNSpid:\t100\n",
    );
    Deno.writeTextFileSync(`${dir}/task/100/children`, "");
    const app = fakeModule(`${root}/app`, 1n, ModuleKind.Executable);
    const lib = fakeModule(`${root}/lib.so`, 2n, ModuleKind.SharedLibrary);
    const store = new OffsetsStore();
    const follower = new ProcessFollower({
      module: app,
      procRoot: proc,
      selfPid: 1,
      selfNs: undefined,
      onlyProcPid: 100,
      extraModules: [lib],
      publisher: new ProcessPublisher(store, undefined, () => {}),
      store,
      scheduleRefresh: () => {},
      cancelRefresh: () => {},
      requestRescan: () => {},
    });
    Deno.writeTextFileSync(`${dir}/maps`, mapsLines(app, 0x5550000n, "/app"));
    follower.evaluate(100);
    assertEquals([...store.offsets], [["100:1", 0x5550000n]]);
    // dlopen: the library appears on the next evaluation (a map change)
    Deno.writeTextFileSync(
      `${dir}/maps`,
      mapsLines(app, 0x5550000n, "/app") + mapsLines(lib, 0x7f0000000n, "/lib.so"),
    );
    follower.evaluate(100);
    assertEquals(store.offsets.get("100:2"), 0x7f0000000n);
    // dlclose
    Deno.writeTextFileSync(`${dir}/maps`, mapsLines(app, 0x5550000n, "/app"));
    follower.evaluate(100);
    assertEquals(store.offsets.has("100:2"), false);
    assertEquals(store.offsets.get("100:1"), 0x5550000n);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("neededModules: DT_NEEDED through RUNPATH $ORIGIN, then the default directories", () => {
  const f = globalsFixtures();
  const found = neededModules(libraryModule(f.linked)).map((m) => m.path);
  assertEquals(found[0], Deno.realPathSync(f.library));
  assertEquals(found.some((p) => /\/libc\.so\.6$/.test(p)), true);
});
