/**
 * `-p` across container topologies, ghostscope in the initial PID namespace: S1 host -> host,
 * S2 host -> container sharing the host PID namespace, S3 host -> private PID namespace,
 * S4 `--pid=host` container -> host; each with the namespace helper available and forced off.
 * The cells and their expected behaviour are in pidns/cells.ts (MATRIX.md is generated from it).
 */
import { matrixTest } from "./pidns/run_cell.ts";

matrixTest("host");
