/**
 * Load bias of a module in one process, from the process's mappings of the module's file and the
 * module's PT_LOAD segments: `bias = runtime address - link-time address`, the same for every
 * address of the module (0 for a non-PIE executable).
 *
 * A mapping at file offset `O` (page aligned) starting at address `S` holds the PT_LOAD segment
 * whose page-aligned file offset is `O`; that segment's `p_vaddr` lives at
 * `S + (p_offset - O)`, so `bias = S + (p_offset - O) - p_vaddr`.
 * @module
 */

import type { ModuleOffsets } from "../../bpf/sysmon_maps.ts";
import type { MapsEntry } from "../proc/maps.ts";

/** The PT_LOAD fields the computation needs. */
export interface LoadSegment {
  offset: number;
  vaddr: number;
  filesz: number;
}

/** Page size of the supported architecture (x86_64). */
export const PAGE_SIZE = 4096n;

function pageDown(n: bigint): bigint {
  return n & ~(PAGE_SIZE - 1n);
}

/**
 * The module's offsets in a process, or `undefined` when no mapping lines up with a segment
 * (e.g. the file was only mapped as data). `mappings` are the process's maps lines for the
 * module's file (any order). When several segments match, the mapping with the lowest file
 * offset decides (every segment of a correctly loaded module gives the same bias).
 */
export function computeModuleOffsets(
  mappings: readonly MapsEntry[],
  loads: readonly LoadSegment[],
): ModuleOffsets | undefined {
  if (mappings.length === 0) return undefined;
  const sorted = [...mappings].sort((a, b) =>
    a.offset < b.offset ? -1 : a.offset > b.offset ? 1 : a.start < b.start ? -1 : 1
  );
  let bias: bigint | undefined;
  for (const m of sorted) {
    const seg = loads.find((p) => p.filesz > 0 && pageDown(BigInt(p.offset)) === m.offset);
    if (seg === undefined) continue;
    bias = m.start + (BigInt(seg.offset) - m.offset) - BigInt(seg.vaddr);
    break;
  }
  if (bias === undefined) return undefined;
  let start = sorted[0].start;
  let end = sorted[0].end;
  for (const m of sorted) {
    if (m.start < start) start = m.start;
    if (m.end > end) end = m.end;
  }
  return { bias: BigInt.asUintN(64, bias), start, end };
}
