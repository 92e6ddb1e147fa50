/**
 * Where is ghostscope ITSELF running? (Not the target.) The answer is a label plus the evidence
 * behind it, shown by `pid-info`; the filter plan decides on namespace FACTS (inodes), never on
 * this label. The only hard consequence here is WSL, which the plan refuses.
 *
 * Evidence, strongest first:
 * - fact: ghostscope's PID namespace is not the initial one (inode ≠ 4026531836);
 * - markers: `/.dockerenv`, `/run/.containerenv`, container runtime names in /proc/1/cgroup,
 *   `container=` in PID 1's environment (the systemd container interface, set by podman,
 *   systemd-nspawn, LXC);
 * - weak hint: /proc/1/cgroup is the single cgroup-v2 line `0::/` (typical of a private cgroup
 *   namespace in a cgroup-v2 pod, which upstream misclassified as host; also seen on hosts whose
 *   init is not systemd, hence weak).
 *
 * @module
 */

import { isFile, pathExists } from "../fs_checks.ts";
import { CgroupLayout, cgroupLayout, readCgroup, unifiedCgroupPath } from "../proc/cgroup.ts";
import {
  INITIAL_PID_NS_INO,
  isInitialPidNs,
  type NsFileAccess,
  type PidNsId,
  readPidNs,
  realNsFileAccess,
} from "../proc/ns.ts";
import { isWslRelease, readOsRelease } from "../proc/osrelease.ts";
import { DEFAULT_PROC_ROOT, procPath } from "../proc/path.ts";
import { CONTAINER_ROOT_MARKERS, findCgroupMarker } from "./markers.ts";

/** PID of the init process of whatever PID namespace the /proc belongs to. */
const INIT_PID = 1;

/** Classification of ghostscope's own environment. */
export enum EnvironmentKind {
  ContainerLikely = "container-likely",
  HostLikely = "host-likely",
  Unknown = "unknown",
}

/** How much a piece of evidence weighs. */
export enum EvidenceStrength {
  /** A namespace fact or an explicit runtime marker. */
  Strong = "strong",
  /** A hint that also occurs on hosts. */
  Weak = "weak",
}

/** One observation. */
export interface EnvironmentEvidence {
  strength: EvidenceStrength;
  text: string;
}

/** Result of {@link detectEnvironment}. */
export interface RuntimeEnvironment {
  kind: EnvironmentKind;
  /** Human sentences, strongest first (same order as {@link evidenceDetail}). */
  evidence: string[];
  evidenceDetail: EnvironmentEvidence[];
  /** Fact: ghostscope's PID namespace inode is 4026531836. False when unreadable. */
  selfInInitialPidNs: boolean;
  /** ghostscope's PID namespace, when readable. */
  selfPidNs: PidNsId | undefined;
  /** The kernel release (`uname -r`), when readable. */
  osrelease: string | undefined;
  /** True on a Windows Subsystem for Linux kernel. */
  wsl: boolean;
}

/** Options of {@link detectEnvironment}. */
export interface EnvironmentOptions {
  /** The file-system root holding `/.dockerenv` and `/run/.containerenv` (default "/"). */
  root?: string;
  /** Where procfs is mounted (default "/proc"). */
  procRoot?: string;
  /** nsfs access (injectable for tests). */
  nsAccess?: NsFileAccess;
}

function joinRoot(root: string, path: string): string {
  return root.endsWith("/") ? `${root}${path}` : `${root}/${path}`;
}

/** `container=<name>` from PID 1's environment (NUL-separated), when readable. */
function initContainerVariable(procRoot: string): string | undefined {
  try {
    const environ = Deno.readTextFileSync(procPath(procRoot, INIT_PID, "environ"));
    const entry = environ.split("\0").find((e) => e.startsWith("container="));
    return entry?.slice("container=".length) || undefined;
  } catch {
    return undefined;
  }
}

function cgroupEvidence(procRoot: string): EnvironmentEvidence[] {
  let entries;
  try {
    entries = readCgroup(INIT_PID, procRoot);
  } catch {
    return [];
  }
  const hit = findCgroupMarker(entries);
  if (hit) {
    return [{
      strength: EvidenceStrength.Strong,
      text: `/proc/1/cgroup path '${hit.path}' contains '${hit.marker}'`,
    }];
  }
  if (cgroupLayout(entries) === CgroupLayout.V2 && unifiedCgroupPath(entries) === "/") {
    return [{
      strength: EvidenceStrength.Weak,
      text: "/proc/1/cgroup is '0::/' (cgroup v2 root: typical of a private cgroup namespace)",
    }];
  }
  return [];
}

/**
 * Detects ghostscope's own runtime environment.
 *
 * Never throws: unreadable files simply contribute no evidence.
 */
export function detectEnvironment(options: EnvironmentOptions = {}): RuntimeEnvironment {
  const root = options.root ?? "/";
  const procRoot = options.procRoot ?? DEFAULT_PROC_ROOT;
  const detail: EnvironmentEvidence[] = [];

  let selfPidNs: PidNsId | undefined;
  try {
    selfPidNs = readPidNs("self", { procRoot, access: options.nsAccess ?? realNsFileAccess });
  } catch {
    selfPidNs = undefined;
  }
  const selfInInitialPidNs = selfPidNs !== undefined && isInitialPidNs(selfPidNs);
  if (selfPidNs && !selfInInitialPidNs) {
    detail.push({
      strength: EvidenceStrength.Strong,
      text: `PID namespace ino ${selfPidNs.ino} is not the initial one (${INITIAL_PID_NS_INO})`,
    });
  }
  for (const marker of CONTAINER_ROOT_MARKERS) {
    if (isFile(joinRoot(root, marker.slice(1)))) {
      detail.push({ strength: EvidenceStrength.Strong, text: `${marker} exists` });
    }
  }
  detail.push(...cgroupEvidence(procRoot));
  const containerVar = initContainerVariable(procRoot);
  if (containerVar) {
    detail.push({
      strength: EvidenceStrength.Strong,
      text: `PID 1 has container=${containerVar} in its environment`,
    });
  }

  let osrelease: string | undefined;
  try {
    osrelease = readOsRelease(procRoot);
  } catch {
    osrelease = undefined;
  }

  let kind: EnvironmentKind;
  if (detail.some((e) => e.strength === EvidenceStrength.Strong)) {
    kind = EnvironmentKind.ContainerLikely;
  } else if (detail.length > 0 || selfPidNs === undefined) {
    kind = EnvironmentKind.Unknown;
  } else {
    kind = pathExists(procPath(procRoot, INIT_PID))
      ? EnvironmentKind.HostLikely
      : EnvironmentKind.Unknown;
  }
  return {
    kind,
    evidence: detail.map((e) => e.strength === EvidenceStrength.Weak ? `${e.text} [weak]` : e.text),
    evidenceDetail: detail,
    selfInInitialPidNs,
    selfPidNs,
    osrelease,
    wsl: osrelease !== undefined && isWslRelease(osrelease),
  };
}
