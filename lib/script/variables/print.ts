/**
 * How a program value becomes one value record of a `print`: which bytes the probe copies (a
 * scalar computed in registers, or a block of user memory read straight into the ring record)
 * and how userspace shows them ({@link ValueView}). Sizes are fixed when the program is built:
 * strings are read up to {@link STRING_CAP} bytes, objects up to {@link OBJECT_CAP}, run-time
 * dump lengths up to {@link DYNAMIC_DUMP_CAP}.
 * @module
 */

import type { IrExpr, IrPrintArg } from "../../../bpf/ir.ts";
import { ValueType } from "../../../bpf/wire.ts";
import { type DwarfType, stripType, typeSize } from "../../dwarf/index.ts";
import { FormatConv, type FormatSpec, type ValueView } from "../format.ts";
import { layoutOf } from "./layout_of.ts";
import {
  type DValue,
  isCharType,
  isStringElement,
  rawValue,
  toScalar,
  typeText,
  ValueError,
} from "./values.ts";

/** Bytes of a C string read through a `char *` by `{}` / `{:s}`. */
export const STRING_CAP = 256;
/** Bytes of a struct, union or array printed whole. */
export const OBJECT_CAP = 4096;
/** Bytes reserved for a dump whose length is only known at run time (`{:x.*}`, `{:s.n$}`). */
export const DYNAMIC_DUMP_CAP = 1024;

/** One `print` argument built from a program value. */
export interface PrintPlan {
  arg: IrPrintArg;
  view?: ValueView;
}

/** The dump length of a placeholder: fixed, or computed at run time. */
export type DumpLength = { fixed: number } | { expr: IrExpr };

function scalarWireType(t: DwarfType): ValueType {
  const s = stripType(t);
  if (s.kind === "pointer") return ValueType.Ptr;
  if (s.kind === "base" && s.encoding === "bool") return ValueType.Bool;
  if (s.kind === "base" && s.encoding === "float") return ValueType.U64;
  if ((s.kind === "base" || s.kind === "enum") && s.signed) return ValueType.I64;
  return ValueType.U64;
}

/** The address a memory dump of `v` starts at: a pointer's target, else `v`'s own address. */
function dumpAddress(v: DValue, what: string, spec: FormatSpec): IrExpr {
  const s = stripType(v.type);
  if (s.kind === "pointer") return toScalar(v, what).expr;
  if (v.kind === "memory" && !v.bits) return v.addr;
  if (v.kind === "unavailable") return { kind: "unavailable", status: v.status };
  throw new ValueError(
    `'${spec.text}' dumps memory, but '${what}' (${typeText(v.type)}) is neither a pointer nor ` +
      "an object in memory here",
  );
}

/** A value that cannot be read, as a record carrying its status. */
function unavailableArg(v: DValue & { kind: "unavailable" }): PrintPlan {
  return { arg: { type: ValueType.I64, expr: { kind: "unavailable", status: v.status } } };
}

/**
 * The print argument for program value `v` (source text `what`) under placeholder `spec`;
 * `length` is the dump length of `{:x.N}` / `{:x.*}` / `{:s.name$}` placeholders.
 */
export function printPlan(
  v: DValue,
  spec: FormatSpec,
  what: string,
  length?: DumpLength,
): PrintPlan {
  const s = stripType(v.type);
  const conv = spec.conv;

  if (length !== undefined) {
    const addr = dumpAddress(v, what, spec);
    const type = conv === FormatConv.Str ? ValueType.Str : ValueType.Bytes;
    const view: ValueView = conv === FormatConv.Str ? { kind: "string" } : { kind: "bytes" };
    if ("fixed" in length) {
      return { arg: { kind: "memory", type, addr, capacity: length.fixed, string: false }, view };
    }
    return {
      arg: {
        kind: "memory",
        type,
        addr,
        capacity: DYNAMIC_DUMP_CAP,
        string: false,
        length: length.expr,
      },
      view,
    };
  }

  if (conv === FormatConv.Str) {
    if (s.kind === "array" && s.count !== undefined && isStringElement(s.element)) {
      if (v.kind === "unavailable") return unavailableArg(v);
      if (v.kind !== "memory") throw new ValueError(`'${what}' is not in memory at this point`);
      return {
        arg: {
          kind: "memory",
          type: ValueType.Str,
          addr: v.addr,
          capacity: Math.max(1, Math.min(s.count, OBJECT_CAP)),
          string: false,
        },
        view: { kind: "string" },
      };
    }
    if (s.kind === "pointer" && isStringElement(s.target)) {
      return {
        arg: {
          kind: "memory",
          type: ValueType.Str,
          addr: toScalar(v, what).expr,
          capacity: STRING_CAP,
          string: true,
        },
        view: { kind: "string" },
      };
    }
    throw new ValueError(
      `'{:s}' needs a string (char * or char[N]), but '${what}' is ${typeText(v.type)}` +
        (s.kind === "pointer" || s.kind === "array" ? "; use {:x.N} to dump its bytes" : ""),
    );
  }

  if (conv === FormatConv.Pointer) {
    if (s.kind === "array" || s.kind === "struct" || s.kind === "union") {
      // the address of an object in memory
      if (v.kind === "memory") {
        return {
          arg: { type: ValueType.Ptr, expr: v.addr },
          view: { kind: "layout", layout: { kind: "pointer", size: 8 } },
        };
      }
      if (v.kind === "unavailable") return unavailableArg(v);
      throw new ValueError(`'${what}' is not in memory at this point: it has no address`);
    }
  }

  // natural rendering, {:x}, {:X}, {:p} of scalars
  if (v.kind === "unavailable") return unavailableArg(v);
  switch (s.kind) {
    case "base":
    case "enum":
    case "pointer": {
      if (s.kind === "pointer" && isCharType(s.target) && conv === FormatConv.Display) {
        // a C string, like gdb shows `char *`
        return {
          arg: {
            kind: "memory",
            type: ValueType.Str,
            addr: toScalar(v, what).expr,
            capacity: STRING_CAP,
            string: true,
          },
          view: { kind: "string" },
        };
      }
      const size = s.size;
      if (s.kind === "base" && s.encoding === "float" && size > 8 && v.kind === "memory") {
        // a long double: its bytes are copied, userspace decodes them
        return {
          arg: {
            kind: "memory",
            type: ValueType.Bytes,
            addr: v.addr,
            capacity: size,
            string: false,
          },
          view: { kind: "layout", layout: layoutOf(v.type) },
        };
      }
      if (size < 1 || size > 8) {
        throw new ValueError(`'${what}' is a ${size}-byte ${typeText(v.type)}: cannot be shown`);
      }
      const expr = s.kind === "base" && s.encoding === "float"
        ? rawValue(v, size, false)
        : toScalar(v, what).expr;
      return {
        arg: { type: scalarWireType(v.type), expr },
        view: { kind: "layout", layout: layoutOf(v.type) },
      };
    }
    case "array":
    case "struct":
    case "union": {
      const size = typeSize(v.type);
      if (size === undefined || size === 0) {
        throw new ValueError(`'${what}' (${typeText(v.type)}) has no known size to print`);
      }
      const layout = layoutOf(v.type);
      const isText = s.kind === "array" && isCharType(s.element) && conv === FormatConv.Display;
      const view: ValueView = conv === FormatConv.Display
        ? { kind: "layout", layout }
        : { kind: "bytes" };
      if (v.kind === "scalar") {
        if (size > 8 && v.high !== undefined) {
          throw new ValueError(
            `'${what}' is a ${size}-byte ${s.kind} held in two registers (rax:rdx): print its ` +
              "members one by one",
          );
        }
        if (size > 8) throw new ValueError(`'${what}' is only partly held in registers`);
        return { arg: { type: ValueType.Bytes, expr: v.expr, len: size }, view };
      }
      if (v.bits) throw new ValueError(`'${what}' is a bit-field`);
      return {
        arg: {
          kind: "memory",
          type: isText ? ValueType.Str : ValueType.Bytes,
          addr: v.addr,
          capacity: Math.min(size, OBJECT_CAP),
          string: false,
        },
        view: isText ? { kind: "string" } : view,
      };
    }
    default:
      throw new ValueError(`'${what}' has type ${typeText(v.type)}, which cannot be printed`);
  }
}
