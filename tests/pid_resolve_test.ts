import { assertEquals, assertThrows } from "./assert.ts";
import { RuntimeFailure, UsageError } from "../lib/errors.ts";
import { INITIAL_PID_NS_INO, NsSource } from "../lib/proc/ns.ts";
import { ChainSource, NsRelation, parsePidArgument, resolvePidViews } from "../lib/pid/resolve.ts";
import {
  CONTAINER_NS_INO,
  type FakeProcOptions,
  makeFakeProc,
  NESTED_NS_INO,
} from "./fixtures/proc/fake_proc.ts";

const SELF = 4242;

function withTree<T>(options: FakeProcOptions, fn: (t: ReturnType<typeof makeFakeProc>) => T): T {
  const tree = makeFakeProc(options);
  try {
    return fn(tree);
  } finally {
    tree.cleanup();
  }
}

function resolveIn(tree: ReturnType<typeof makeFakeProc>, pid: string | number) {
  return resolvePidViews(pid, {
    procRoot: tree.procRoot,
    nsAccess: tree.nsAccess,
    selfPid: tree.selfPid,
  });
}

Deno.test("resolve: argument validation", () => {
  for (const bad of ["abc", "-1", "0", "4194304", "1.5", "", "0x10", "1e3", "12abc"]) {
    assertThrows(
      () => parsePidArgument(bad),
      UsageError,
      `-p expects a positive process id, got '${bad}'`,
    );
  }
  assertThrows(() => parsePidArgument(-3), UsageError);
  assertThrows(() => parsePidArgument(2.5), UsageError);
  assertEquals(parsePidArgument("4194303"), 4194303);
  assertEquals(parsePidArgument(" 17 "), 17);
  assertEquals(parsePidArgument(1), 1);
});

Deno.test("resolve: invisible PID from the initial namespace says 'not running'", () => {
  withTree({ selfPid: SELF }, (t) => {
    const err = assertThrows(() => resolveIn(t, 999), UsageError);
    assertEquals(
      err.message,
      "no process with PID 999 is visible here: it is not running (ghostscope runs in the " +
        "initial PID namespace, ino 4026531836, where every process is visible; -p expects a " +
        "PID as ps shows it in this shell)",
    );
  });
});

Deno.test("resolve: invisible PID from a private namespace blames the namespace first", () => {
  withTree({ selfPid: 7, selfNs: { mode: "stat", ino: CONTAINER_NS_INO } }, (t) => {
    const err = assertThrows(() => resolveIn(t, 999), UsageError);
    assertEquals(
      err.message,
      "no process with PID 999 is visible here: most likely it lives outside this PID " +
        "namespace, or it is not running (ghostscope runs in PID namespace ino 4026532178, " +
        "not the host's; -p expects a PID as ps shows it in this shell)",
    );
  });
});

Deno.test("resolve: host -> host (scenario 1 facts)", () => {
  withTree({ selfPid: SELF, processes: [{ pid: 1234, name: "app" }] }, (t) => {
    const v = resolveIn(t, "1234");
    assertEquals(v.inputPid, 1234);
    assertEquals(v.procPid, 1234);
    assertEquals(v.threadOf, undefined);
    assertEquals(v.notices, []);
    assertEquals(v.comm, "app");
    assertEquals(v.nsTgidChain, [1234]);
    assertEquals(v.chainSource, ChainSource.NStgid);
    assertEquals(v.containerPid, 1234);
    assertEquals(v.hostPid, 1234);
    assertEquals(v.relation, NsRelation.Same);
    assertEquals(v.selfInInitialPidNs, true);
    assertEquals(v.targetInInitialPidNs, true);
    assertEquals(v.targetNs, { dev: 4n, ino: INITIAL_PID_NS_INO, source: NsSource.Stat });
    assertEquals(v.procView, { selfPid: SELF, selfPidInProc: SELF, matches: true });
    assertEquals(v.targetContainerEvidence, []);
  });
});

Deno.test("resolve: host -> private container (chain of 2, hostPid = procPid)", () => {
  withTree({
    selfPid: SELF,
    processes: [{
      pid: 81234,
      nsTgid: [81234, 17],
      ns: { mode: "stat", ino: CONTAINER_NS_INO },
      cgroup: "0::/system.slice/docker-0123abcd.scope\n",
    }],
  }, (t) => {
    const v = resolveIn(t, 81234);
    assertEquals(v.nsTgidChain, [81234, 17]);
    assertEquals(v.containerPid, 17);
    assertEquals(v.hostPid, 81234);
    assertEquals(v.relation, NsRelation.Descendant);
    assertEquals(v.targetInInitialPidNs, false);
    assertEquals(v.targetNs.ino, CONTAINER_NS_INO);
    assertEquals(v.targetContainerEvidence.length, 1);
  });
});

Deno.test("resolve: inside a container, hostPid is unknown (never NSpid[0])", () => {
  const containerNs = { mode: "stat" as const, ino: CONTAINER_NS_INO };
  withTree({
    selfPid: 7,
    selfNs: containerNs,
    processes: [
      { pid: 17, ns: containerNs },
      { pid: 531, nsTgid: [531, 1], ns: { mode: "stat", ino: NESTED_NS_INO } },
    ],
  }, (t) => {
    const same = resolveIn(t, 17);
    assertEquals(same.hostPid, undefined);
    assertEquals(same.containerPid, 17);
    assertEquals(same.relation, NsRelation.Same);
    assertEquals(same.selfInInitialPidNs, false);

    const nested = resolveIn(t, 531);
    assertEquals(nested.hostPid, undefined);
    assertEquals(nested.procPid, 531);
    assertEquals(nested.containerPid, 1);
    assertEquals(nested.nsTgidChain, [531, 1]);
    assertEquals(nested.relation, NsRelation.Descendant);
  });
});

Deno.test("resolve: a thread id resolves to its process with a notice", () => {
  withTree({
    selfPid: SELF,
    processes: [
      {
        pid: 5000,
        name: "server",
        nsTgid: [5000, 40],
        threads: 3,
        ns: { mode: "stat", ino: CONTAINER_NS_INO },
      },
      { pid: 5002, tgid: 5000, name: "worker", nsTgid: [5000, 40], nsPid: [5002, 42] },
    ],
  }, (t) => {
    const v = resolveIn(t, 5002);
    assertEquals(v.inputPid, 5002);
    assertEquals(v.procPid, 5000);
    assertEquals(v.threadOf, 5000);
    assertEquals(v.comm, "server");
    assertEquals(v.nsTgidChain, [5000, 40]);
    assertEquals(v.containerPid, 40);
    assertEquals(v.notices, [
      "PID 5002 is a thread of process 5000 (server); tracing process 5000 (all its threads)",
    ]);
  });
});

Deno.test("resolve: NSpid fallback when NStgid is absent; Tgid only when both are", () => {
  withTree({
    selfPid: SELF,
    processes: [
      { pid: 600, nsTgid: null, nsPid: [600, 3], ns: { mode: "stat", ino: CONTAINER_NS_INO } },
      { pid: 601, nsTgid: null, nsPid: null },
      { pid: 602, nsTgid: null, nsPid: null, ns: { mode: "stat", ino: CONTAINER_NS_INO } },
    ],
  }, (t) => {
    const a = resolveIn(t, 600);
    assertEquals([a.chainSource, a.containerPid, a.relation], [
      ChainSource.NSpid,
      3,
      NsRelation.Descendant,
    ]);
    const b = resolveIn(t, 601);
    assertEquals([b.chainSource, b.containerPid, b.relation], [
      ChainSource.TgidOnly,
      601,
      NsRelation.Same,
    ]);
    const c = resolveIn(t, 602);
    assertEquals([c.chainSource, c.containerPid, c.relation], [
      ChainSource.TgidOnly,
      undefined,
      NsRelation.Unknown,
    ]);
    assertEquals(c.relationNote?.includes("no NStgid/NSpid"), true);
    assertEquals(c.hostPid, 602); // initial namespace: the /proc PID is the host PID regardless
  });
});

Deno.test("resolve: chain and namespace inodes that disagree give relation unknown", () => {
  withTree({
    selfPid: SELF,
    processes: [{ pid: 700, nsTgid: [700], ns: { mode: "stat", ino: CONTAINER_NS_INO } }],
  }, (t) => {
    const v = resolveIn(t, 700);
    assertEquals(v.relation, NsRelation.Unknown);
    assertEquals(v.containerPid, undefined);
  });
});

Deno.test("resolve: readlink fallback leaves the target's dev unknown", () => {
  withTree({
    selfPid: SELF,
    processes: [{ pid: 800, nsTgid: [800, 1], ns: { mode: "readlink", ino: CONTAINER_NS_INO } }],
  }, (t) => {
    const v = resolveIn(t, 800);
    assertEquals(v.targetNs, { dev: undefined, ino: CONTAINER_NS_INO, source: NsSource.ReadLink });
    assertEquals(v.relation, NsRelation.Descendant);
  });
});

Deno.test("resolve: vanished vs unreadable target namespace", () => {
  withTree({
    selfPid: SELF,
    processes: [{ pid: 801, ns: { mode: "missing" } }, { pid: 802, ns: { mode: "denied" } }],
  }, (t) => {
    // NotFound on ns/pid means the process vanished: a UsageError like any invisible PID.
    assertThrows(() => resolveIn(t, 801), UsageError, "no process with PID 801");
    assertThrows(() => resolveIn(t, 802), RuntimeFailure, "cannot read");
  });
});

Deno.test("resolve: kernel threads and exited processes are refused", () => {
  withTree({
    selfPid: SELF,
    processes: [
      { pid: 2, name: "kthreadd", kthread: true },
      { pid: 3, name: "old-kthread" },
      { pid: 900, name: "dead", state: "Z", threads: 1 },
      { pid: 901, name: "leaderless", state: "Z", threads: 3 },
    ],
  }, (t) => {
    assertThrows(() => resolveIn(t, 2), UsageError, "PID 2 is a kernel thread (kthreadd)");
    // Without a Kthread: line the PF_KTHREAD flag of stat decides; this one is a user process.
    assertEquals(resolveIn(t, 3).procPid, 3);
    assertThrows(() => resolveIn(t, 900), UsageError, "process 900 (dead) has exited");
    assertEquals(resolveIn(t, 901).procPid, 901);
  });
});

Deno.test("resolve: /proc of another namespace is detected", () => {
  withTree({
    selfPid: 2,
    selfLink: 8701,
    selfNs: { mode: "stat", ino: CONTAINER_NS_INO },
    processes: [{ pid: 8701, ns: { mode: "stat", ino: CONTAINER_NS_INO }, nsTgid: [8701, 2] }, {
      pid: 1000,
      ns: { mode: "stat", ino: INITIAL_PID_NS_INO },
    }],
  }, (t) => {
    const v = resolveIn(t, 1000);
    assertEquals(v.procView, { selfPid: 2, selfPidInProc: 8701, matches: false });
    assertEquals(v.hostPid, undefined);
    assertEquals(v.relation, NsRelation.Unknown);
  });
});

Deno.test("resolve: missing /proc/self/ns/pid is a RuntimeFailure", () => {
  withTree({ selfPid: SELF, selfLink: null, processes: [{ pid: 10 }] }, (t) => {
    assertThrows(() => resolveIn(t, 10), RuntimeFailure, "cannot read");
  });
});
