/**
 * Resolution of program variables through DWARF and the code generated for them, on the vars.c
 * fixture built with gcc (no process, no kernel): scopes and shadowing, globals rebased with the
 * probe's own ip, optimized-out values, C integer conversions, several probe sites, and the
 * messages for bad input (unknown variable or member with close names, `->` on a non-pointer,
 * a module without debug info, out-of-bounds constant index, `{:s}` on a number, ...).
 */

import assert from "node:assert/strict";
import { disassemble } from "../bpf/disasm.ts";
import type { IrExpr, IrStmt } from "../bpf/ir.ts";
import { ValueStatus, ValueType } from "../bpf/wire.ts";
import { moduleDwarf } from "../lib/debuginfo/mod.ts";
import { openElf } from "../lib/elf/mod.ts";
import { ScriptError } from "../lib/script/diagnostics.ts";
import { compileScript } from "../lib/script/compiler.ts";
import {
  moduleBias,
  offsetsBias,
  processVariableResolver,
} from "../lib/script/variables/process.ts";
import { type MapsEntry, MapsPathKind } from "../lib/proc/maps.ts";
import { buildVars, compileAt, varsLine } from "./dwarf_vars_fixture_test.ts";

const FDS = { events: 3, lost: 4 };

/** The address of the deepest line of process() in a build. */
function deepestPc(bin: string): number {
  const module = { path: bin, hostPath: bin, elf: () => openElf(bin) };
  const d = moduleDwarf(module);
  assert.ok(d.ok);
  const la = d.dwarf.lineAddresses("vars.c", varsLine("PROBE: deepest"));
  assert.ok(la.ok && la.addresses.length > 0);
  return la.addresses[0];
}

function compileError(bin: string, pc: number, body: string): string {
  try {
    compileAt(bin, pc, `trace x { ${body} }`);
  } catch (e) {
    assert.ok(e instanceof ScriptError, String(e));
    return e.reason;
  }
  assert.fail(`no error for ${body}`);
}

function printArgs(body: IrStmt[]): IrStmt & { kind: "print" } {
  const p = body.find((s) => s.kind === "print");
  assert.ok(p && p.kind === "print");
  return p;
}

function contains(e: unknown, kind: string): boolean {
  return JSON.stringify(e, (_, v) => typeof v === "bigint" ? v.toString() : v).includes(
    `"kind":"${kind}"`,
  );
}

const O0 = buildVars(["-g", "-O0"]);
const O2 = buildVars(["-g", "-O2"]);

Deno.test("locals, parameters and globals resolve at the probe pc (O0)", () => {
  const pc = deepestPc(O0);
  const c = compileAt(
    O0,
    pc,
    "trace x { print result; print inner; print factor; print limit; print acc; print g_counter; print g_total; }",
  );
  assert.equal(c.traces[0].programs.length, 1);
  // every value is a typed program value: int, unsigned int, long
  assert.deepEqual(c.prints.map((p) => p.argTypes[0]), [
    ValueType.I64,
    ValueType.I64,
    ValueType.I64,
    ValueType.U64,
    ValueType.I64,
    ValueType.I64,
    ValueType.I64,
  ]);
  assert.deepEqual(c.prints[3].views[0], {
    kind: "layout",
    layout: { kind: "int", size: 4, signed: false },
  });
  // frame-base relative locals read the stack through rbp (CFA - 16 at O0)
  const text = disassemble(c.traces[0].program.assemble(FDS)).join("\n");
  assert.match(text, /r0 = \*\(u64 \*\)\(r6 \+32\)\n.*r0 \+= -/);
  // globals are rebased with the probe's own ip: ip - link address of the probe
  assert.match(text, new RegExp(`r0 = \\*\\(u64 \\*\\)\\(r6 \\+128\\)\\n.*r0 -= ${pc}\\n`));
});

Deno.test("an inner block's variable hides the outer one of the same name", () => {
  const pc = deepestPc(O0);
  const inner = compileAt(O0, pc, "trace x { print result; }").traces[0].ir;
  // the outer `result` is read at the function's first line, where the inner one is not in scope
  const module = { path: O0, hostPath: O0, elf: () => openElf(O0) };
  const d = moduleDwarf(module);
  assert.ok(d.ok);
  const outerLine = d.dwarf.lineAddresses("vars.c", varsLine("int result = req->len * factor;"));
  assert.ok(outerLine.ok);
  const outer = compileAt(O0, outerLine.addresses[0], "trace x { print result; }").traces[0].ir;
  assert.notDeepEqual(printArgs(inner.body).args, printArgs(outer.body).args);
  // `inner` is not visible there
  assert.match(
    compileError(O0, outerLine.addresses[0], "print inner;"),
    /^unknown variable 'inner'/,
  );
});

Deno.test("optimized-out values carry their status (O2)", () => {
  const pc = deepestPc(O2);
  const c = compileAt(O2, pc, "trace x { print factor; print g_state; }");
  for (const s of c.traces[0].ir.body) {
    assert.ok(s.kind === "print");
    const a = s.args[0];
    assert.ok(a.kind !== "memory");
    assert.deepEqual(a.expr, { kind: "unavailable", status: ValueStatus.OptimizedOut });
  }
});

Deno.test("members, arrows, indexes, deref and address-of build reads", () => {
  const pc = deepestPc(O0);
  const c = compileAt(
    O0,
    pc,
    `trace x {
      print req->conn->hist[2];
      print req.len;
      print *req->conn;
      print req->tag;
      print "{:s}", req->conn->peer;
      print &g_table[1];
      print req->conn->level;
    }`,
  );
  const body = c.traces[0].ir.body.filter((s) => s.kind === "print");
  // a scalar member read: 4 signed bytes
  const hist = body[0].kind === "print" ? body[0].args[0] : undefined;
  assert.ok(hist && hist.kind !== "memory" && hist.expr.kind === "read");
  assert.equal(hist.expr.size, 4);
  assert.equal(hist.expr.signed, true);
  // a pointer followed is checked for NULL first
  assert.ok(contains(hist.expr, "nonNull"));
  // `.` on a pointer to a struct dereferences it
  const len = body[1].kind === "print" ? body[1].args[0] : undefined;
  assert.ok(len && len.kind !== "memory" && len.expr.kind === "read");
  // a whole struct is copied into the ring record (its DWARF size), rendered in userspace
  const whole = body[2].kind === "print" ? body[2].args[0] : undefined;
  assert.ok(whole && whole.kind === "memory");
  assert.equal(whole.type, ValueType.Bytes);
  assert.equal(whole.string, false);
  assert.equal(c.prints[2].views[0]?.kind, "layout");
  // char[24] as text, char * with {:s} through bpf_probe_read_user_str
  const tag = body[3].kind === "print" ? body[3].args[0] : undefined;
  assert.ok(tag && tag.kind === "memory" && tag.type === ValueType.Str && tag.capacity === 24);
  const peer = body[4].kind === "print" ? body[4].args[0] : undefined;
  assert.ok(peer && peer.kind === "memory" && peer.string);
  // &g_table[1] is an address: module bias + link address + 4
  const addr = body[5].kind === "print" ? body[5].args[0] : undefined;
  assert.ok(addr && addr.kind !== "memory" && addr.type === ValueType.Ptr);
  assert.ok(contains(addr.expr, "moduleBias"));
  // a signed bit-field: read, shifted left then arithmetically right
  const level = body[6].kind === "print" ? body[6].args[0] : undefined;
  assert.ok(level && level.kind !== "memory" && level.expr.kind === "arith");
  assert.equal(level.expr.op, "shr");
  assert.equal(level.expr.signed, true);
  const text = disassemble(c.traces[0].program.assemble(FDS)).join("\n");
  assert.match(text, /call 114 \(ProbeReadUserStr\)/);
  // the struct is read straight into the reserved ring record (r7), not onto the stack
  assert.match(text, /r1 = r7\n.*r1 \+= \d+\n.*r2 = \d+\n.*call 112/);
});

Deno.test("comparisons follow C's usual arithmetic conversions", () => {
  const pc = deepestPc(O0);
  const cond = (expr: string): IrExpr => {
    const c = compileAt(O0, pc, `trace x { if ${expr} { print "y"; } }`);
    const s = c.traces[0].ir.body[0];
    assert.ok(s.kind === "if");
    return s.cond;
  };
  // unsigned int vs int: -1 becomes 0xffffffff, compared unsigned
  const u = cond("req->conn->flags > -1");
  assert.ok(u.kind === "compare");
  assert.equal(u.signed, false);
  assert.deepEqual(u.right, { kind: "const", value: 0xffff_ffffn });
  // unsigned int vs a literal that only fits a long: compared as signed long
  const l = cond("g_big > 3000000000");
  assert.ok(l.kind === "compare");
  assert.equal(l.signed, true);
  // short promotes to int: signed
  const s = cond("req->conn->in.a < 0");
  assert.ok(s.kind === "compare" && s.signed);
  // unsigned char promotes to int too: signed compare against -1
  const b = cond("req->conn->in.b > -1");
  assert.ok(b.kind === "compare" && b.signed);
  // long vs unsigned int: long
  const m = cond("req->conn->bytes < req->conn->flags");
  assert.ok(m.kind === "compare" && m.signed);
  // int arithmetic wraps at 32 bits like C
  const c = compileAt(O0, pc, "trace x { print req->len * 2147483647; }");
  const arg = printArgs(c.traces[0].ir.body).args[0];
  assert.ok(arg.kind !== "memory" && arg.expr.kind === "extend" && arg.expr.bits === 32);
});

Deno.test("a block with several probe sites gets one program per site", () => {
  const pc = deepestPc(O0);
  const c = compileAt(O0, [pc, pc], "trace x { print g_counter; }");
  assert.equal(c.traces[0].programs.length, 2);
  const plain = compileAt(O0, [pc, pc], 'trace x { print "{}", $pid; }');
  assert.equal(plain.traces[0].programs.length, 1);
});

Deno.test("bad input: unknown names and members come with close names", () => {
  const pc = deepestPc(O0);
  assert.equal(
    compileError(O0, pc, "print reqq;"),
    "unknown variable 'reqq' (did you mean 'req'?)",
  );
  assert.match(compileError(O0, pc, "print g_countr;"), /did you mean 'g_counter'/);
  assert.match(compileError(O0, pc, "print inenr;"), /did you mean 'inner'/);
  // script variables are candidates too
  assert.match(compileError(O0, pc, "let total = 1; print totl;"), /did you mean 'total'/);
  assert.equal(
    compileError(O0, pc, "print req->lenn;"),
    "request_t has no member named 'lenn' (did you mean 'len'?)",
  );
  assert.match(
    compileError(O0, pc, "print req->conn->nmae;"),
    /^struct conn has no member named 'nmae' \(did you mean 'name'\?\)/,
  );
  assert.match(compileError(O0, pc, "print req->zzz;"), /\(members: len, tag, conn, port, total\)/);
});

Deno.test("bad input: operators on the wrong kind of value", () => {
  const pc = deepestPc(O0);
  assert.equal(
    compileError(O0, pc, "print req->conn->in->a;"),
    "'->' needs a pointer, but 'req->conn->in' is struct inner (use 'req->conn->in.a')",
  );
  assert.match(compileError(O0, pc, "print factor.x;"), /'factor' is int, not a struct or union/);
  assert.match(compileError(O0, pc, "print *factor;"), /cannot dereference 'factor': it is int/);
  assert.match(
    compileError(O0, pc, "print g_table[5];"),
    /index 5 is out of bounds: 'g_table' is int \[5\] \(5 elements, 0\.\.4\)/,
  );
  assert.match(compileError(O0, pc, "print factor[1];"), /only arrays and pointers can be indexed/);
  assert.match(compileError(O0, pc, 'print "{:s}", factor;'), /'\{:s\}' needs a string/);
  assert.match(compileError(O0, pc, "print *req + 1;"), /is request_t, not a number/);
  assert.match(compileError(O0, pc, "let n = 1; print n.x;"), /'.' applies to program variables/);
  assert.match(
    compileError(O0, pc, 'print "{:x.*}", req->tag;'),
    /expects 2 arguments .* but 1 argument was given/,
  );
  // at O2 `inner` lives in a register: it has no address
  const pc2 = deepestPc(O2);
  assert.match(compileError(O2, pc2, "print &inner;"), /cannot take the address of 'inner'/);
});

Deno.test("bad input: a module without debug info says what is missing and how to get it", () => {
  const bare = buildVars(["-O0"]);
  const msg = compileError(bare, 0x1139, "print req;");
  assert.match(msg, /^cannot look up 'req': no DWARF debug info for /);
  assert.match(msg, /rebuild it with -g/);
  assert.match(msg, /install its -dbgsym\/-dbg package/);
  // a script without program variables does not need debug info
  compileAt(bare, 0x1139, 'trace x { print "{}", $pid; }');
});

Deno.test("-p: module biases come from the maps; other modules' globals are rebased with them", () => {
  const pc = deepestPc(O0);
  const exe = { path: O0, hostPath: O0, main: true, elf: () => openElf(O0) };
  const entry = (path: string, start: bigint, offset: bigint): MapsEntry => ({
    start,
    end: start + 0x1000n,
    permsText: "r-xp",
    perms: { read: true, write: false, exec: true, shared: false },
    offset,
    devMajor: 0,
    devMinor: 0,
    inode: 1n,
    path,
    pathKind: MapsPathKind.File,
    deleted: false,
  });
  // a PIE's first segment (link address 0) at 0x5555_5555_4000, its text one page further
  const maps = [entry(O0, 0x5555_5555_5000n, 0x1000n), entry(O0, 0x5555_5555_4000n, 0n)];
  assert.equal(moduleBias(exe, maps), 0x5555_5555_4000n);
  assert.equal(moduleBias(exe, []), undefined);

  const libcPath = "/lib/x86_64-linux-gnu/libc.so.6";
  const libc = { path: libcPath, hostPath: libcPath, elf: () => openElf(libcPath) };
  if (!moduleDwarf(libc).ok) {
    console.error("SKIP libc globals: no libc debug info (install libc6-dbg)");
    return;
  }
  const compile = (libcMaps: MapsEntry[], unmapped?: boolean) =>
    compileScript("trace x { print __progname; }", {
      filter: { kind: "none" },
      pidView: { kind: "host" },
      resolveVariable: processVariableResolver({
        modules: [exe, libc],
        maps: [...maps, ...libcMaps],
        locate: () => [{ modulePath: O0, linkAddress: pc }],
        unmappedBias: unmapped ? (m) => offsetsBias(m.path, 0x42n) : undefined,
      }),
    });
  const mapped = printArgs(compile([entry(libcPath, 0x7f00_0000_0000n, 0n)]).traces[0].ir.body)
    .args[0];
  // a C string read at a constant address: libc's bias + the link address of __progname
  assert.ok(mapped.kind === "memory" && mapped.string);
  assert.ok(!contains(mapped.addr, "moduleBias") && !contains(mapped.addr, "unavailable"));
  const unmapped = printArgs(compile([]).traces[0].ir.body).args[0];
  // not mapped (yet): the value is known unavailable, no read is attempted
  assert.ok(unmapped.kind !== "memory");
  assert.deepEqual(unmapped.expr, {
    kind: "unavailable",
    status: ValueStatus.OffsetsUnavailable,
  });
  const viaMap = printArgs(compile([], true).traces[0].ir.body).args[0];
  assert.ok(viaMap.kind === "memory" && contains(viaMap.addr, "moduleOffsets"));
});
