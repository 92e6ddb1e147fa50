/**
 * Loads the sysmon programs and attaches each to its tracepoint. Every fd is registered with the
 * session's {@link Resources}. The lifecycle tracepoints (exec, fork, exit) are required; a
 * missing syscall tracepoint (kernels built without them) only narrows what is refreshed, and is
 * reported.
 * @module
 */

import { closeFd, loadProgram, ProgType } from "../../ffi/bpf.ts";
import { VerifierError } from "../../ffi/errors.ts";
import { attachBpf, openTracepoint } from "../../ffi/perf.ts";
import {
  buildSysmonProgram,
  MAP_CHANGE_PROBES,
  SYSMON_TRACEPOINTS,
  SysmonProbe,
  sysmonProgramName,
  type SysmonProgramOptions,
} from "../../bpf/sysmon_program.ts";
import { RuntimeFailure } from "../errors.ts";
import type { Resources } from "../session/resources.ts";
import type { SysmonMapStore } from "./map_store.ts";
import { fieldOffsets, type FormatReader, readTracefsFormat } from "./tracepoint_format.ts";

/** Probes a session can do without (kernels without syscall tracepoints). */
const OPTIONAL_PROBES: ReadonlySet<SysmonProbe> = new Set([
  ...MAP_CHANGE_PROBES.keys(),
  SysmonProbe.MmapExec,
]);

/** Lines of the verifier log quoted when a program is rejected. */
const VERIFIER_TAIL_LINES = 12;

/** What got attached. */
export interface SysmonAttachment {
  attached: SysmonProbe[];
  /** Map-change probes that could not be attached, with the reason. */
  skipped: Array<{ probe: SysmonProbe; reason: string }>;
}

/** Loads and attaches the programs for `probes`. */
export function attachSysmonPrograms(
  resources: Resources,
  store: SysmonMapStore,
  opts: SysmonProgramOptions,
  probes: readonly SysmonProbe[],
  readFormat: FormatReader = readTracefsFormat,
): SysmonAttachment {
  const result: SysmonAttachment = { attached: [], skipped: [] };
  for (const probe of probes) {
    try {
      attachOne(resources, store, opts, probe, readFormat);
      result.attached.push(probe);
    } catch (err) {
      if (!OPTIONAL_PROBES.has(probe)) throw explain(probe, err);
      result.skipped.push({ probe, reason: (err as Error).message });
    }
  }
  return result;
}

function attachOne(
  resources: Resources,
  store: SysmonMapStore,
  opts: SysmonProgramOptions,
  probe: SysmonProbe,
  readFormat: FormatReader,
): void {
  const program = buildSysmonProgram(fieldOffsets(probe, readFormat), opts);
  const name = sysmonProgramName(probe);
  const progFd = resources.hold(
    loadProgram({
      type: ProgType.Tracepoint,
      name,
      insns: program.assemble(store.fds),
      license: "GPL",
    }),
    `program ${name}`,
    closeFd,
  );
  const tp = SYSMON_TRACEPOINTS[probe];
  const perfFd = resources.hold(
    openTracepoint(tp),
    `tracepoint ${tp.category}:${tp.name}`,
    closeFd,
  );
  resources.hold(attachBpf(perfFd, progFd), `link ${name}`, closeFd);
}

function explain(probe: SysmonProbe, err: unknown): Error {
  const tp = SYSMON_TRACEPOINTS[probe];
  if (err instanceof VerifierError) {
    const tail = err.log.trim().split("\n").slice(-VERIFIER_TAIL_LINES).join("\n  ");
    return new RuntimeFailure(
      `the kernel verifier rejected the sysmon program for ${tp.category}:${tp.name}:\n  ${tail}`,
    );
  }
  if (err instanceof Deno.errors.NotFound) {
    return new RuntimeFailure(
      `sysmon needs the tracepoint ${tp.category}:${tp.name}, missing here`,
    );
  }
  return err instanceof Error ? err : new Error(String(err));
}
