/**
 * The print table: what userspace needs to render the events of each `print` (indexed by the
 * event's `print_id`). Built once per script by the resolve pass.
 * @module
 */

import type { ValueType } from "../../bpf/wire.ts";
import type { BacktraceOptions } from "./ast.ts";
import type { CompiledFormat, ValueView } from "./format.ts";

/** What userspace needs to render the events of one `print`. */
export interface PrintInfo {
  printId: number;
  traceId: number;
  format: CompiledFormat;
  /** Record type of each value (one per placeholder). */
  argTypes: ValueType[];
  /** How each value is shown when it is a program value (undefined: script value). */
  views: (ValueView | undefined)[];
  /** The statement's source text (for debugging and JSON output). */
  text: string;
  /** Set for a `bt` statement: its one value is a stack capture, rendered as a backtrace. */
  backtrace?: BacktraceOptions;
  /**
   * `exprError`: not a print of the script but the ExprError event of a failed `if` condition
   * or a failed built-in call inside a print (`text` is the expression; one value, carrying the
   * failure's status and address).
   */
  kind?: "exprError";
}
