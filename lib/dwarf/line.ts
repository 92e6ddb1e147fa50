/**
 * `.debug_line`: program headers (DWARF 2-5, including the v5 entry-format directory and file
 * tables) and the line-number state machine. File names are decoded lazily so a scan over every
 * unit's file table can reject non-matching names by comparing bytes.
 * @module
 */

import * as C from "./constants.ts";
import { strIndex, type StringSections } from "./forms.ts";
import { corrupt, cstringAt, Reader } from "./reader.ts";

/** Row flag bits in {@link LineRows.flags}. */
export const ROW_STMT = 1;
export const ROW_END_SEQUENCE = 2;
export const ROW_PROLOGUE_END = 4;
export const ROW_EPILOGUE_BEGIN = 8;
export const ROW_BASIC_BLOCK = 16;
/**
 * The row's line has had a non-zero discriminator since it was last changed (gdb then records
 * only the first row of a run of same-line rows).
 */
export const ROW_DISCRIMINATED = 32;

/** Rows of a line program, as parallel typed arrays, in program (sequence) order. */
export interface LineRows {
  count: number;
  address: Float64Array;
  file: Uint32Array;
  line: Uint32Array;
  column: Uint32Array;
  flags: Uint8Array;
}

/** Unit context needed to read a line program header. */
export interface LineUnit {
  readonly addrSize: number;
  readonly offsetSize: number;
  readonly version: number;
  strOffsetsBase: number;
  addrBase: number;
  readonly offset: number;
  readonly sections: StringSections & { line?: Uint8Array };
  readonly compDir: string;
}

const SRC_LINE = 0;
const SRC_LINE_STR = 1;
const SRC_STR = 2;
const SRC_DECODED = 3;

/** A parsed line program header. */
export class LineProgram {
  readonly offset: number;
  readonly version: number;
  readonly addrSize: number;
  readonly minInst: number;
  readonly maxOps: number;
  readonly defaultIsStmt: boolean;
  readonly lineBase: number;
  readonly lineRange: number;
  readonly opcodeBase: number;
  readonly stdLengths: Uint8Array;
  readonly programStart: number;
  readonly programEnd: number;
  readonly compDir: string;
  /** Include directories, decoded (entry 0 is the compilation directory in DWARF 5). */
  readonly dirs: string[] = [];
  /** Per file: directory index. */
  readonly fileDir: number[] = [];
  /** Per file: where the name lives (section id) and its offset there. */
  private readonly fileSrc: number[] = [];
  private readonly filePos: number[] = [];
  private readonly fileDecoded: (string | undefined)[] = [];
  private readonly fullPaths: (string | undefined)[] = [];
  private readonly sections: StringSections & { line?: Uint8Array };
  private rowsCache: LineRows | undefined;

  constructor(u: LineUnit, offset: number) {
    const sec = u.sections.line;
    if (!sec) corrupt("unit has DW_AT_stmt_list but there is no .debug_line section");
    if (offset >= sec.length) corrupt(`.debug_line offset 0x${offset.toString(16)} out of range`);
    this.sections = u.sections;
    this.offset = offset;
    this.compDir = u.compDir;
    const r = new Reader(sec, offset);
    const { length, offsetSize } = r.initialLength();
    const end = r.pos + length;
    if (end > sec.length) corrupt(`line program at 0x${offset.toString(16)} runs past section`);
    this.programEnd = end;
    this.version = r.u16();
    if (this.version < 2 || this.version > 5) {
      corrupt(`unsupported line table version ${this.version} at 0x${offset.toString(16)}`);
    }
    let addrSize = u.addrSize;
    if (this.version >= 5) {
      addrSize = r.u8();
      r.u8(); // segment selector size
    }
    this.addrSize = addrSize;
    const headerLength = r.offset(offsetSize);
    this.programStart = r.pos + headerLength;
    this.minInst = r.u8();
    this.maxOps = this.version >= 4 ? r.u8() : 1;
    if (this.maxOps === 0) corrupt(`line program at 0x${offset.toString(16)} has max_ops 0`);
    this.defaultIsStmt = r.u8() !== 0;
    this.lineBase = r.i8();
    this.lineRange = r.u8();
    if (this.lineRange === 0) corrupt(`line program at 0x${offset.toString(16)} has line_range 0`);
    this.opcodeBase = r.u8();
    this.stdLengths = new Uint8Array(Math.max(this.opcodeBase, 1));
    for (let i = 1; i < this.opcodeBase; i++) this.stdLengths[i] = r.u8();

    if (this.version >= 5) {
      this.readV5Entries(r, u, offsetSize, true);
      this.readV5Entries(r, u, offsetSize, false);
    } else {
      this.dirs.push(u.compDir);
      while (sec[r.pos] !== 0) this.dirs.push(r.cstr());
      r.pos++;
      // File numbers start at 1 in DWARF <= 4: entry 0 is a placeholder for the primary file.
      this.fileSrc.push(SRC_DECODED);
      this.filePos.push(0);
      this.fileDecoded.push("");
      this.fileDir.push(0);
      while (sec[r.pos] !== 0) {
        this.fileSrc.push(SRC_LINE);
        this.filePos.push(r.pos);
        this.fileDecoded.push(undefined);
        r.skipCstr();
        this.fileDir.push(r.uleb());
        r.skipLeb();
        r.skipLeb();
      }
      r.pos++;
    }
  }

  private readV5Entries(r: Reader, u: LineUnit, offsetSize: number, dirs: boolean): void {
    const nFormats = r.u8();
    const kinds: number[] = [];
    const forms: number[] = [];
    for (let i = 0; i < nFormats; i++) {
      kinds.push(r.uleb());
      forms.push(r.uleb());
    }
    const count = r.uleb();
    for (let e = 0; e < count; e++) {
      let src = SRC_DECODED;
      let pos = 0;
      let decoded: string | undefined;
      let dir = 0;
      for (let k = 0; k < nFormats; k++) {
        const form = forms[k];
        const kind = kinds[k];
        if (kind === C.DW_LNCT_path) {
          switch (form) {
            case C.DW_FORM_string:
              src = SRC_LINE;
              pos = r.pos;
              r.skipCstr();
              break;
            case C.DW_FORM_line_strp:
              src = SRC_LINE_STR;
              pos = r.offset(offsetSize);
              break;
            case C.DW_FORM_strp:
              src = SRC_STR;
              pos = r.offset(offsetSize);
              break;
            case C.DW_FORM_strx:
            case C.DW_FORM_strx1:
            case C.DW_FORM_strx2:
            case C.DW_FORM_strx3:
            case C.DW_FORM_strx4: {
              const idx = form === C.DW_FORM_strx
                ? r.uleb()
                : form === C.DW_FORM_strx1
                ? r.u8()
                : form === C.DW_FORM_strx2
                ? r.u16()
                : form === C.DW_FORM_strx3
                ? r.u24()
                : r.u32();
              decoded = strIndex(u, idx);
              break;
            }
            default:
              corrupt(`unsupported form 0x${form.toString(16)} for DW_LNCT_path`);
          }
        } else if (kind === C.DW_LNCT_directory_index) {
          if (form === C.DW_FORM_data1) dir = r.u8();
          else if (form === C.DW_FORM_data2) dir = r.u16();
          else if (form === C.DW_FORM_udata) dir = r.uleb();
          else corrupt(`unsupported form 0x${form.toString(16)} for DW_LNCT_directory_index`);
        } else {
          skipLineForm(r, form, offsetSize);
        }
      }
      if (dirs) {
        this.dirs.push(decoded ?? this.decode(src, pos));
      } else {
        this.fileSrc.push(decoded !== undefined ? SRC_DECODED : src);
        this.filePos.push(pos);
        this.fileDecoded.push(decoded);
        this.fileDir.push(dir);
      }
    }
  }

  private decode(src: number, pos: number): string {
    switch (src) {
      case SRC_LINE:
        return cstringAt(this.sections.line!, pos);
      case SRC_LINE_STR:
        if (!this.sections.lineStr) {
          corrupt("line table uses DW_FORM_line_strp without .debug_line_str");
        }
        return cstringAt(this.sections.lineStr, pos);
      case SRC_STR:
        if (!this.sections.str) corrupt("line table uses DW_FORM_strp without .debug_str");
        return cstringAt(this.sections.str, pos);
    }
    return "";
  }

  /** Number of entries in the file table (indices 0..fileCount-1; v<5 entry 0 is unused). */
  get fileCount(): number {
    return this.fileSrc.length;
  }

  /** The file index of the first valid entry (1 for DWARF <= 4, 0 for DWARF 5). */
  get firstFile(): number {
    return this.version >= 5 ? 0 : 1;
  }

  /** File name as written in the table (may include directories). */
  fileName(i: number): string {
    if (i < 0 || i >= this.fileSrc.length) return "";
    let s = this.fileDecoded[i];
    if (s === undefined) {
      s = this.decode(this.fileSrc[i], this.filePos[i]);
      this.fileDecoded[i] = s;
    }
    return s;
  }

  /**
   * True when entry `i`'s name ends with `tail` (raw bytes) at a path-component boundary. Does not
   * allocate; used to filter file tables before decoding names.
   */
  fileNameEndsWith(i: number, tail: Uint8Array): boolean {
    const src = this.fileSrc[i];
    if (src === SRC_DECODED) {
      const s = this.fileDecoded[i] ?? "";
      return endsWithComponent(s, new TextDecoder().decode(tail));
    }
    const sec = src === SRC_LINE
      ? this.sections.line!
      : src === SRC_LINE_STR
      ? this.sections.lineStr
      : this.sections.str;
    if (!sec) return false;
    const start = this.filePos[i];
    let end = start;
    const n = sec.length;
    while (end < n && sec[end] !== 0) end++;
    const len = end - start;
    const tl = tail.length;
    if (len < tl) return false;
    for (let k = 1; k <= tl; k++) {
      if (sec[end - k] !== tail[tl - k]) return false;
    }
    return len === tl || sec[end - tl - 1] === 0x2f;
  }

  /** Full, normalized path of file entry `i` (directory and compilation directory applied). */
  filePath(i: number): string {
    let p = this.fullPaths[i];
    if (p !== undefined) return p;
    const name = this.fileName(i);
    if (name.startsWith("/")) p = normalizePath(name);
    else {
      const dirIdx = this.fileDir[i] ?? 0;
      // Directory 0 is the compilation directory (DWARF 5 spells it out, earlier versions imply
      // it); other relative directories are relative to it.
      const base = this.version >= 5 ? (this.dirs[0] ?? this.compDir) : this.compDir;
      let dir = dirIdx === 0 ? base : (this.dirs[dirIdx] ?? "");
      if (dirIdx !== 0 && !dir.startsWith("/")) dir = joinPath(base, dir);
      p = normalizePath(joinPath(dir, name));
    }
    this.fullPaths[i] = p;
    return p;
  }

  /** Runs the line program (cached). */
  rows(): LineRows {
    if (!this.rowsCache) this.rowsCache = this.run();
    return this.rowsCache;
  }

  private run(): LineRows {
    const sec = this.sections.line!;
    const r = new Reader(sec, this.programStart);
    const end = this.programEnd;
    let cap = Math.max(64, ((end - this.programStart) >> 1) | 0);
    let address = new Float64Array(cap);
    let file = new Uint32Array(cap);
    let line = new Uint32Array(cap);
    let column = new Uint32Array(cap);
    let flags = new Uint8Array(cap);
    let n = 0;

    const minInst = this.minInst;
    const maxOps = this.maxOps;
    const lineBase = this.lineBase;
    const lineRange = this.lineRange;
    const opcodeBase = this.opcodeBase;
    const std = this.stdLengths;
    const defaultStmt = this.defaultIsStmt ? ROW_STMT : 0;

    let addr = 0;
    let opIndex = 0;
    let f = 1;
    let l = 1;
    let col = 0;
    let fl = defaultStmt;
    let discriminator = 0;
    let discriminated = 0;

    const grow = () => {
      cap *= 2;
      const a2 = new Float64Array(cap);
      a2.set(address);
      address = a2;
      const f2 = new Uint32Array(cap);
      f2.set(file);
      file = f2;
      const l2 = new Uint32Array(cap);
      l2.set(line);
      line = l2;
      const c2 = new Uint32Array(cap);
      c2.set(column);
      column = c2;
      const g2 = new Uint8Array(cap);
      g2.set(flags);
      flags = g2;
    };
    const advance = (opAdvance: number) => {
      if (maxOps === 1) addr += minInst * opAdvance;
      else {
        addr += minInst * Math.floor((opIndex + opAdvance) / maxOps);
        opIndex = (opIndex + opAdvance) % maxOps;
      }
    };

    while (r.pos < end) {
      const op = sec[r.pos++];
      if (op >= opcodeBase) {
        const adj = op - opcodeBase;
        advance(Math.floor(adj / lineRange));
        const delta = lineBase + (adj % lineRange);
        l += delta;
        if (delta !== 0) discriminated = discriminator !== 0 ? ROW_DISCRIMINATED : 0;
        if (n === cap) grow();
        address[n] = addr;
        file[n] = f;
        line[n] = l;
        column[n] = col;
        flags[n] = fl | discriminated;
        n++;
        fl &= ~(ROW_BASIC_BLOCK | ROW_PROLOGUE_END | ROW_EPILOGUE_BEGIN);
        discriminator = 0;
        continue;
      }
      switch (op) {
        case 0: {
          const len = r.uleb();
          const next = r.pos + len;
          if (len === 0) break;
          const sub = sec[r.pos++];
          switch (sub) {
            case C.DW_LNE_end_sequence:
              if (n === cap) grow();
              address[n] = addr;
              file[n] = f;
              line[n] = l;
              column[n] = col;
              flags[n] = fl | ROW_END_SEQUENCE;
              n++;
              addr = 0;
              opIndex = 0;
              f = 1;
              l = 1;
              col = 0;
              fl = defaultStmt;
              discriminator = 0;
              discriminated = 0;
              break;
            case C.DW_LNE_set_address:
              addr = r.addr(len - 1 === 4 ? 4 : len - 1 === 8 ? 8 : this.addrSize);
              opIndex = 0;
              break;
            case C.DW_LNE_define_file:
              this.fileSrc.push(SRC_LINE);
              this.filePos.push(r.pos);
              this.fileDecoded.push(undefined);
              r.skipCstr();
              this.fileDir.push(r.uleb());
              break;
            case C.DW_LNE_set_discriminator:
              discriminator = r.uleb();
              if (discriminator !== 0) discriminated = ROW_DISCRIMINATED;
              break;
            default:
              break; // unknown: skipped by length
          }
          r.pos = next;
          break;
        }
        case C.DW_LNS_copy:
          if (n === cap) grow();
          address[n] = addr;
          file[n] = f;
          line[n] = l;
          column[n] = col;
          flags[n] = fl | discriminated;
          n++;
          fl &= ~(ROW_BASIC_BLOCK | ROW_PROLOGUE_END | ROW_EPILOGUE_BEGIN);
          discriminator = 0;
          break;
        case C.DW_LNS_advance_pc:
          advance(r.uleb());
          break;
        case C.DW_LNS_advance_line: {
          const delta = r.sleb();
          l += delta;
          if (delta !== 0) discriminated = discriminator !== 0 ? ROW_DISCRIMINATED : 0;
          break;
        }
        case C.DW_LNS_set_file:
          f = r.uleb();
          break;
        case C.DW_LNS_set_column:
          col = r.uleb();
          break;
        case C.DW_LNS_negate_stmt:
          fl ^= ROW_STMT;
          break;
        case C.DW_LNS_set_basic_block:
          fl |= ROW_BASIC_BLOCK;
          break;
        case C.DW_LNS_const_add_pc:
          advance(Math.floor((255 - opcodeBase) / lineRange));
          break;
        case C.DW_LNS_fixed_advance_pc:
          addr += r.u16();
          opIndex = 0;
          break;
        case C.DW_LNS_set_prologue_end:
          fl |= ROW_PROLOGUE_END;
          break;
        case C.DW_LNS_set_epilogue_begin:
          fl |= ROW_EPILOGUE_BEGIN;
          break;
        case C.DW_LNS_set_isa:
          r.skipLeb();
          break;
        default:
          for (let i = 0; i < std[op]; i++) r.skipLeb();
      }
    }
    return {
      count: n,
      address: address.subarray(0, n),
      file: file.subarray(0, n),
      line: line.subarray(0, n),
      column: column.subarray(0, n),
      flags: flags.subarray(0, n),
    };
  }
}

function skipLineForm(r: Reader, form: number, offsetSize: number): void {
  switch (form) {
    case C.DW_FORM_data1:
    case C.DW_FORM_strx1:
      r.pos += 1;
      return;
    case C.DW_FORM_data2:
    case C.DW_FORM_strx2:
      r.pos += 2;
      return;
    case C.DW_FORM_strx3:
      r.pos += 3;
      return;
    case C.DW_FORM_data4:
    case C.DW_FORM_strx4:
      r.pos += 4;
      return;
    case C.DW_FORM_data8:
      r.pos += 8;
      return;
    case C.DW_FORM_data16:
      r.pos += 16;
      return;
    case C.DW_FORM_udata:
    case C.DW_FORM_sdata:
    case C.DW_FORM_strx:
      r.skipLeb();
      return;
    case C.DW_FORM_string:
      r.skipCstr();
      return;
    case C.DW_FORM_line_strp:
    case C.DW_FORM_strp:
    case C.DW_FORM_sec_offset:
      r.pos += offsetSize;
      return;
    case C.DW_FORM_block:
      r.skip(r.uleb());
      return;
    case C.DW_FORM_block1:
      r.skip(r.u8());
      return;
    case C.DW_FORM_block2:
      r.skip(r.u16());
      return;
    case C.DW_FORM_block4:
      r.skip(r.u32());
      return;
  }
  corrupt(`unsupported form 0x${form.toString(16)} in line table entry format`);
}

/** Joins two path pieces with one slash. */
export function joinPath(a: string, b: string): string {
  if (!a) return b;
  if (!b) return a;
  if (b.startsWith("/")) return b;
  return a.endsWith("/") ? a + b : a + "/" + b;
}

/** Lexically normalizes a path: drops `.` and empty components and folds `dir/..`. */
export function normalizePath(p: string): string {
  const abs = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && out.length > 0 && out[out.length - 1] !== "..") out.pop();
    else if (part === ".." && abs) continue;
    else out.push(part);
  }
  return (abs ? "/" : "") + out.join("/");
}

/** True when `path` ends with `tail` at a component boundary (or equals it). */
export function endsWithComponent(path: string, tail: string): boolean {
  if (!path.endsWith(tail)) return false;
  return path.length === tail.length || path[path.length - tail.length - 1] === "/";
}
