import { assertEquals } from "./assert.ts";
import { detectEnvironment, EnvironmentKind, EvidenceStrength } from "../lib/pid/environment.ts";
import { CONTAINER_NS_INO, type FakeProcOptions, makeFakeProc } from "./fixtures/proc/fake_proc.ts";

const SELF = 4242;

function detect(
  options: Partial<FakeProcOptions> & { init?: { cgroup?: string; environ?: string } },
) {
  const tree = makeFakeProc({
    selfPid: SELF,
    ...options,
    processes: [{ pid: 1, name: "init", ...options.init }, ...(options.processes ?? [])],
  });
  try {
    return detectEnvironment({ root: tree.root, procRoot: tree.procRoot, nsAccess: tree.nsAccess });
  } finally {
    tree.cleanup();
  }
}

Deno.test("environment: plain host", () => {
  const e = detect({ init: { cgroup: "0::/init.scope\n" } });
  assertEquals(e.kind, EnvironmentKind.HostLikely);
  assertEquals(e.evidence, []);
  assertEquals(e.selfInInitialPidNs, true);
  assertEquals(e.wsl, false);
  assertEquals(e.osrelease, "6.1.0");
});

Deno.test("environment: /.dockerenv and /run/.containerenv are strong markers", () => {
  const e = detect({ rootFiles: [".dockerenv", "run/.containerenv"] });
  assertEquals(e.kind, EnvironmentKind.ContainerLikely);
  assertEquals(e.evidence, ["/.dockerenv exists", "/run/.containerenv exists"]);
  // Markers do not change the namespace fact.
  assertEquals(e.selfInInitialPidNs, true);
});

Deno.test("environment: cgroup v1 docker path", () => {
  const e = detect({ init: { cgroup: "12:cpu,cpuacct:/docker/0123abcd\n0::/\n" } });
  assertEquals(e.kind, EnvironmentKind.ContainerLikely);
  assertEquals(e.evidence, ["/proc/1/cgroup path '/docker/0123abcd' contains 'docker'"]);
});

Deno.test("environment: cgroup v2 kubepods path names the specific runtime", () => {
  const e = detect({
    init: { cgroup: "0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-ab12.scope\n" },
  });
  assertEquals(e.kind, EnvironmentKind.ContainerLikely);
  assertEquals(e.evidence[0].includes("'cri-containerd'"), true);
});

Deno.test("environment: '0::/' alone is only a weak hint -> unknown", () => {
  const e = detect({ init: { cgroup: "0::/\n" } });
  assertEquals(e.kind, EnvironmentKind.Unknown);
  assertEquals(e.evidenceDetail.map((d) => d.strength), [EvidenceStrength.Weak]);
  assertEquals(e.evidence[0].endsWith("[weak]"), true);
});

Deno.test("environment: a private PID namespace is decisive even without markers", () => {
  const e = detect({
    selfNs: { mode: "stat", ino: CONTAINER_NS_INO },
    init: { cgroup: "0::/\n" },
  });
  assertEquals(e.kind, EnvironmentKind.ContainerLikely);
  assertEquals(e.selfInInitialPidNs, false);
  assertEquals(
    e.evidence[0],
    "PID namespace ino 4026532178 is not the initial one (4026531836)",
  );
});

Deno.test("environment: container= in PID 1's environment", () => {
  const e = detect({ init: { environ: "PATH=/bin\0container=podman\0HOME=/\0" } });
  assertEquals(e.kind, EnvironmentKind.ContainerLikely);
  assertEquals(e.evidence, ["PID 1 has container=podman in its environment"]);
});

Deno.test("environment: WSL kernel release", () => {
  const e = detect({ osrelease: "5.15.153.1-microsoft-standard-WSL2" });
  assertEquals(e.wsl, true);
  assertEquals(e.osrelease, "5.15.153.1-microsoft-standard-WSL2");
});

Deno.test("environment: unreadable self namespace -> unknown, not initial", () => {
  const e = detect({ selfLink: null });
  assertEquals(e.kind, EnvironmentKind.Unknown);
  assertEquals(e.selfInInitialPidNs, false);
  assertEquals(e.selfPidNs, undefined);
});

Deno.test("environment: the real machine answers without throwing", () => {
  const e = detectEnvironment();
  assertEquals(typeof e.selfInInitialPidNs, "boolean");
  assertEquals(Object.values(EnvironmentKind).includes(e.kind), true);
});
