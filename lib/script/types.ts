/**
 * Value types of script expressions and their wire encoding.
 * @module
 */

import { ValueType } from "../../bpf/wire.ts";

/**
 * Type of a script expression. Script integers are signed 64-bit (`i64`); `u64` and `ptr` come
 * from program variables (through a {@link VariableResolver}); `bool` from comparisons, logical
 * operators and `true` / `false`.
 */
export type ScriptType = "i64" | "u64" | "bool" | "ptr";

/** The value record type a print argument of this type is sent as. */
export function wireType(t: ScriptType): ValueType {
  switch (t) {
    case "i64":
      return ValueType.I64;
    case "u64":
      return ValueType.U64;
    case "bool":
      return ValueType.Bool;
    case "ptr":
      return ValueType.Ptr;
  }
}
