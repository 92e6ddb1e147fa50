/**
 * Proves the kernel verifier accepts every program shape the script compiler generates: each
 * script of the corpus is compiled under every task filter and pid view, assembled against real
 * maps and loaded as BPF_PROG_TYPE_KPROBE. Needs root (skipped with a message otherwise, failing
 * instead when CI=true).
 */
import assert from "node:assert/strict";
import { closeFd, createMap, loadProgram, ProgType } from "../../ffi/bpf.ts";
import { VerifierError } from "../../ffi/errors.ts";
import {
  EVENTS_MAP,
  eventsMapSpec,
  LOST_MAP,
  lostMapSpec,
  SCRATCH_MAP,
  scratchMapSpec,
} from "../../bpf/maps.ts";
import { sharedMapSpecs } from "../../bpf/sysmon_maps.ts";
import type { DwarfType } from "../../lib/dwarf/index.ts";
import type { PidView, TaskFilter } from "../../bpf/task_filter.ts";
import { ValueStatus } from "../../bpf/wire.ts";
import { compileScript } from "../../lib/script/compiler.ts";
import type { VariableResolver } from "../../lib/script/resolver.ts";
import { e2eTest } from "./harness.ts";

/** The init pid namespace as the helper sees it (dev 4 on this kernel family), and another. */
const NS_A = { dev: 4n, ino: 4026531836n };
const NS_B = { dev: 4n, ino: 4026532999n };

const FILTERS: TaskFilter[] = [
  { kind: "none" },
  { kind: "host-tgid", tgid: 1 },
  { kind: "ns-tgid", ns: NS_A, tgid: 1 },
  { kind: "exclude-tgid", tgid: 1 },
  { kind: "exclude-tgid", tgid: 1, ns: NS_B },
];
const VIEWS: PidView[] = [{ kind: "host" }, { kind: "ns", ns: NS_A }, { kind: "ns", ns: NS_B }];

const CHAR: DwarfType = {
  kind: "base",
  name: "char",
  size: 1,
  encoding: "char",
  signed: true,
  dieOffset: 1,
};
const CHAR_PTR: DwarfType = { kind: "pointer", size: 8, target: CHAR, dieOffset: 2 };
const BUF: DwarfType = { kind: "array", element: CHAR, count: 200, dieOffset: 3 };
const INT: DwarfType = {
  kind: "base",
  name: "int",
  size: 4,
  encoding: "signed",
  signed: true,
  dieOffset: 4,
};

/** Program variables of the shapes the DWARF layer will produce. */
const RESOLVER: VariableResolver = {
  resolve(name) {
    switch (name) {
      case "arg0": // int in rdi
        return {
          type: "i64",
          expr: { kind: "extend", operand: { kind: "ctx", offset: 112 }, bits: 32, signed: true },
        };
      case "ptr": // pointer in rsi
        return { type: "ptr", expr: { kind: "ctx", offset: 104 } };
      case "field": // int at rsi + 4
        return {
          type: "i64",
          expr: {
            kind: "read",
            addr: {
              kind: "arith",
              op: "add",
              signed: false,
              left: { kind: "ctx", offset: 104 },
              right: { kind: "const", value: 4n },
            },
            size: 4,
            signed: true,
          },
        };
      case "chained": // **(long **)rdx
        return {
          type: "u64",
          expr: {
            kind: "read",
            addr: { kind: "read", addr: { kind: "ctx", offset: 96 }, size: 8, signed: false },
            size: 8,
            signed: false,
          },
        };
      case "gone":
        return { type: "i64", expr: { kind: "unavailable", status: ValueStatus.OptimizedOut } };
      case "name": // const char * in rdi
        return { value: { kind: "scalar", type: CHAR_PTR, expr: { kind: "ctx", offset: 112 } } };
      case "buf": // unsigned char[200] at rsi
        return { value: { kind: "memory", type: BUF, addr: { kind: "ctx", offset: 104 } } };
      case "libglobal": // an int of another module, rebased through proc_module_offsets
        return {
          value: {
            kind: "memory",
            type: INT,
            addr: {
              kind: "arith",
              op: "add",
              signed: false,
              left: { kind: "const", value: 0x4010n },
              right: { kind: "moduleOffsets", module: "/lib/libx.so", cookie: 7n },
            },
          },
        };
    }
    return undefined;
  },
};

const CORPUS: Record<string, string> = {
  empty: "trace main { }",
  literal: 'trace main { print "hello"; }',
  builtins: 'trace main { print "{} {} {} {} {}", $pid, $tid, $host_pid, $input_pid, $timestamp; }',
  arithmetic: `trace main {
    let a = $pid * 3 + 7 - $tid;
    let b = a / 3;
    let c = a % ($tid - 5);
    let d = -a / -(b + 1);
    print "{} {:x} {:X} {:p}", a, b, c, d;
    print (a + b) * (c - d) / ($timestamp % 1000 + 1);
    print 0xffffffffffffffff / 7;
  }`,
  logic: `trace main {
    let big = $pid > 100 && $tid != 0 || !($host_pid <= 5);
    if big { print "big"; } else if $tid >= 10 { print "ten"; } else { print "small"; }
    print big == true;
    if $pid == $tid { let same = 1; print same; }
  }`,
  nested: `trace main {
    if $pid > 1 { if $tid > 2 { if $pid % 2 == 0 { print "{}", $pid; } else { print "{}", $tid; } } }
    if $pid < 0 { print "never"; }
  }`,
  manyPrints: `trace main {${
    Array.from({ length: 40 }, (_, i) => `if $tid % ${i + 2} == 0 { print "{} {}", ${i}, $pid; }`)
      .join("\n")
  }}`,
  wideFormat: `trace main { print "${"{} ".repeat(24)}", ${
    Array.from({ length: 24 }, (_, i) => `$pid + ${i}`).join(", ")
  }; }`,
  manyLets: `trace main {${
    Array.from({ length: 50 }, (_, i) => `let v${i} = $pid + ${i};`).join(" ")
  } print v49; }`,
  deepExpr: `trace main { print ${"(".repeat(20)}$pid${
    " + $tid * ($timestamp - 1))".repeat(20)
  }; }`,
  programVars: `trace main {
    print "{} {:p} {} {} {}", arg0, ptr, field, chained, gone;
    let f = field + 1;
    if f > 3 && chained != 0 { print f; } else if ptr == 0 { print "null"; }
    print f * arg0 / (field - 2);
  }`,
  twoTraces: "trace main { print $pid; } trace other.c:12 { print $tid; }",
  strings: `trace main {
    let s = "GET";
    print "{} {} {} {} {}", strncmp(name, "abc", 3), starts_with(name, s), name == "exact", s, strlen(name);
    if strncmp(name, "abcdef", arg0) || buf == "xyz" { print "A"; } else if name != s { print "B"; }
  }`,
  memcmp: `trace main {
    let n = arg0 - 1;
    if memcmp(buf, hex("de ad be ef")) && memcmp(name, buf, n) { print "EQ"; }
    print "{} {} {}", memcmp(buf, &buf[100], 100), memcmp(name, hex("00"), 0), memcmp(&buf[1], buf, 150);
  }`,
  otherModule: `trace main {
    print "{:p} {}", &libglobal, libglobal;
    if libglobal > 3 { print "big"; }
  }`,
  // each let that can fail keeps its status in map memory: 24 of them do not multiply the
  // verifier's paths (on the stack they made it give up after a million instructions)
  manyFallibleLets: `trace main {${
    Array.from({ length: 24 }, (_, i) => `let f${i} = field + ${i};`).join(" ")
  } ${Array.from({ length: 24 }, (_, i) => `if f${i} > 3 { print "${i}"; }`).join(" ")} }`,
  bitwise: `trace main { print "{} {} {}", arg0 & 0xff | arg0 << 3 ^ ~arg0 >> 2, $sp, $pc; }`,
};

e2eTest("the verifier accepts every generated program shape", () => {
  const events = createMap(eventsMapSpec(1 << 16));
  const lost = createMap(lostMapSpec());
  const scratch = createMap(scratchMapSpec());
  const shared = sharedMapSpecs().map((spec) => ({ ref: spec.ref, fd: createMap(spec) }));
  const fds: Record<string, number> = {
    [EVENTS_MAP]: events,
    [LOST_MAP]: lost,
    [SCRATCH_MAP]: scratch,
  };
  for (const m of shared) fds[m.ref] = m.fd;
  let loaded = 0;
  try {
    for (const [name, source] of Object.entries(CORPUS)) {
      for (const filter of FILTERS) {
        for (const pidView of VIEWS) {
          const compiled = compileScript(source, {
            filter,
            pidView,
            inputPid: 4242,
            resolveVariable: RESOLVER,
          });
          for (const t of compiled.traces) {
            const what = `${name} / filter ${filter.kind} / view ${pidView.kind} / ${t.name}`;
            let fd: number;
            try {
              fd = loadProgram({
                type: ProgType.Kprobe,
                name: t.name,
                insns: t.program.assemble(fds),
                license: "GPL",
              });
            } catch (e) {
              const detail = e instanceof VerifierError
                ? `\n${e.tail(25)}\n${t.program.listing()}`
                : "";
              assert.fail(`${what}: ${(e as Error).message}${detail}`);
            }
            closeFd(fd);
            loaded++;
          }
        }
      }
    }
  } finally {
    closeFd(events);
    closeFd(lost);
    closeFd(scratch);
    for (const m of shared) closeFd(m.fd);
  }
  assert.equal(loaded, (Object.keys(CORPUS).length + 1) * FILTERS.length * VIEWS.length);
});
