/**
 * Parser of tracefs `events/<category>/<name>/format` files, and the field offsets the sysmon
 * programs need. Formats differ between kernels (6.x turned `sched_process_fork`'s comms into
 * `__data_loc` strings and added `group_dead` to `sched_process_exit`), so offsets are always
 * read at run time, never hard-coded.
 * @module
 */

import { tracefsRoot } from "../../ffi/perf.ts";
import {
  MAP_CHANGE_PROBES,
  SYSMON_TRACEPOINTS,
  type SysmonFieldOffsets,
  SysmonProbe,
} from "../../bpf/sysmon_program.ts";
import { RuntimeFailure } from "../errors.ts";

/** One `field:` line. */
export interface TracepointField {
  /** Field name (`child_pid`, `filename`). */
  name: string;
  /** The C declaration as printed (`__data_loc char[] filename`). */
  declaration: string;
  offset: number;
  size: number;
  signed: boolean;
  /** `__data_loc`: a u32 whose low 16 bits locate the data in the record. */
  dataLoc: boolean;
}

const FIELD_RE = /^\s*field:(.+?);\s*offset:(\d+);\s*size:(\d+);\s*signed:(\d+);/;

/** Parses the text of a format file into its fields (common_* included). */
export function parseTracepointFormat(text: string): TracepointField[] {
  const fields: TracepointField[] = [];
  for (const line of text.split("\n")) {
    const m = FIELD_RE.exec(line);
    if (!m) continue;
    const declaration = m[1].trim();
    const name = declaration.replace(/\[[^\]]*\]\s*$/, "").trim().split(/[\s*]+/).pop() ?? "";
    fields.push({
      name,
      declaration,
      offset: Number(m[2]),
      size: Number(m[3]),
      signed: m[4] === "1",
      dataLoc: declaration.startsWith("__data_loc"),
    });
  }
  return fields;
}

/** Reads a format file from tracefs. */
export type FormatReader = (category: string, name: string) => string;

/** The live tracefs. */
export const readTracefsFormat: FormatReader = (category, name) => {
  const root = tracefsRoot();
  if (root === null) {
    throw new RuntimeFailure(
      "tracefs is not mounted (needed for sysmon): run `mount -t tracefs nodev /sys/kernel/tracing` " +
        "(in a container: -v /sys/kernel/tracing:/sys/kernel/tracing)",
    );
  }
  return Deno.readTextFileSync(`${root}/events/${category}/${name}/format`);
};

function field(
  fields: TracepointField[],
  name: string,
  where: string,
  size?: number,
): TracepointField {
  const f = fields.find((x) => x.name === name);
  if (f === undefined) throw new RuntimeFailure(`tracepoint ${where} has no field '${name}'`);
  if (size !== undefined && f.size !== size) {
    throw new RuntimeFailure(
      `tracepoint ${where}: field '${name}' is ${f.size} bytes, expected ${size}`,
    );
  }
  return f;
}

/** Size of `pid_t`. */
const PID_T_SIZE = 4;
/** Size of `long` (x86_64). */
const LONG_SIZE = 8;
/** Size of a `__data_loc` descriptor. */
const DATA_LOC_SIZE = 4;
/** Size of `bool`. */
const BOOL_SIZE = 1;

/**
 * The offsets of `probe`'s fields, from its format file. Optional fields (exec filename, exit
 * group_dead) are left undefined when the kernel does not have them.
 * @throws {RuntimeFailure} when a required field is missing or has an unexpected size
 * @throws Deno.errors.NotFound when the tracepoint does not exist
 */
export function fieldOffsets(
  probe: SysmonProbe,
  read: FormatReader = readTracefsFormat,
): SysmonFieldOffsets {
  const tp = SYSMON_TRACEPOINTS[probe];
  const where = `${tp.category}:${tp.name}`;
  const fields = parseTracepointFormat(read(tp.category, tp.name));
  switch (probe) {
    case SysmonProbe.Exec: {
      const f = fields.find((x) => x.name === "filename" && x.dataLoc && x.size === DATA_LOC_SIZE);
      return { probe, filenameDataLoc: f?.offset };
    }
    case SysmonProbe.Fork:
      return { probe, childPid: field(fields, "child_pid", where, PID_T_SIZE).offset };
    case SysmonProbe.Exit: {
      const f = fields.find((x) => x.name === "group_dead" && x.size === BOOL_SIZE);
      return { probe, groupDead: f?.offset };
    }
    case SysmonProbe.MmapExec:
      return {
        probe,
        prot: field(fields, "prot", where, LONG_SIZE).offset,
        fd: field(fields, "fd", where, LONG_SIZE).offset,
      };
    default:
      if (!MAP_CHANGE_PROBES.has(probe)) throw new RangeError(`unknown sysmon probe ${probe}`);
      return {
        probe: probe as SysmonProbe.Mmap,
        ret: field(fields, "ret", where, LONG_SIZE).offset,
      };
  }
}
