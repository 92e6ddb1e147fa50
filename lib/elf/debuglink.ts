/**
 * `.gnu_debuglink` (separate debug file name + CRC32 of that file) and `.gnu_debugaltlink`
 * (supplementary dwz file name + its build-id).
 *
 * @module
 */

import { utf8 } from "./bytes.ts";
import { toHex } from "./notes.ts";

/** Contents of `.gnu_debuglink`. */
export interface DebugLink {
  /** File name of the separate debug file (no directory), e.g. "app.debug". */
  readonly name: string;
  /** CRC32 (IEEE, as `crc32()` computes) the debug file must have. */
  readonly crc: number;
}

/** Contents of `.gnu_debugaltlink`. */
export interface DebugAltLink {
  /** Path of the supplementary (dwz) file. */
  readonly name: string;
  /** Its build-id, lower-case hex. */
  readonly buildId: string;
}

/**
 * Decodes `.gnu_debuglink`: a NUL-terminated name, zero padding to a 4-byte boundary, then the
 * little-endian u32 CRC. Returns `undefined` when the section is malformed.
 */
export function parseDebugLink(bytes: Uint8Array): DebugLink | undefined {
  const nul = bytes.indexOf(0);
  if (nul <= 0) return undefined;
  const crcOff = (nul + 4) & ~3;
  if (crcOff + 4 > bytes.byteLength) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { name: utf8.decode(bytes.subarray(0, nul)), crc: dv.getUint32(crcOff, true) };
}

/** Decodes `.gnu_debugaltlink`: a NUL-terminated name, then the build-id bytes. */
export function parseDebugAltLink(bytes: Uint8Array): DebugAltLink | undefined {
  const nul = bytes.indexOf(0);
  if (nul <= 0 || nul + 1 >= bytes.byteLength) return undefined;
  return {
    name: utf8.decode(bytes.subarray(0, nul)),
    buildId: toHex(bytes.subarray(nul + 1)),
  };
}
