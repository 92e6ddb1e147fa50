/**
 * ELF notes (SHT_NOTE sections, PT_NOTE segments) and the GNU build-id note.
 *
 * @module
 */

import { NT_GNU_BUILD_ID } from "./constants.ts";
import { utf8 } from "./bytes.ts";

/** One note entry. */
export interface ElfNote {
  /** Owner name without its NUL, e.g. "GNU". */
  readonly name: string;
  /** `n_type`, e.g. NT_GNU_BUILD_ID (3). */
  readonly type: number;
  /** Descriptor bytes (a view into the file). */
  readonly desc: Uint8Array;
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/**
 * Decodes the notes of one note area. Name and descriptor are padded to 4 bytes, or to 8 when the
 * area itself is 8-aligned (as `.note.gnu.property` is). A malformed tail is ignored.
 *
 * @param bytes the note area
 * @param areaAlign `sh_addralign` / `p_align` of the area
 */
export function parseNotes(bytes: Uint8Array, areaAlign = 4): ElfNote[] {
  const pad = areaAlign === 8 ? 8 : 4;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: ElfNote[] = [];
  let off = 0;
  while (off + 12 <= bytes.byteLength) {
    const namesz = dv.getUint32(off, true);
    const descsz = dv.getUint32(off + 4, true);
    const type = dv.getUint32(off + 8, true);
    const nameStart = off + 12;
    const descStart = nameStart + alignUp(namesz, pad);
    const next = descStart + alignUp(descsz, pad);
    if (descStart + descsz > bytes.byteLength) break;
    const nameBytes = bytes.subarray(nameStart, nameStart + namesz);
    const nul = nameBytes.indexOf(0);
    out.push({
      name: utf8.decode(nul === -1 ? nameBytes : nameBytes.subarray(0, nul)),
      type,
      desc: bytes.subarray(descStart, descStart + descsz),
    });
    off = next;
  }
  return out;
}

/** Lower-case hex of some bytes. */
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

/** The GNU build-id among `notes` as lower-case hex (as `readelf -n` prints it), if present. */
export function findBuildId(notes: Iterable<ElfNote>): string | undefined {
  for (const n of notes) {
    if (n.name === "GNU" && n.type === NT_GNU_BUILD_ID && n.desc.byteLength > 0) {
      return toHex(n.desc);
    }
  }
  return undefined;
}
