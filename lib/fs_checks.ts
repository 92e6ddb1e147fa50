/** Existence checks that answer false instead of throwing (missing, unreadable, dangling). */

/** True when `path` exists (any kind of file). */
export function pathExists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** True when `path` is a regular file (links followed). */
export function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}
