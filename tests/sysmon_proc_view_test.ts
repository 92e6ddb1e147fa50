/** Matching a module's file in /proc/PID/maps by device and inode, on a fake /proc tree. */
import { assertEquals } from "./assert.ts";
import { moduleMappings } from "../lib/sysmon/proc_view.ts";
import { fileIdentity, ModuleKind, type TargetModule } from "../lib/sysmon/module.ts";

function fakeModule(identity: TargetModule["identity"]): TargetModule {
  return {
    path: "/opt/app",
    identity,
    cookie: 1n,
    kind: ModuleKind.Executable,
    loads: [],
    positionIndependent: true,
    elf: undefined as unknown as TargetModule["elf"],
  };
}

const hex = (n: number) => n.toString(16).padStart(2, "0");

Deno.test("sysmon proc view: device + inode match, path ignored; gone process is null", () => {
  const root = Deno.makeTempDirSync();
  try {
    const file = `${root}/the-module`;
    Deno.writeTextFileSync(file, "x");
    const id = fileIdentity(Deno.statSync(file));
    const dev = `${hex(id.major)}:${hex(id.minor)}`;
    Deno.mkdirSync(`${root}/proc/42`, { recursive: true });
    Deno.writeTextFileSync(
      `${root}/proc/42/maps`,
      [
        `55f0-56f0 r--p 00000000 ${dev} ${id.ino} /renamed/elsewhere`,
        `56f0-57f0 r-xp 00001000 ${dev} ${id.ino} /renamed/elsewhere`,
        `57f0-58f0 r--p 00000000 ${dev} ${id.ino + 1n} /opt/app`,
        `58f0-59f0 rw-p 00000000 00:00 0`,
      ].join("\n") + "\n",
    );
    const found = moduleMappings(42, fakeModule(id), `${root}/proc`)!;
    assertEquals(found.map((m) => m.permsText), ["r--p", "r-xp"]);
    assertEquals(moduleMappings(43, fakeModule(id), `${root}/proc`), null);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("sysmon proc view: inode-only match is confirmed through /proc/PID/root", () => {
  const root = Deno.makeTempDirSync();
  try {
    // The process's root holds the file at /bin/app; maps reports another device (overlayfs).
    Deno.mkdirSync(`${root}/proc/7/root/bin`, { recursive: true });
    const file = `${root}/proc/7/root/bin/app`;
    Deno.writeTextFileSync(file, "x");
    const id = fileIdentity(Deno.statSync(file));
    const other = `${hex((id.major + 1) % 256)}:${hex(id.minor)}`;
    Deno.writeTextFileSync(
      `${root}/proc/7/maps`,
      `55f0-56f0 r-xp 00000000 ${other} ${id.ino} /bin/app\n`,
    );
    assertEquals(moduleMappings(7, fakeModule(id), `${root}/proc`)!.length, 1);
    // Same inode number but a different file behind the path: not a match.
    Deno.removeSync(file);
    Deno.writeTextFileSync(file, "y");
    const id2 = fileIdentity(Deno.statSync(file));
    const stale = { ...id, ino: id2.ino === id.ino ? id.ino + 7n : id.ino };
    Deno.writeTextFileSync(
      `${root}/proc/7/maps`,
      `55f0-56f0 r-xp 00000000 ${other} ${stale.ino} /bin/app\n`,
    );
    assertEquals(moduleMappings(7, fakeModule(stale), `${root}/proc`), []);
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
