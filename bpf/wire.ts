/**
 * The event wire format: one ring buffer record per executed `print`.
 *
 * ```
 * header, 32 bytes, little-endian:
 *   u32 trace_id   u32 print_id   u64 ktime_ns   u32 host_tgid   u32 host_tid
 *   u32 view_tgid  u32 view_tid   (ids in the program's PidView namespace; = host ids for a
 *                                  host view, 0 when the task is outside that namespace)
 * payload: one record per format argument, each 8-byte aligned:
 *   u8 type (ValueType), u8 status (ValueStatus), u16 len, u32 used, len bytes, pad to 8
 * ```
 *
 * Scalars (`U64`, `I64`, `Bool`, `Ptr`) carry `len = 8`: the value as a little-endian u64
 * (`Bool` is 0 or 1). A `Bytes` record may also hold a value of 1..8 bytes computed in registers
 * (a small struct held in a register).
 *
 * `len` is the record's fixed capacity, known when the program is built, so every record of a
 * `print` has the same size. `used` says how many of those bytes are valid for `Str` / `Bytes`
 * values whose length is only known at run time (a C string, a dump of `{:x.*}` bytes); `0` means
 * all `len` bytes. `Str` payloads additionally stop at the first NUL.
 *
 * A value whose status is not `Ok` still occupies its full record. Its payload is meaningless,
 * except that a `ReadError` record carries the address that could not be read in its first 8
 * payload bytes (the capacity is padded to 8, so they always exist).
 *
 * This module holds both the layout helpers used by the program builder and the userspace
 * decoder (hot path).
 * @module
 */

/** Size of the event header in bytes. */
export const EVENT_HEADER_SIZE = 32;

/** Byte offsets of the header fields. */
export enum HeaderOffset {
  TraceId = 0,
  PrintId = 4,
  KtimeNs = 8,
  HostTgid = 16,
  HostTid = 20,
  ViewTgid = 24,
  ViewTid = 28,
}

/** Size of a value record's header (`type, status, len, used`). */
export const VALUE_HEADER_SIZE = 8;

/** Byte offsets inside a value record header. */
export enum ValueHeaderOffset {
  Type = 0,
  Status = 1,
  Len = 2,
  /** u32: valid bytes of a Str / Bytes payload (0 = all `len`). */
  Used = 4,
}

/** Payload length of every scalar value. */
export const SCALAR_LEN = 8;

/** What a value record holds. */
export enum ValueType {
  /** Unsigned 64-bit integer. */
  U64 = 1,
  /** Signed 64-bit integer (script integers). */
  I64 = 2,
  /** Boolean carried as a u64 0 / 1. */
  Bool = 3,
  /** Text bytes (UTF-8, cut at the first NUL). */
  Str = 4,
  /** Raw bytes. */
  Bytes = 5,
  /** Address (u64). */
  Ptr = 6,
  /**
   * A backtrace capture (`bt`): registers then a copy of the user stack from sp; `used` = the
   * bytes captured (see `stack_capture.ts`).
   */
  Stack = 7,
}

/** Whether a value could be produced; numbering follows upstream GhostScope's VariableStatus. */
export enum ValueStatus {
  Ok = 0,
  /** The address to read was NULL. */
  NullDeref = 1,
  /** `bpf_probe_read_user` failed. */
  ReadError = 2,
  /** Access not allowed. */
  AccessError = 3,
  /** Data was cut to fit. */
  Truncated = 4,
  /** The module's runtime offsets were not known (ASLR rebasing impossible). */
  OffsetsUnavailable = 5,
  /** A read of length 0 was requested. */
  ZeroLength = 6,
  /** The variable is optimized out at this address. */
  OptimizedOut = 7,
}

/** Round `n` up to a multiple of 8. */
export function align8(n: number): number {
  return (n + 7) & ~7;
}

/** Bytes a value record with `len` payload bytes occupies (header + payload + padding). */
export function valueRecordSize(len: number): number {
  return VALUE_HEADER_SIZE + align8(len);
}

/**
 * The first 32 bits of a value record header as one little-endian u32
 * (`type | status << 8 | len << 16`), so a program can write them with one store.
 */
export function valueHeaderWord(type: ValueType, status: ValueStatus, len: number): number {
  if (len < 0 || len > 0xffff) throw new RangeError(`value length ${len} out of u16 range`);
  return (type & 0xff) | ((status & 0xff) << 8) | (len << 16);
}

/** Where each value record of an event goes, and the event's total size. */
export interface EventLayout {
  /** Total record size in bytes (header + all value records). */
  size: number;
  /** Offset of each value record (its header) from the start of the event. */
  valueOffsets: number[];
}

/** Lay out an event whose values have the given payload lengths. */
export function eventLayout(lens: readonly number[]): EventLayout {
  const valueOffsets: number[] = [];
  let off = EVENT_HEADER_SIZE;
  for (const len of lens) {
    valueOffsets.push(off);
    off += valueRecordSize(len);
  }
  return { size: off, valueOffsets };
}

/** One decoded value. `value` is `null` when `status` is not `Ok`. */
export interface DecodedValue {
  type: ValueType;
  status: ValueStatus;
  /** `bigint` for U64/I64/Ptr, `boolean` for Bool, `string` for Str, `Uint8Array` (a copy) for
   * Bytes and unknown types. */
  value: bigint | boolean | string | Uint8Array | null;
  /** For a `ReadError`: the user address that could not be read (absent when not recorded). */
  errorAddress?: bigint;
}

/** One decoded event. */
export interface DecodedEvent {
  traceId: number;
  printId: number;
  ktimeNs: bigint;
  hostTgid: number;
  hostTid: number;
  /** TGID / TID in the PidView namespace of the program (see header comment). */
  viewTgid: number;
  viewTid: number;
  values: DecodedValue[];
}

/** Raised when a record is too short or a value record overruns it. */
export class WireError extends Error {
  override name = "WireError";
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

/**
 * Decode one ring buffer record. Safe to call on a view that is only valid during the ring
 * callback: everything returned is copied out. Throws {@link WireError} on malformed input.
 */
export function decodeEvent(bytes: Uint8Array): DecodedEvent {
  return decodeEventAt(
    bytes,
    new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
    0,
    bytes.byteLength,
  );
}

/**
 * {@link decodeEvent} of the `n` bytes at `base` of `bytes` (`view` covers the same memory), so a
 * record can be decoded in place in a larger buffer (the mmap'd ring) without a view per event.
 */
export function decodeEventAt(
  bytes: Uint8Array,
  view: DataView,
  base: number,
  n: number,
): DecodedEvent {
  if (n < EVENT_HEADER_SIZE) {
    throw new WireError(`event of ${n} bytes is shorter than its ${EVENT_HEADER_SIZE}-byte header`);
  }
  const limit = base + n;
  const values: DecodedValue[] = [];
  let p = base + EVENT_HEADER_SIZE;
  while (p < limit) {
    if (p + VALUE_HEADER_SIZE > limit) {
      throw new WireError(`truncated value header at offset ${p - base} of a ${n}-byte event`);
    }
    const type = bytes[p] as ValueType;
    const status = bytes[p + 1] as ValueStatus;
    const len = view.getUint16(p + 2, true);
    const data = p + VALUE_HEADER_SIZE;
    const capEnd = data + len;
    if (capEnd > limit) {
      throw new WireError(`value at offset ${p - base} (${len} bytes) overruns a ${n}-byte event`);
    }
    let value: DecodedValue["value"] = null;
    let errorAddress: bigint | undefined;
    if (status === ValueStatus.ReadError && data + 8 <= limit) {
      const a = view.getBigUint64(data, true);
      if (a !== 0n) errorAddress = a;
    }
    if (status === ValueStatus.Ok) {
      switch (type) {
        case ValueType.I64:
          value = len === 8 ? view.getBigInt64(data, true) : readUint(view, data, len, true);
          break;
        case ValueType.U64:
        case ValueType.Ptr:
          value = len === 8 ? view.getBigUint64(data, true) : readUint(view, data, len, false);
          break;
        default: {
          // Only variable-length payloads look at `used`.
          const used = view.getUint32(p + ValueHeaderOffset.Used, true);
          const end = used !== 0 && used < len &&
              (type === ValueType.Str || type === ValueType.Bytes || type === ValueType.Stack)
            ? data + used
            : capEnd;
          value = decodeBytesValue(bytes, type, data, end);
        }
      }
    }
    values.push(
      errorAddress === undefined ? { type, status, value } : {
        type,
        status,
        value,
        errorAddress,
      },
    );
    p = data + ((len + 7) & ~7);
  }
  return {
    traceId: view.getUint32(base + HeaderOffset.TraceId, true),
    printId: view.getUint32(base + HeaderOffset.PrintId, true),
    ktimeNs: view.getBigUint64(base + HeaderOffset.KtimeNs, true),
    hostTgid: view.getUint32(base + HeaderOffset.HostTgid, true),
    hostTid: view.getUint32(base + HeaderOffset.HostTid, true),
    viewTgid: view.getUint32(base + HeaderOffset.ViewTgid, true),
    viewTid: view.getUint32(base + HeaderOffset.ViewTid, true),
    values,
  };
}

/** A Bool, Str, Bytes (or unknown-type) payload in `bytes[data, end)`, copied out. */
function decodeBytesValue(
  bytes: Uint8Array,
  type: ValueType,
  data: number,
  end: number,
): DecodedValue["value"] {
  switch (type) {
    case ValueType.Bool: {
      let any = 0;
      for (let i = data; i < end; i++) any |= bytes[i];
      return any !== 0;
    }
    case ValueType.Str: {
      let stop = data;
      while (stop < end && bytes[stop] !== 0) stop++;
      return utf8.decode(bytes.subarray(data, stop));
    }
    default:
      return bytes.slice(data, end);
  }
}

/** Little-endian integer of 0..8 bytes (non-standard widths only; 8 bytes take the fast path). */
function readUint(view: DataView, at: number, len: number, signed: boolean): bigint {
  let v = 0n;
  const m = Math.min(len, 8);
  for (let i = m - 1; i >= 0; i--) v = (v << 8n) | BigInt(view.getUint8(at + i));
  return signed && m > 0 ? BigInt.asIntN(m * 8, v) : v;
}
