/**
 * The kernel verifier accepts the programs generated for program variables: the vars.c fixture
 * (O0 / O2, DWARF 5 / 4) compiled at its deepest line, with every kind of value (register,
 * stack, globals rebased from the ip, NULL-checked pointer chains, bit-fields, whole structs and
 * strings read into the ring record, fixed and run-time dump lengths, run-time array indexes,
 * conditions and lets on them), under each task filter and pid view. Needs root (skipped with a
 * message otherwise, failing when CI=true).
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
import type { PidView, TaskFilter } from "../../bpf/task_filter.ts";
import { moduleDwarf } from "../../lib/debuginfo/mod.ts";
import { openElf } from "../../lib/elf/mod.ts";
import { buildVars, compileAt, VARIANTS, varsLine } from "../dwarf_vars_fixture_test.ts";
import type { IrTrace } from "../../bpf/ir.ts";
import { sharedMapSpecs } from "../../bpf/sysmon_maps.ts";
import { buildTraceProgram } from "../../bpf/trace_program.ts";
import { ValueType } from "../../bpf/wire.ts";
import { e2eTest } from "./harness.ts";

const NS = { dev: 4n, ino: 4026531836n };
const FILTERS: TaskFilter[] = [{ kind: "none" }, { kind: "host-tgid", tgid: 1 }, {
  kind: "ns-tgid",
  ns: NS,
  tgid: 1,
}];
const VIEWS: PidView[] = [{ kind: "host" }, { kind: "ns", ns: NS }];

const SCRIPT = `trace x {
  print "{} {} {} {} {} {}", req->len, factor, limit, result, inner, acc;
  print "{} {:s} {} {} {}", g_counter, g_banner, g_table, g_state, g_label;
  print *req->conn;
  print *req;
  print "{:s} {:s.8} {:x.16} {:X.*}", req->tag, req->conn->peer, req->conn, 12, req->conn->name;
  let n = req->len + 3;
  print "{:s.n$} {:x.n$}", req->tag, req->conn->hist;
  print "{} {} {} {} {}", req->conn->mode, req->conn->level, req->conn->open, req->conn->grade,
    req->conn->w;
  let k = req->len % 6;
  print req->conn->hist[k];
  let c = req->conn;
  let w = c->w;
  if c->flags > -1 || c->next->fd == 101 && w.i != 0 { print c->next->next; }
  print "{} {} {}", g_null->fd, g_bad->bytes, &g_table[2];
  print "{} {}", req->conn->ratio, req->conn->temp;
}`;

e2eTest("the verifier accepts programs reading program variables", () => {
  const events = createMap(eventsMapSpec(1 << 20));
  const lost = createMap(lostMapSpec());
  const scratch = createMap(scratchMapSpec());
  const fds = { [EVENTS_MAP]: events, [LOST_MAP]: lost, [SCRATCH_MAP]: scratch };
  let loaded = 0;
  try {
    for (const variant of VARIANTS) {
      const bin = buildVars(variant.flags);
      const module = { path: bin, hostPath: bin, elf: () => openElf(bin) };
      const d = moduleDwarf(module);
      assert.ok(d.ok);
      const la = d.dwarf.lineAddresses("vars.c", varsLine("PROBE: deepest"));
      assert.ok(la.ok);
      for (const filter of FILTERS) {
        for (const pidView of VIEWS) {
          const c = compileAt(bin, la.addresses, SCRIPT, { filter, pidView });
          for (const t of c.traces) {
            for (const p of t.programs) {
              const what = `${variant.label} / ${filter.kind} / ${pidView.kind}`;
              let fd: number;
              try {
                fd = loadProgram({
                  type: ProgType.Kprobe,
                  name: t.name,
                  insns: p.assemble(fds),
                  license: "GPL",
                });
              } catch (e) {
                const detail = e instanceof VerifierError ? `\n${e.tail(30)}` : "";
                assert.fail(`${what}: ${(e as Error).message}${detail}`);
              }
              closeFd(fd);
              loaded++;
            }
          }
        }
      }
    }
  } finally {
    closeFd(events);
    closeFd(lost);
    closeFd(scratch);
  }
  assert.ok(loaded >= VARIANTS.length * FILTERS.length * VIEWS.length);
});

e2eTest("the verifier accepts a global of another module read through proc_module_offsets", () => {
  const shared = sharedMapSpecs({ offsets: 64, aliases: 64 });
  const fds: Record<string, number> = {};
  const events = createMap(eventsMapSpec(1 << 16));
  const lost = createMap(lostMapSpec());
  fds[EVENTS_MAP] = events;
  fds[LOST_MAP] = lost;
  fds[SCRATCH_MAP] = createMap(scratchMapSpec());
  for (const s of shared) fds[s.ref] = createMap(s);
  // `print *(int *)(bias + 0x1d4510)`, as a libc global would be read in -t mode
  const ir: IrTrace = {
    traceId: 0,
    name: "gs_0_offs",
    body: [{
      kind: "print",
      printId: 0,
      args: [{
        type: ValueType.I64,
        expr: {
          kind: "read",
          addr: {
            kind: "arith",
            op: "add",
            signed: false,
            left: { kind: "moduleOffsets", module: "/lib/libc.so.6", cookie: 0x1234n },
            right: { kind: "const", value: 0x1d4510n },
          },
          size: 4,
          signed: true,
        },
      }],
    }],
  };
  try {
    for (const selfNs of [undefined, NS]) {
      for (const pidView of VIEWS) {
        const program = buildTraceProgram(ir, {
          filter: { kind: "none" },
          pidView,
          offsetsSelfNs: selfNs,
        });
        let fd: number;
        try {
          fd = loadProgram({
            type: ProgType.Kprobe,
            name: ir.name,
            insns: program.assemble(fds),
            license: "GPL",
          });
        } catch (e) {
          const detail = e instanceof VerifierError ? `\n${e.tail(30)}` : "";
          assert.fail(`selfNs ${selfNs ? "private" : "initial"}: ${(e as Error).message}${detail}`);
        }
        closeFd(fd);
      }
    }
  } finally {
    for (const fd of Object.values(fds)) closeFd(fd);
  }
});
