/** Where one trace block's uprobe goes. */
export interface ProbeSite {
  /** What the user asked for, for messages: `add`, `server.c:212`, `0x1139`. */
  label: string;
  /** Path handed to the kernel (may be `/proc/PID/root/...` to reach another mount namespace). */
  uprobePath: string;
  /** File offset of the probed instruction. */
  fileOffset: number;
  /** Link-time virtual address of the probed instruction inside its module. */
  linkAddress: number;
  /** The module as the target process maps it (path in the target's mount namespace). */
  modulePath: string;
}
