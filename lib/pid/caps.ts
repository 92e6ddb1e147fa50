/**
 * Kernel capabilities the PID plan depends on: the ring buffer map and the namespace-aware helper
 * `bpf_get_ns_current_pid_tgid` (id 120). The probes are injectable so unit tests run without a
 * kernel; the default probe goes through `ffi/bpf.ts` (libbpf feature probes).
 *
 * `GHOSTSCOPE_FORCE_NO_NS_HELPER=1` forces the helper off (to exercise the no-helper paths on a
 * kernel that has it); the report says it was forced.
 *
 * @module
 */

import { MapType, probeHelper, probeMapType, ProgType } from "../../ffi/bpf.ts";
import { BpfHelper } from "../../bpf/helpers.ts";
import { LibraryLoadError } from "../../ffi/library_loader.ts";

/** The environment variable that forces the namespace helper off. */
export const FORCE_NO_NS_HELPER_ENV = "GHOSTSCOPE_FORCE_NO_NS_HELPER";

/** Values of {@link FORCE_NO_NS_HELPER_ENV} that mean "on" (compared case-insensitively). */
const TRUTHY_ENV_VALUES = ["1", "true", "yes"] as const;

/** The two questions asked of the kernel. Each may throw when the probe itself cannot run. */
export interface CapsProbe {
  /** Can the kernel create BPF_MAP_TYPE_RINGBUF maps? */
  ringbuf(): boolean;
  /** Can kprobe/uprobe programs call `bpf_get_ns_current_pid_tgid`? */
  nsPidHelper(): boolean;
}

/** Probes through libbpf (`ffi/bpf.ts`). Uprobe programs are of type Kprobe. */
export const ffiCapsProbe: CapsProbe = {
  ringbuf: () => probeMapType(MapType.RingBuf),
  nsPidHelper: () => probeHelper(ProgType.Kprobe, BpfHelper.GetNsCurrentPidTgid),
};

/** Result of {@link detectKernelCaps}. */
export interface KernelCaps {
  /** Ring buffer maps are available (Linux 5.8+). */
  ringbuf: boolean;
  /** The helper may be used: the probe said yes AND it is not forced off. */
  nsPidHelper: boolean;
  /** What the probe itself answered (undefined when the probe could not run). */
  nsPidHelperProbed: boolean | undefined;
  /** True when {@link FORCE_NO_NS_HELPER_ENV} turned the helper off. */
  nsHelperForcedOff: boolean;
  /** One line per probe that could not run (for example EPERM without privileges). */
  probeErrors: string[];
}

/** Options of {@link detectKernelCaps}. */
export interface CapsOptions {
  /** The probe (default {@link ffiCapsProbe}). */
  probe?: CapsProbe;
  /** Environment lookup (default `Deno.env.get`). */
  getEnv?: (name: string) => string | undefined;
}

function envFlag(value: string | undefined): boolean {
  return value !== undefined &&
    (TRUTHY_ENV_VALUES as readonly string[]).includes(value.trim().toLowerCase());
}

/**
 * Runs one probe; a probe that throws counts as "not available" and records why. A libbpf that
 * cannot be loaded is not a kernel answer: it stops the run with its own message.
 */
function runProbe(name: string, fn: () => boolean, errors: string[]): boolean | undefined {
  try {
    return fn();
  } catch (error) {
    if (error instanceof LibraryLoadError) throw error;
    errors.push(`${name} probe failed: ${(error as Error).message}`);
    return undefined;
  }
}

/** Probes the kernel (or the injected probe) for the capabilities the plan needs. */
export function detectKernelCaps(options: CapsOptions = {}): KernelCaps {
  const probe = options.probe ?? ffiCapsProbe;
  const getEnv = options.getEnv ?? ((name: string) => Deno.env.get(name));
  const probeErrors: string[] = [];
  const ringbuf = runProbe("ring buffer", probe.ringbuf, probeErrors) ?? false;
  const probed = runProbe("bpf_get_ns_current_pid_tgid", probe.nsPidHelper, probeErrors);
  const forced = envFlag(getEnv(FORCE_NO_NS_HELPER_ENV));
  return {
    ringbuf,
    nsPidHelper: probed === true && !forced,
    nsPidHelperProbed: probed,
    nsHelperForcedOff: forced,
    probeErrors,
  };
}

/**
 * The same answers as {@link detectKernelCaps}, probed on the first read of any field. A plan for
 * a target in ghostscope's own (initial) PID namespace never reads them, which saves the probes'
 * program loads (and opening libbpf early) on the common path; `pid-info` reads them all.
 */
export function lazyKernelCaps(options: CapsOptions = {}): KernelCaps {
  let caps: KernelCaps | undefined;
  const get = () => (caps ??= detectKernelCaps(options));
  return {
    get ringbuf() {
      return get().ringbuf;
    },
    get nsPidHelper() {
      return get().nsPidHelper;
    },
    get nsPidHelperProbed() {
      return get().nsPidHelperProbed;
    },
    get nsHelperForcedOff() {
      return get().nsHelperForcedOff;
    },
    get probeErrors() {
      return get().probeErrors;
    },
  };
}

/** One human phrase describing helper availability (used by reasons and the report). */
export function describeHelper(caps: KernelCaps): string {
  if (caps.nsHelperForcedOff) {
    const probed = caps.nsPidHelperProbed === true
      ? "the kernel has it"
      : caps.nsPidHelperProbed === false
      ? "the kernel lacks it anyway"
      : "the probe could not run";
    return `forced off by ${FORCE_NO_NS_HELPER_ENV} (${probed})`;
  }
  if (caps.nsPidHelperProbed === undefined) return "unknown (the probe could not run)";
  return caps.nsPidHelperProbed ? "available" : "unavailable on this kernel";
}
