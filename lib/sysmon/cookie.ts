/**
 * Module cookies: a stable 64-bit id of an ELF file, the second half of a `proc_module_offsets`
 * key. Code generation computes the cookie of the module that owns a global with the same
 * function, so both sides agree without exchanging paths.
 *
 * The cookie is FNV-1a (64-bit) over a tagged byte string: `"B"` + the GNU build-id bytes when
 * the file has one (so a separate debug file, which carries the same build-id, gives the same
 * cookie), else `"I"` + device + inode (little-endian u64 each) of the file. The tag keeps the two
 * forms from colliding with each other.
 * @module
 */

const FNV_OFFSET_BASIS = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const U64_BYTES = 8;
const HEX_RADIX = 16;

/** Tag bytes of the two cookie forms. */
enum CookieTag {
  BuildId = 0x42, // "B"
  Inode = 0x49, // "I"
}

/** 64-bit FNV-1a of `bytes`. */
export function fnv1a64(bytes: Uint8Array): bigint {
  let hash = FNV_OFFSET_BASIS;
  for (const b of bytes) {
    hash ^= BigInt(b);
    hash = BigInt.asUintN(64, hash * FNV_PRIME);
  }
  return hash;
}

/** What identifies a module file for its cookie. */
export interface CookieSource {
  /** GNU build-id as lowercase hex, when the file has one. */
  buildId?: string;
  /** `st_dev` (userspace encoding) of the file. */
  dev: bigint;
  /** `st_ino` of the file. */
  ino: bigint;
}

/** The module cookie of a file (see the module doc). */
export function moduleCookie(source: CookieSource): bigint {
  if (source.buildId !== undefined && /^([0-9a-f]{2})+$/i.test(source.buildId)) {
    const id = source.buildId;
    const bytes = new Uint8Array(1 + id.length / 2);
    bytes[0] = CookieTag.BuildId;
    for (let i = 0; i < id.length / 2; i++) {
      bytes[1 + i] = parseInt(id.slice(2 * i, 2 * i + 2), HEX_RADIX);
    }
    return fnv1a64(bytes);
  }
  const bytes = new Uint8Array(1 + 2 * U64_BYTES);
  bytes[0] = CookieTag.Inode;
  const v = new DataView(bytes.buffer);
  v.setBigUint64(1, BigInt.asUintN(64, source.dev), true);
  v.setBigUint64(1 + U64_BYTES, BigInt.asUintN(64, source.ino), true);
  return fnv1a64(bytes);
}
