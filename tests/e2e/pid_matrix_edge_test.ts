/**
 * `-p` edge cases on real namespaces: a namespace PID that is also the host PID of another copy of
 * the binary, two copies of the binary that are both PID 2 in two namespaces, and thread ids.
 * The cells and their expected behaviour are in pidns/cells.ts (MATRIX.md is generated from it).
 */
import { matrixTest } from "./pidns/run_cell.ts";

matrixTest("edge");
