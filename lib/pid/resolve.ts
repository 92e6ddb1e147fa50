/**
 * `-p <PID>` → {@link PidViews}: every view of the target process that ghostscope can establish
 * from FACTS in its own /proc (status chains and PID-namespace inodes), and nothing it would have
 * to guess.
 *
 * Kernel facts this module rests on:
 * - `NStgid`/`NSpid` in /proc/<pid>/status start at the PID namespace of the procfs being read,
 *   not at the host (fs/proc/array.c). The first entry is therefore always the /proc PID; it is the
 *   host PID only when that procfs belongs to the initial PID namespace.
 * - A task's active PID namespace is `/proc/<pid>/ns/pid`; the initial one has the fixed inode
 *   4026531836 (0xEFFFFFFC).
 * - /proc/<tid> exists for every thread (hidden from readdir), so a thread id passes the
 *   existence check; the process is its `Tgid`.
 *
 * @module
 */

import { isFile } from "../fs_checks.ts";
import { RuntimeFailure, UsageError } from "../errors.ts";
import { readCgroup } from "../proc/cgroup.ts";
import {
  INITIAL_PID_NS_INO,
  isInitialPidNs,
  type NsFileAccess,
  type PidNsId,
  readPidNs,
  realNsFileAccess,
  samePidNs,
} from "../proc/ns.ts";
import { DEFAULT_PROC_ROOT, procPath } from "../proc/path.ts";
import { PF_KTHREAD, readStat } from "../proc/stat.ts";
import { type ProcStatus, readStatus } from "../proc/status.ts";
import { CONTAINER_ROOT_MARKERS, findCgroupMarker } from "./markers.ts";

/** PID_MAX_LIMIT (include/linux/threads.h): PIDs are always below 2^22 = 4194304. */
export const PID_MAX_LIMIT = 1 << 22;

/** Where the namespace chain of the target came from. */
export enum ChainSource {
  /** `NStgid:` (Linux 4.1+): TGIDs, right even when the input was a thread id. */
  NStgid = "NStgid",
  /** `NSpid:` of the process' main thread (same values as its NStgid). */
  NSpid = "NSpid",
  /** No NS* lines (old kernel or no CONFIG_PID_NS): only `Tgid:` is known. */
  TgidOnly = "Tgid",
}

/** How the target's PID namespace relates to ghostscope's own. */
export enum NsRelation {
  /** Same PID namespace: the /proc PID is also the target's own PID. */
  Same = "same",
  /** The target lives in a namespace nested below ours (its chain has more than one entry). */
  Descendant = "descendant",
  /** The facts disagree or are missing (no NS* lines and a different namespace, or /proc mismatch). */
  Unknown = "unknown",
}

/** Whether the mounted /proc is the view of ghostscope's own PID namespace. */
export interface ProcViewCheck {
  /** getpid() of ghostscope: a PID in its own active namespace. */
  selfPid: number;
  /** What `<procRoot>/self` points to; undefined when that link is missing. */
  selfPidInProc: number | undefined;
  /**
   * True when the two agree. When false, /proc was mounted from another PID namespace (for example
   * `unshare --pid --fork` without `--mount-proc`), so /proc PIDs are not what perf_event_open or
   * the user's shell mean by a PID.
   */
  matches: boolean;
}

/** Every view of the target that can be established from facts. */
export interface PidViews {
  /** The PID the user passed to -p. */
  inputPid: number;
  /** The process (TGID) in this /proc view: key for /proc/<pid>/maps and the perf pid argument. */
  procPid: number;
  /** When the input was a thread id: the TGID of its process (equals procPid). */
  threadOf: number | undefined;
  /** Sentences the CLI prints before tracing (for example the thread → process notice). */
  notices: string[];
  /** `Name:` of the process. */
  comm: string;
  /** TGID of the target in every namespace from our /proc's down to its own (first = procPid). */
  nsTgidChain: number[];
  chainSource: ChainSource;
  /** The target's TGID in its own (innermost) PID namespace; undefined when not establishable. */
  containerPid: number | undefined;
  /**
   * The target's TGID in the initial PID namespace. ONLY known when ghostscope itself runs in the
   * initial PID namespace with a matching /proc (then it equals procPid); undefined otherwise,
   * never guessed.
   */
  hostPid: number | undefined;
  /** The target's PID namespace (dev in MKDEV encoding, when stat() worked). */
  targetNs: PidNsId;
  /** ghostscope's own PID namespace. */
  selfNs: PidNsId;
  selfInInitialPidNs: boolean;
  targetInInitialPidNs: boolean;
  relation: NsRelation;
  /** Why the relation is {@link NsRelation.Unknown}, when it is. */
  relationNote: string | undefined;
  procView: ProcViewCheck;
  /** Container markers in the TARGET's cgroup file (evidence for scenario labels only). */
  targetContainerEvidence: string[];
}

/** Options of {@link resolvePidViews}. */
export interface ResolveOptions {
  /** Where procfs is mounted (default "/proc"). */
  procRoot?: string;
  /** nsfs access (tests inject fakes; nsfs cannot be faked on disk). */
  nsAccess?: NsFileAccess;
  /** ghostscope's getpid() (default `Deno.pid`). */
  selfPid?: number;
}

/**
 * Validates a -p argument.
 *
 * @throws UsageError unless it is a whole number in 1 .. 2^22-1
 */
export function parsePidArgument(input: string | number): number {
  const text = String(input).trim();
  const value = /^[0-9]+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(value) || value <= 0 || value >= PID_MAX_LIMIT) {
    throw new UsageError(`-p expects a positive process id, got '${String(input)}'`);
  }
  return value;
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown })?.code;
  return typeof code === "string" ? code : undefined;
}

/** True for the errors a vanished (or never existing) process produces. */
function isGoneError(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound || errorCode(error) === "ESRCH" ||
    errorCode(error) === "ENOENT";
}

/** The one-line UsageError for a PID that /proc does not show. */
export function notVisibleMessage(pid: number, selfNs: PidNsId): string {
  if (isInitialPidNs(selfNs)) {
    return `no process with PID ${pid} is visible here: it is not running ` +
      `(ghostscope runs in the initial PID namespace, ino ${INITIAL_PID_NS_INO}, ` +
      `where every process is visible; -p expects a PID as ps shows it in this shell)`;
  }
  return `no process with PID ${pid} is visible here: most likely it lives outside this PID ` +
    `namespace, or it is not running (ghostscope runs in PID namespace ino ${selfNs.ino}, ` +
    `not the host's; -p expects a PID as ps shows it in this shell)`;
}

function readSelfNs(procRoot: string, access: NsFileAccess): PidNsId {
  try {
    return readPidNs("self", { procRoot, access });
  } catch (error) {
    throw new RuntimeFailure(
      `cannot read ${procPath(procRoot, "self", "ns", "pid")}: ${(error as Error).message}`,
    );
  }
}

function checkProcView(procRoot: string, selfPid: number): ProcViewCheck {
  let selfPidInProc: number | undefined;
  try {
    const link = Deno.readLinkSync(procPath(procRoot, "self"));
    selfPidInProc = /^[0-9]+$/.test(link) ? Number(link) : undefined;
  } catch {
    selfPidInProc = undefined;
  }
  return { selfPid, selfPidInProc, matches: selfPidInProc === selfPid };
}

/** Reads a status file, turning "gone" into the not-visible UsageError. */
function statusOrExplain(pid: number, procRoot: string, selfNs: PidNsId): ProcStatus {
  try {
    return readStatus(pid, procRoot);
  } catch (error) {
    if (isGoneError(error)) throw new UsageError(notVisibleMessage(pid, selfNs));
    throw new RuntimeFailure(
      `cannot read ${procPath(procRoot, pid, "status")}: ${(error as Error).message}`,
    );
  }
}

function isKernelThread(status: ProcStatus, pid: number, procRoot: string): boolean {
  if (status.kernelThread !== undefined) return status.kernelThread;
  try {
    return (readStat(pid, procRoot).flags & PF_KTHREAD) !== 0;
  } catch {
    return false;
  }
}

/** Picks the TGID chain: NStgid, else NSpid of the main thread, else just Tgid. */
function tgidChain(status: ProcStatus): { chain: number[]; source: ChainSource } {
  if (status.nsTgid) return { chain: status.nsTgid, source: ChainSource.NStgid };
  // status is the main thread's (we re-read /proc/<tgid>), so its NSpid equals its NStgid.
  if (status.nsPid) return { chain: status.nsPid, source: ChainSource.NSpid };
  return { chain: [status.tgid], source: ChainSource.TgidOnly };
}

/** Derives relation and container PID from the chain and the namespace ids. */
function relate(
  chain: number[],
  source: ChainSource,
  targetNs: PidNsId,
  selfNs: PidNsId,
  procView: ProcViewCheck,
): { relation: NsRelation; containerPid: number | undefined; note: string | undefined } {
  const sameNs = samePidNs(targetNs, selfNs);
  if (!procView.matches) {
    return {
      relation: sameNs ? NsRelation.Same : NsRelation.Unknown,
      containerPid: undefined,
      note: "the mounted /proc belongs to another PID namespace than ghostscope",
    };
  }
  if (source === ChainSource.TgidOnly) {
    if (sameNs) return { relation: NsRelation.Same, containerPid: chain[0], note: undefined };
    return {
      relation: NsRelation.Unknown,
      containerPid: undefined,
      note: "the kernel shows no NStgid/NSpid lines, so the target's own PID is unknown",
    };
  }
  const descendant = chain.length > 1;
  if (descendant === sameNs) {
    return {
      relation: NsRelation.Unknown,
      containerPid: undefined,
      note: `the ${source} chain (${chain.join(" ")}) disagrees with the namespace inodes ` +
        `(target ${targetNs.ino}, self ${selfNs.ino})`,
    };
  }
  return {
    relation: descendant ? NsRelation.Descendant : NsRelation.Same,
    containerPid: chain[chain.length - 1],
    note: undefined,
  };
}

/** Whether both paths stat to the same directory (dev and inode); undefined if either fails. */
function sameDirectory(a: string, b: string): boolean | undefined {
  try {
    const sa = Deno.statSync(a);
    const sb = Deno.statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return undefined;
  }
}

/**
 * Container evidence about the TARGET: runtime names in its cgroup paths, and the container
 * markers in its root directory (`/proc/<pid>/root`) when that root is not ghostscope's own (a
 * marker in our own root is evidence about ghostscope, which detectEnvironment reports). Labels
 * only; no decision rests on it.
 */
function targetEvidence(pid: number, procRoot: string): string[] {
  const evidence: string[] = [];
  try {
    const hit = findCgroupMarker(readCgroup(pid, procRoot));
    if (hit) evidence.push(`target cgroup path '${hit.path}' contains '${hit.marker}'`);
  } catch {
    // no cgroup file: no evidence
  }
  const root = procPath(procRoot, pid, "root");
  if (sameDirectory(root, procPath(procRoot, "self", "root")) === false) {
    for (const marker of CONTAINER_ROOT_MARKERS) {
      if (isFile(`${root}${marker}`)) {
        evidence.push(`target root (not ghostscope's) has ${marker}`);
      }
    }
  }
  return evidence;
}

/**
 * Resolves the views of `-p <inputPid>`.
 *
 * @throws UsageError for a malformed PID, a PID not visible in this /proc, a kernel thread or a
 *   zombie
 * @throws RuntimeFailure when /proc cannot be read for other reasons (permissions, format)
 */
export function resolvePidViews(
  inputPid: string | number,
  options: ResolveOptions = {},
): PidViews {
  const pid = parsePidArgument(inputPid);
  const procRoot = options.procRoot ?? DEFAULT_PROC_ROOT;
  const access = options.nsAccess ?? realNsFileAccess;
  const selfNs = readSelfNs(procRoot, access);
  const procView = checkProcView(procRoot, options.selfPid ?? Deno.pid);

  const first = statusOrExplain(pid, procRoot, selfNs);
  const notices: string[] = [];
  let threadOf: number | undefined;
  let status = first;
  if (first.tgid !== first.pid) {
    threadOf = first.tgid;
    status = statusOrExplain(first.tgid, procRoot, selfNs);
    notices.push(
      `PID ${pid} is a thread of process ${first.tgid} (${status.name}); ` +
        `tracing process ${first.tgid} (all its threads)`,
    );
  }
  const procPid = status.tgid;
  if (isKernelThread(status, procPid, procRoot)) {
    throw new UsageError(
      `PID ${pid} is a kernel thread (${status.name}); -p expects a user-space process`,
    );
  }
  // A zombie group leader can still have live threads that run user code; only a process with
  // nothing left running is refused.
  const exited = status.state === "X" || (status.state === "Z" && (status.threads ?? 0) <= 1);
  if (exited) {
    throw new UsageError(`process ${procPid} (${status.name}) has exited; nothing to trace`);
  }

  let targetNs: PidNsId;
  try {
    targetNs = readPidNs(procPid, { procRoot, access });
  } catch (error) {
    if (isGoneError(error)) throw new UsageError(notVisibleMessage(pid, selfNs));
    // Root without CAP_SYS_PTRACE (a container's default) may not look into a more privileged
    // process's namespaces.
    const hint = error instanceof Deno.errors.PermissionDenied
      ? " (a process more privileged than ghostscope: CAP_SYS_PTRACE is needed; in a container, " +
        "--cap-add SYS_PTRACE)"
      : "";
    throw new RuntimeFailure(
      `cannot read ${procPath(procRoot, procPid, "ns", "pid")}: ${(error as Error).message}${hint}`,
    );
  }

  const { chain, source } = tgidChain(status);
  const { relation, containerPid, note } = relate(chain, source, targetNs, selfNs, procView);
  const selfInInitialPidNs = isInitialPidNs(selfNs);
  return {
    inputPid: pid,
    procPid,
    threadOf,
    notices,
    comm: status.name,
    nsTgidChain: chain,
    chainSource: source,
    containerPid,
    // Only an initial-namespace /proc speaks host PIDs; anything else would be a guess.
    hostPid: selfInInitialPidNs && procView.matches ? procPid : undefined,
    targetNs,
    selfNs,
    selfInInitialPidNs,
    targetInInitialPidNs: isInitialPidNs(targetNs),
    relation,
    relationNote: note,
    procView,
    targetContainerEvidence: targetEvidence(procPid, procRoot),
  };
}
