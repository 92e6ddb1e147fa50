/**
 * Where separate debug files may be, in lookup order (pure functions, plus one resolver that
 * follows symbolic links without leaving a container's root).
 *
 * For a module in another mount namespace every path is tried under that namespace's root
 * (`/proc/PID/root/...`) first, then on the host.
 * @module
 */

/** The directories searched by default, like gdb's `debug-file-directory`. */
export const DEFAULT_DEBUG_DIRS: readonly string[] = ["/usr/lib/debug"];

/** Directory part of an absolute path (`/usr/bin/x` → `/usr/bin`, `/x` → `/`). */
export function dirName(path: string): string {
  const slash = path.lastIndexOf("/");
  return slash <= 0 ? "/" : path.slice(0, slash);
}

/** Joins path parts with single slashes. */
export function joinPaths(...parts: string[]): string {
  return parts.join("/").replace(/\/{2,}/g, "/");
}

/**
 * Candidates for a `.gnu_debuglink` name, like gdb: the module's directory, its `.debug/`
 * subdirectory, then `<debug dir>/<module's directory>/` for each global debug directory.
 *
 * @param modulePath the module as its process sees it
 */
export function debugLinkPaths(
  modulePath: string,
  linkName: string,
  debugDirs: readonly string[],
): string[] {
  const dir = dirName(modulePath);
  const out = [joinPaths(dir, linkName), joinPaths(dir, ".debug", linkName)];
  for (const d of debugDirs) out.push(joinPaths(d, dir, linkName));
  return out;
}

/** Candidates for a build-id: `<debug dir>/.build-id/xx/rest.debug`. Empty for a too short id. */
export function buildIdPaths(buildId: string, debugDirs: readonly string[]): string[] {
  if (buildId.length < 3) return [];
  const rel = `.build-id/${buildId.slice(0, 2)}/${buildId.slice(2)}.debug`;
  return debugDirs.map((d) => joinPaths(d, rel));
}

/**
 * Each path under `root` (resolved there, see {@link resolveUnderRoot}) and then as is on the
 * host; just the paths when there is no separate root. Duplicates are dropped.
 */
export function withRoot(paths: string[], root: string | undefined): string[] {
  const out: string[] = [];
  if (root !== undefined) {
    for (const p of paths) out.push(resolveUnderRoot(root, p));
  }
  out.push(...paths);
  return [...new Set(out)];
}

/** How {@link resolveUnderRoot} reads links; injectable for tests. */
export type ReadLink = (path: string) => string | undefined;

const realReadLink: ReadLink = (path) => {
  try {
    return Deno.readLinkSync(path);
  } catch {
    return undefined; // not a link, or missing: the caller's open will say so
  }
};

/**
 * `root + path` with symbolic links followed as the container sees them: an absolute link target
 * restarts at `root`, not at the host's `/` (the kernel would resolve it against the host root,
 * since `/proc/PID/root` is only the first component). Gives up after 40 links, like the kernel.
 */
export function resolveUnderRoot(root: string, path: string, readLink = realReadLink): string {
  const rest = path.split("/").filter((c) => c !== "" && c !== ".");
  const done: string[] = [];
  let hops = 0;
  while (rest.length > 0) {
    const part = rest.shift()!;
    if (part === "..") {
      done.pop();
      continue;
    }
    const candidate = root + "/" + [...done, part].join("/");
    const target = readLink(candidate);
    if (target === undefined || ++hops > 40) {
      done.push(part);
      continue;
    }
    if (target.startsWith("/")) done.length = 0;
    rest.unshift(...target.split("/").filter((c) => c !== "" && c !== "."));
  }
  return root + "/" + done.join("/");
}
