/**
 * `-p` across container topologies, ghostscope in a private PID namespace: S5 same namespace,
 * S6 nested child namespace, S7 target outside (host PID typed), S7b a namespace without its own
 * /proc; each with the namespace helper available and forced off. The cells and their expected
 * behaviour are in pidns/cells.ts (MATRIX.md is generated from it).
 */
import { matrixTest } from "./pidns/run_cell.ts";

matrixTest("ns");
