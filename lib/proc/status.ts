/**
 * Parser for `/proc/<pid>/status` (see proc(5)). Only the fields ghostscope needs are kept.
 *
 * The `NS*` lines list the id of the task in every PID namespace from the namespace of the
 * **procfs instance being read** down to the task's own namespace (fs/proc/array.c). They exist
 * since Linux 4.1 and only with CONFIG_PID_NS; when absent the fields are `undefined`.
 *
 * @module
 */

import { ProcFormatError } from "./errors.ts";
import {
  DEFAULT_PROC_ROOT,
  parseDecimal,
  parseDecimalList,
  procPath,
  type ProcPid,
} from "./path.ts";

/** Parsed subset of `/proc/<pid>/status`. */
export interface ProcStatus {
  /** `Name:` the task's comm (up to 15 bytes, escaped by the kernel). */
  name: string;
  /** First letter of `State:` (R, S, D, T, t, Z, X, I, ...); undefined if the line is absent. */
  state: string | undefined;
  /** `Tgid:` the thread-group id (process id) in this procfs' PID namespace. */
  tgid: number;
  /** `Pid:` the task (thread) id in this procfs' PID namespace. */
  pid: number;
  /** `PPid:` parent process id in this procfs' PID namespace (0 when the parent is invisible). */
  ppid: number;
  /** `NStgid:` TGID from this procfs' namespace down to the task's own namespace. */
  nsTgid: number[] | undefined;
  /** `NSpid:` TID from this procfs' namespace down to the task's own namespace. */
  nsPid: number[] | undefined;
  /** `NSpgid:` process-group id chain. */
  nsPgid: number[] | undefined;
  /** `NSsid:` session id chain. */
  nsSid: number[] | undefined;
  /** `Threads:` number of live threads in the process; undefined if the line is absent. */
  threads: number | undefined;
  /** `CapEff:` effective capability mask (printed by the kernel as hex digits). */
  capEff: bigint | undefined;
  /** `Kthread:` (Linux 6.4+) true for kernel threads; undefined when the kernel does not say. */
  kernelThread: boolean | undefined;
}

/** Splits status text into `key -> value` (value without the tab after the colon). */
function statusFields(text: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon <= 0) continue;
    const key = line.slice(0, colon);
    // Values are separated from the key by a tab; the Name value may itself contain spaces.
    fields.set(key, line.slice(colon + 1).replace(/^[\t ]+/, ""));
  }
  return fields;
}

/**
 * Parses the text of a status file.
 *
 * @param text file content
 * @param path used in error messages only
 * @throws ProcFormatError when Tgid, Pid or PPid is missing or not a number
 */
export function parseStatus(text: string, path = "status"): ProcStatus {
  const fields = statusFields(text);
  const required = (key: string): number => {
    const raw = fields.get(key);
    const value = raw === undefined ? undefined : parseDecimal(raw.trim());
    if (value === undefined) throw new ProcFormatError(path, `missing or invalid '${key}:' line`);
    return value;
  };
  const chain = (key: string): number[] | undefined => {
    const raw = fields.get(key);
    if (raw === undefined) return undefined;
    const values = parseDecimalList(raw);
    if (values === undefined || values.length === 0) {
      throw new ProcFormatError(path, `invalid '${key}:' line '${raw}'`);
    }
    return values;
  };
  const capRaw = fields.get("CapEff")?.trim();
  const kthreadRaw = fields.get("Kthread")?.trim();
  const stateRaw = fields.get("State")?.trim();
  return {
    name: fields.get("Name") ?? "",
    state: stateRaw ? stateRaw.charAt(0) : undefined,
    tgid: required("Tgid"),
    pid: required("Pid"),
    ppid: required("PPid"),
    nsTgid: chain("NStgid"),
    nsPid: chain("NSpid"),
    nsPgid: chain("NSpgid"),
    nsSid: chain("NSsid"),
    threads: parseDecimal(fields.get("Threads")?.trim() ?? ""),
    capEff: capRaw && /^[0-9a-fA-F]+$/.test(capRaw) ? BigInt(`0x${capRaw}`) : undefined,
    kernelThread: kthreadRaw === undefined ? undefined : kthreadRaw === "1",
  };
}

/**
 * Reads and parses `<procRoot>/<pid>/status`.
 *
 * @throws Deno.errors.NotFound when the process does not exist (or exited meanwhile)
 * @throws ProcFormatError when the content is malformed
 */
export function readStatus(pid: ProcPid, procRoot: string = DEFAULT_PROC_ROOT): ProcStatus {
  const path = procPath(procRoot, pid, "status");
  return parseStatus(Deno.readTextFileSync(path), path);
}
