/**
 * Parser for `/proc/<pid>/stat` (see proc(5)). The comm field is wrapped in parentheses and may
 * itself contain spaces and parentheses, so the parser splits at the LAST `)` of the line.
 *
 * @module
 */

import { ProcFormatError } from "./errors.ts";
import { DEFAULT_PROC_ROOT, parseDecimal, procPath, type ProcPid } from "./path.ts";

/** 1-based field numbers from proc(5) for the fields we keep. */
enum StatField {
  State = 3,
  PPid = 4,
  Pgrp = 5,
  Session = 6,
  Flags = 9,
  NumThreads = 20,
  StartTime = 22,
}

/** The first field after `(comm)` is field 3; index in the tail = field number - this. */
const FIRST_TAIL_FIELD = StatField.State;

/** `PF_KTHREAD` in include/linux/sched.h: the task is a kernel thread. */
export const PF_KTHREAD = 0x00200000;

/** Parsed subset of `/proc/<pid>/stat`. */
export interface ProcStat {
  /** Field 1: task id in this procfs' PID namespace. */
  pid: number;
  /** Field 2 without the surrounding parentheses. */
  comm: string;
  /** Field 3: one-letter state. */
  state: string;
  /** Field 4. */
  ppid: number;
  /** Field 5. */
  pgrp: number;
  /** Field 6. */
  session: number;
  /** Field 9: kernel PF_* flags. */
  flags: number;
  /** Field 20. */
  numThreads: number;
  /** Field 22: start time in clock ticks after boot; with the PID it identifies a process. */
  startTime: bigint;
}

/**
 * Parses one stat line.
 *
 * @throws ProcFormatError if the line is truncated or a numeric field is not a number
 */
export function parseStat(text: string, path = "stat"): ProcStat {
  const line = text.trim();
  const open = line.indexOf("(");
  const close = line.lastIndexOf(")");
  if (open <= 0 || close < open) throw new ProcFormatError(path, "no '(comm)' field");
  const pid = parseDecimal(line.slice(0, open).trim());
  if (pid === undefined) throw new ProcFormatError(path, "invalid pid field");
  const tail = line.slice(close + 1).trim().split(/\s+/);
  const field = (n: StatField): string => {
    const value = tail[n - FIRST_TAIL_FIELD];
    if (value === undefined) throw new ProcFormatError(path, `missing field ${n}`);
    return value;
  };
  const num = (n: StatField): number => {
    const value = parseDecimal(field(n));
    if (value === undefined) throw new ProcFormatError(path, `field ${n} is not a number`);
    return value;
  };
  const startRaw = field(StatField.StartTime);
  if (!/^[0-9]+$/.test(startRaw)) throw new ProcFormatError(path, "invalid starttime");
  return {
    pid,
    comm: line.slice(open + 1, close),
    state: field(StatField.State),
    ppid: num(StatField.PPid),
    pgrp: num(StatField.Pgrp),
    session: num(StatField.Session),
    flags: num(StatField.Flags),
    numThreads: num(StatField.NumThreads),
    startTime: BigInt(startRaw),
  };
}

/** Reads and parses `<procRoot>/<pid>/stat`. */
export function readStat(pid: ProcPid, procRoot: string = DEFAULT_PROC_ROOT): ProcStat {
  const path = procPath(procRoot, pid, "stat");
  return parseStat(Deno.readTextFileSync(path), path);
}
