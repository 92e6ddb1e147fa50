/**
 * CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320, init and final XOR 0xFFFFFFFF): the checksum
 * `.gnu_debuglink` records for the separate debug file (same as zlib's `crc32`). Uses
 * slicing-by-8 tables, so checksumming a few hundred MB of debug file takes well under a second.
 *
 * @module
 */

const POLY = 0xedb88320;

let tables: Uint32Array | undefined;

/**
 * 8 tables of 256 entries: T[k][b] = CRC of byte b followed by k zero bytes. Built on first use:
 * at import time it would cost every start-up ~1 ms (interpreted loops) for a checksum only
 * debug-file lookups need.
 */
function buildTables(): Uint32Array {
  const t = new Uint32Array(8 * 256);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[b] = c;
  }
  for (let b = 0; b < 256; b++) {
    for (let k = 1; k < 8; k++) {
      const prev = t[(k - 1) * 256 + b];
      t[k * 256 + b] = (prev >>> 8) ^ t[prev & 0xff];
    }
  }
  return t;
}

/**
 * CRC-32 of `bytes`. Pass the previous result as `crc` to continue a running checksum over
 * consecutive chunks: `crc32(b, crc32(a)) === crc32(concat(a, b))`.
 *
 * @returns the CRC as an unsigned 32-bit number
 */
export function crc32(bytes: Uint8Array, crc = 0): number {
  const t = tables ??= buildTables();
  let c = ~crc >>> 0;
  let i = 0;
  const n = bytes.length;
  const end8 = n - (n % 8);
  while (i < end8) {
    const lo =
      (c ^ (bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24))) >>>
      0;
    c = t[1792 + (lo & 0xff)] ^ t[1536 + ((lo >>> 8) & 0xff)] ^
      t[1280 + ((lo >>> 16) & 0xff)] ^ t[1024 + (lo >>> 24)] ^
      t[768 + bytes[i + 4]] ^ t[512 + bytes[i + 5]] ^
      t[256 + bytes[i + 6]] ^ t[bytes[i + 7]];
    i += 8;
  }
  while (i < n) c = t[(c ^ bytes[i++]) & 0xff] ^ (c >>> 8);
  return ~c >>> 0;
}
