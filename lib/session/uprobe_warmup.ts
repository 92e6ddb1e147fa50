/**
 * A head start on the kernel's slowest attach step. Registering a uprobe first waits for an RCU
 * grace period (`register_for_each_vma` takes `dup_mmap_sem` for writing, and `rcu_sync_enter`
 * waits for a grace period unless a registration or unregistration happened within the last one):
 * 8-30 ms here, with the CPU idle. A trace session therefore opens and at once closes a throwaway
 * uprobe as soon as the command line says it will trace, on a file no process executes
 * (ghostscope's own script, offset 0) and scoped to ghostscope's own pid, so no breakpoint is
 * installed anywhere. The grace period elapses while ghostscope plans, compiles and locates; the
 * close (on an FFI worker thread; it takes ~100 ms) keeps the registration path warm for one more
 * grace period, and the real uprobes then register without waiting.
 *
 * Best effort: without privileges, without a uprobe PMU, or for a script that is not a plain file
 * (a `deno compile` binary), there is simply no head start. A run that fails early waits for the
 * close at exit (the kernel finishes it), up to ~0.1 s.
 *
 * @module
 */
import { closeFdInBackground } from "../../ffi/bpf.ts";
import { openUprobeAsync } from "../../ffi/perf.ts";

let done: Promise<void> | undefined;

/** Starts the throwaway registration for the script at `scriptUrl` (`import.meta.url`). */
export function startUprobeWarmup(scriptUrl: string): void {
  if (done !== undefined) return;
  let path: string;
  try {
    const url = new URL(scriptUrl);
    if (url.protocol !== "file:") return;
    path = decodeURIComponent(url.pathname);
    const st = Deno.statSync(path);
    if (!st.isFile || st.size === 0 || path === Deno.execPath()) return;
  } catch {
    return;
  }
  done = openUprobeAsync({ path, offset: 0, pid: Deno.pid })
    .then((fd) => closeFdInBackground(fd))
    .catch(() => {});
}

/** Resolves once the throwaway uprobe is closed (at once when there was none). */
export function uprobeWarmupDone(): Promise<void> {
  return done ?? Promise.resolve();
}
