/**
 * Path helpers shared by the /proc parsers. Every reader takes a `procRoot` so that tests can point
 * it at a fake tree in a temporary directory; production code uses {@link DEFAULT_PROC_ROOT}.
 *
 * @module
 */

/** Where procfs is mounted on a normal system. */
export const DEFAULT_PROC_ROOT = "/proc";

/** A process directory under /proc: a numeric PID (or TID), or the magic `self` link. */
export type ProcPid = number | "self";

/**
 * Builds `<procRoot>/<pid>/<parts...>` without doubling slashes.
 *
 * @param procRoot where procfs is mounted (for example "/proc" or a temp dir in tests)
 * @param pid the process directory, or "self"
 * @param parts path components below the process directory
 */
export function procPath(procRoot: string, pid: ProcPid, ...parts: string[]): string {
  const root = procRoot.endsWith("/") && procRoot.length > 1 ? procRoot.slice(0, -1) : procRoot;
  return [root, String(pid), ...parts].join("/");
}

/**
 * Builds `<procRoot>/<parts...>` for files that are not below a process directory
 * (for example `sys/kernel/osrelease`).
 */
export function procRootPath(procRoot: string, ...parts: string[]): string {
  const root = procRoot.endsWith("/") && procRoot.length > 1 ? procRoot.slice(0, -1) : procRoot;
  return [root, ...parts].join("/");
}

/** Parses a base-10 unsigned integer field; returns undefined unless the whole text is digits. */
export function parseDecimal(text: string): number | undefined {
  if (!/^[0-9]+$/.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}

/** Parses a whitespace-separated list of base-10 integers; undefined if any token is not one. */
export function parseDecimalList(text: string): number[] | undefined {
  const tokens = text.trim().split(/\s+/).filter((t) => t.length > 0);
  const values: number[] = [];
  for (const token of tokens) {
    const value = parseDecimal(token);
    if (value === undefined) return undefined;
    values.push(value);
  }
  return values;
}
