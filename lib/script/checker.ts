/**
 * Kept for importers of the former checker's print table type; the compiler is now made of passes
 * (`passes/`). Import {@link PrintInfo} from `print_table.ts`.
 * @module
 */

export type { PrintInfo } from "./print_table.ts";
