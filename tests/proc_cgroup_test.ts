import { assertEquals, assertThrows } from "./assert.ts";
import {
  CgroupLayout,
  cgroupLayout,
  parseCgroup,
  parseCgroupLine,
  unifiedCgroupPath,
} from "../lib/proc/cgroup.ts";
import { ProcFormatError } from "../lib/proc/errors.ts";
import { isWslRelease, readOsRelease } from "../lib/proc/osrelease.ts";

Deno.test("cgroup: v1 docker lines", () => {
  const entries = parseCgroup(
    "12:cpu,cpuacct:/docker/0123abcd\n1:name=systemd:/docker/0123abcd\n",
  );
  assertEquals(entries[0], {
    hierarchyId: 12,
    controllers: ["cpu", "cpuacct"],
    path: "/docker/0123abcd",
  });
  assertEquals(entries[1].controllers, ["name=systemd"]);
  assertEquals(cgroupLayout(entries), CgroupLayout.V1);
  assertEquals(unifiedCgroupPath(entries), undefined);
});

Deno.test("cgroup: v2 kubepods, root-only and hybrid", () => {
  const pod = parseCgroup("0::/kubepods.slice/kubepods-besteffort.slice/cri-containerd-ab.scope\n");
  assertEquals(cgroupLayout(pod), CgroupLayout.V2);
  assertEquals(unifiedCgroupPath(pod)?.startsWith("/kubepods"), true);
  const root = parseCgroup("0::/\n");
  assertEquals(unifiedCgroupPath(root), "/");
  assertEquals(cgroupLayout(parseCgroup("4:memory:/\n0::/\n")), CgroupLayout.Hybrid);
  assertEquals(cgroupLayout([]), CgroupLayout.Empty);
});

Deno.test("cgroup: a path may contain colons; bad lines throw", () => {
  assertEquals(parseCgroupLine("0::/a:b:c").path, "/a:b:c");
  assertThrows(() => parseCgroupLine("nonsense"), ProcFormatError);
  assertThrows(() => parseCgroupLine("x::/"), ProcFormatError);
});

Deno.test("osrelease: WSL detection and the real file", () => {
  assertEquals(isWslRelease("5.15.153.1-microsoft-standard-WSL2"), true);
  assertEquals(isWslRelease("4.4.0-19041-Microsoft"), true);
  assertEquals(isWslRelease("6.6.87.2-WSL2"), true);
  assertEquals(isWslRelease("6.18.44-fc-v669"), false);
  assertEquals(readOsRelease().length > 0, true);
});
