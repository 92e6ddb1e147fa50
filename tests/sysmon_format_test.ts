/** Tracefs format parsing and the field offsets the sysmon programs are built with. */
import { assertEquals, assertThrows } from "./assert.ts";
import { fieldOffsets, parseTracepointFormat } from "../lib/sysmon/tracepoint_format.ts";
import { SysmonProbe } from "../bpf/sysmon_program.ts";
import { RuntimeFailure } from "../lib/errors.ts";

const COMMON = `
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;
`;

/** Formats as Linux 6.18 prints them. */
const FORMATS_618: Record<string, string> = {
  "sched/sched_process_exec": `name: sched_process_exec\nID: 365\nformat:${COMMON}
\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;
\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;
\tfield:pid_t old_pid;\toffset:16;\tsize:4;\tsigned:1;
`,
  "sched/sched_process_fork": `name: sched_process_fork\nformat:${COMMON}
\tfield:__data_loc char[] parent_comm;\toffset:8;\tsize:4;\tsigned:0;
\tfield:pid_t parent_pid;\toffset:12;\tsize:4;\tsigned:1;
\tfield:__data_loc char[] child_comm;\toffset:16;\tsize:4;\tsigned:0;
\tfield:pid_t child_pid;\toffset:20;\tsize:4;\tsigned:1;
`,
  "sched/sched_process_exit": `name: sched_process_exit\nformat:${COMMON}
\tfield:char comm[16];\toffset:8;\tsize:16;\tsigned:0;
\tfield:pid_t pid;\toffset:24;\tsize:4;\tsigned:1;
\tfield:int prio;\toffset:28;\tsize:4;\tsigned:1;
\tfield:bool group_dead;\toffset:32;\tsize:1;\tsigned:0;
`,
  "syscalls/sys_exit_mmap": `name: sys_exit_mmap\nformat:${COMMON}
\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;
\tfield:long ret;\toffset:16;\tsize:8;\tsigned:1;
`,
  "syscalls/sys_enter_mmap": `name: sys_enter_mmap\nformat:${COMMON}
\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;
\tfield:unsigned long addr;\toffset:16;\tsize:8;\tsigned:0;
\tfield:unsigned long len;\toffset:24;\tsize:8;\tsigned:0;
\tfield:unsigned long prot;\toffset:32;\tsize:8;\tsigned:0;
\tfield:unsigned long flags;\toffset:40;\tsize:8;\tsigned:0;
\tfield:unsigned long fd;\toffset:48;\tsize:8;\tsigned:0;
\tfield:unsigned long off;\toffset:56;\tsize:8;\tsigned:0;
`,
};

/** Formats of a 5.x kernel: char[16] comms in fork, no group_dead in exit. */
const FORMATS_5X: Record<string, string> = {
  "sched/sched_process_fork": `format:${COMMON}
\tfield:char parent_comm[16];\toffset:8;\tsize:16;\tsigned:1;
\tfield:pid_t parent_pid;\toffset:24;\tsize:4;\tsigned:1;
\tfield:char child_comm[16];\toffset:28;\tsize:16;\tsigned:1;
\tfield:pid_t child_pid;\toffset:44;\tsize:4;\tsigned:1;
`,
  "sched/sched_process_exit": `format:${COMMON}
\tfield:char comm[16];\toffset:8;\tsize:16;\tsigned:1;
\tfield:pid_t pid;\toffset:24;\tsize:4;\tsigned:1;
\tfield:int prio;\toffset:28;\tsize:4;\tsigned:1;
`,
  "sched/sched_process_exec": `format:${COMMON}
\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:1;
`,
};

const reader = (formats: Record<string, string>) => (category: string, name: string) => {
  const text = formats[`${category}/${name}`];
  if (text === undefined) throw new Deno.errors.NotFound(`${category}/${name}`);
  return text;
};

Deno.test("sysmon format: fields with names, offsets, sizes, data_loc", () => {
  const fields = parseTracepointFormat(FORMATS_618["sched/sched_process_fork"]);
  assertEquals(fields.map((f) => f.name), [
    "common_type",
    "common_flags",
    "common_preempt_count",
    "common_pid",
    "parent_comm",
    "parent_pid",
    "child_comm",
    "child_pid",
  ]);
  const child = fields.find((f) => f.name === "child_comm")!;
  assertEquals([child.offset, child.size, child.dataLoc], [16, 4, true]);
  const exit = parseTracepointFormat(FORMATS_618["sched/sched_process_exit"]);
  const comm = exit.find((f) => f.name === "comm")!;
  assertEquals([comm.offset, comm.size, comm.dataLoc, comm.declaration], [
    8,
    16,
    false,
    "char comm[16]",
  ]);
});

Deno.test("sysmon format: offsets on 6.18", () => {
  const read = reader(FORMATS_618);
  assertEquals(fieldOffsets(SysmonProbe.Exec, read), {
    probe: SysmonProbe.Exec,
    filenameDataLoc: 8,
  });
  assertEquals(fieldOffsets(SysmonProbe.Fork, read), { probe: SysmonProbe.Fork, childPid: 20 });
  assertEquals(fieldOffsets(SysmonProbe.Exit, read), { probe: SysmonProbe.Exit, groupDead: 32 });
  assertEquals(fieldOffsets(SysmonProbe.Mmap, read), { probe: SysmonProbe.Mmap, ret: 16 });
  assertEquals(fieldOffsets(SysmonProbe.MmapExec, read), {
    probe: SysmonProbe.MmapExec,
    prot: 32,
    fd: 48,
  });
});

Deno.test("sysmon format: older layouts (char[16] comms, no group_dead)", () => {
  const read = reader(FORMATS_5X);
  assertEquals(fieldOffsets(SysmonProbe.Fork, read), { probe: SysmonProbe.Fork, childPid: 44 });
  assertEquals(fieldOffsets(SysmonProbe.Exit, read), {
    probe: SysmonProbe.Exit,
    groupDead: undefined,
  });
  assertEquals(fieldOffsets(SysmonProbe.Exec, read), {
    probe: SysmonProbe.Exec,
    filenameDataLoc: 8,
  });
});

Deno.test("sysmon format: a missing required field or tracepoint is an error", () => {
  const noChild = reader({
    "sched/sched_process_fork":
      `format:${COMMON}\tfield:pid_t parent_pid;\toffset:8;\tsize:4;\tsigned:1;\n`,
  });
  assertThrows(() => fieldOffsets(SysmonProbe.Fork, noChild), RuntimeFailure, "child_pid");
  const badSize = reader({
    "syscalls/sys_exit_munmap":
      `format:${COMMON}\tfield:int ret;\toffset:16;\tsize:4;\tsigned:1;\n`,
  });
  assertThrows(() => fieldOffsets(SysmonProbe.Munmap, badSize), RuntimeFailure, "4 bytes");
  assertThrows(() => fieldOffsets(SysmonProbe.Mremap, reader({})), Deno.errors.NotFound);
});
