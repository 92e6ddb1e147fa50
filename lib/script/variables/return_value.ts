/**
 * Where a function's return value is when its uretprobe fires, by the x86_64 System V ABI, as a
 * DWARF-style location plan (so `$retval` is a program value like any variable: typed, with
 * members, strings, pointers):
 *
 * - integers, pointers, enums, bool (INTEGER class, at most 8 bytes): `rax`;
 * - structs and unions of at most 16 bytes whose eightbytes are all INTEGER: `rax`, then `rdx`;
 * - anything larger (MEMORY class): the caller's buffer, whose address the callee returns in
 *   `rax`;
 * - floating point (SSE class: `xmm0`) cannot be read: a uprobe sees general-purpose registers
 *   only.
 * @module
 */
import { type DwarfType, type LocationPlan, stripType, typeSize } from "../../dwarf/index.ts";

const RAX = { reg: 0, name: "rax", ptRegsOffset: 80 };
const RDX = { reg: 1, name: "rdx", ptRegsOffset: 96 };

/** The plan of the return value of type `type`, or why there is none to read. */
export function returnValuePlan(type: DwarfType): LocationPlan | { error: string } {
  const t = stripType(type);
  if (t.kind === "void") return { error: "the function returns void" };
  const size = typeSize(t);
  if (size === undefined || size === 0) return { error: "the return type has no known size" };
  if (size > 16) {
    return {
      kind: "memory",
      steps: [{ op: "reg", ...RAX }],
      rebase: false,
      text: "[rax] (returned in memory)",
    };
  }
  if (hasFloat(t)) {
    return {
      kind: "unsupported",
      reason: "the value is returned in xmm0, which a uprobe cannot see",
      text: "<unsupported: returned in xmm0>",
    };
  }
  if (size <= 8) {
    if (t.kind === "struct" || t.kind === "union") {
      return { kind: "regs", pieces: [{ size, ...RAX }], text: "rax" };
    }
    return { kind: "regs", pieces: [{ size: 8, ...RAX }], text: "rax" };
  }
  return {
    kind: "regs",
    pieces: [{ size: 8, ...RAX }, { size: size - 8, ...RDX }],
    text: "rax:8 rdx",
  };
}

/** True when a float is anywhere in `t` (its eightbytes would be SSE class). */
function hasFloat(t: DwarfType, depth = 0): boolean {
  const s = stripType(t);
  if (depth > 8) return false;
  switch (s.kind) {
    case "base":
      return s.encoding === "float";
    case "struct":
    case "union":
      return s.members.some((m) => hasFloat(m.type, depth + 1));
    case "array":
      return hasFloat(s.element, depth + 1);
    default:
      return false;
  }
}
