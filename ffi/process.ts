/**
 * Process identity helpers: pidfds (to notice a target's exit without polling /proc) and the
 * effective uid.
 */
import { BpfError, Errno } from "./errors.ts";
import { checkLibc, libc, Syscall, syscall } from "./libc.ts";
import { allocBytes } from "./pointers.ts";

/** `poll()` event bits. */
enum PollEvent {
  In = 0x1,
  Nval = 0x20,
}

// struct pollfd { int fd; short events; short revents; }
const POLLFD = { size: 8, fd: 0, events: 4, revents: 6 } as const;

/**
 * `pidfd_open(pid, 0)`: an fd that becomes readable when the process exits. Close it with
 * `closeFd`. `pid` is in the caller's pid namespace.
 * @throws {BpfError} ESRCH when there is no such process, ENOSYS on kernels before 5.3
 */
export function pidfdOpen(pid: number): number {
  return checkLibc(`pidfd_open(${pid})`, syscall(Syscall.PidfdOpen, pid, 0));
}

/**
 * Whether the process behind a pidfd has exited (POLLIN), checked without waiting.
 * @throws {BpfError} EBADF when `fd` is not an open fd
 */
export function pidfdExited(fd: number): boolean {
  const pollfd = allocBytes(POLLFD.size);
  const view = new DataView(pollfd.buffer);
  view.setInt32(POLLFD.fd, fd, true);
  view.setInt16(POLLFD.events, PollEvent.In, true);
  checkLibc(`poll(pidfd ${fd})`, libc().poll(pollfd, 1n, 0));
  const revents = view.getInt16(POLLFD.revents, true);
  if (revents & PollEvent.Nval) throw new BpfError(`poll(pidfd ${fd})`, Errno.EBADF);
  return (revents & PollEvent.In) !== 0;
}

/** Effective uid of this process (0 = root). */
export function geteuid(): number {
  return libc().geteuid();
}
