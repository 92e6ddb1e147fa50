/**
 * Test support for lib/dwarf (helpers only, no tests of its own): a minimal ELF64 section
 * extractor (inflating SHF_COMPRESSED sections), fixture builds with gcc, and a gdb runner used
 * as the oracle. Deliberately independent of lib/elf.
 */

import { inflateSync } from "node:zlib";
import { type DwarfInfo, type DwarfSections, loadDwarf } from "../lib/dwarf/index.ts";

const FIXTURES = new URL("./fixtures/dwarf/", import.meta.url).pathname;

/** One ELF section. */
export interface ElfSection {
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
}

/** A parsed ELF64 little-endian file. */
export interface ElfFile {
  bytes: Uint8Array;
  sections: ElfSection[];
  /** Section contents (decompressed when SHF_COMPRESSED), undefined for NOBITS or missing. */
  data(name: string): Uint8Array | undefined;
}

const SHT_NOBITS = 8;
const SHF_COMPRESSED = 0x800;

/** Reads an ELF64 file's section headers. */
export function readElf(path: string): ElfFile {
  const bytes = Deno.readFileSync(path);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, false) !== 0x7f454c46 || bytes[4] !== 2 || bytes[5] !== 1) {
    throw new Error(`${path}: not a little-endian ELF64 file`);
  }
  const u64 = (o: number) => Number(dv.getBigUint64(o, true));
  const shoff = u64(0x28);
  const shentsize = dv.getUint16(0x3a, true);
  const shnum = dv.getUint16(0x3c, true);
  const shstrndx = dv.getUint16(0x3e, true);
  const raw: (ElfSection & { nameOff: number })[] = [];
  for (let i = 0; i < shnum; i++) {
    const o = shoff + i * shentsize;
    raw.push({
      nameOff: dv.getUint32(o, true),
      name: "",
      type: dv.getUint32(o + 4, true),
      flags: u64(o + 8),
      addr: u64(o + 16),
      offset: u64(o + 24),
      size: u64(o + 32),
    });
  }
  const strtab = raw[shstrndx];
  for (const s of raw) {
    let end = strtab.offset + s.nameOff;
    while (bytes[end] !== 0) end++;
    s.name = new TextDecoder().decode(bytes.subarray(strtab.offset + s.nameOff, end));
  }
  const cache = new Map<string, Uint8Array | undefined>();
  return {
    bytes,
    sections: raw,
    data(name: string) {
      if (cache.has(name)) return cache.get(name);
      const s = raw.find((x) => x.name === name);
      let out: Uint8Array | undefined;
      if (s && s.type !== SHT_NOBITS) {
        out = bytes.subarray(s.offset, s.offset + s.size);
        if (s.flags & SHF_COMPRESSED) {
          const chType = new DataView(out.buffer, out.byteOffset).getUint32(0, true);
          if (chType !== 1) throw new Error(`${path}: ${name}: unsupported compression ${chType}`);
          out = new Uint8Array(inflateSync(out.subarray(24)));
        }
      }
      cache.set(name, out);
      return out;
    },
  };
}

/** Address of a symbol in .symtab or .dynsym. */
export function symbolAddress(elf: ElfFile, name: string): number | undefined {
  for (const [tab, strs] of [[".symtab", ".strtab"], [".dynsym", ".dynstr"]]) {
    const sym = elf.data(tab);
    const str = elf.data(strs);
    if (!sym || !str) continue;
    const dv = new DataView(sym.buffer, sym.byteOffset, sym.byteLength);
    for (let o = 0; o + 24 <= sym.length; o += 24) {
      const n = dv.getUint32(o, true);
      let e = n;
      while (str[e] !== 0) e++;
      if (e - n !== name.length) continue;
      if (new TextDecoder().decode(str.subarray(n, e)) !== name) continue;
      const v = Number(dv.getBigUint64(o + 8, true));
      if (v !== 0) return v;
    }
  }
  return undefined;
}

/**
 * DwarfSections of an ELF file. `frames` optionally names another ELF to take `.eh_frame` from
 * (separate debug files have it as NOBITS).
 */
export function dwarfSections(elf: ElfFile, frames: ElfFile = elf): DwarfSections {
  const eh = frames.sections.find((s) => s.name === ".eh_frame");
  return {
    info: elf.data(".debug_info")!,
    abbrev: elf.data(".debug_abbrev")!,
    str: elf.data(".debug_str"),
    lineStr: elf.data(".debug_line_str"),
    strOffsets: elf.data(".debug_str_offsets"),
    addr: elf.data(".debug_addr"),
    ranges: elf.data(".debug_ranges"),
    rnglists: elf.data(".debug_rnglists"),
    loc: elf.data(".debug_loc"),
    loclists: elf.data(".debug_loclists"),
    line: elf.data(".debug_line"),
    ehFrame: frames.data(".eh_frame"),
    ehFrameAddr: eh?.addr,
    debugFrame: elf.data(".debug_frame"),
  };
}

/** Loads the DWARF of an ELF file. */
export function loadElfDwarf(path: string): DwarfInfo {
  return loadDwarf(dwarfSections(readElf(path)));
}

let tmpRoot: string | undefined;
const builds = new Map<string, string>();

/** Compiles the fixture program (server.c + util.c) with `flags`; cached per flag set. */
export function buildFixture(flags: string[]): string {
  const key = flags.join(" ");
  const hit = builds.get(key);
  if (hit) return hit;
  if (!tmpRoot) {
    const dir = Deno.makeTempDirSync({ prefix: "ghostscope-dwarf-" });
    tmpRoot = dir;
    globalThis.addEventListener("unload", () => {
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch {
        // already gone
      }
    });
  }
  const out = `${tmpRoot}/srv${builds.size}`;
  const r = new Deno.Command("gcc", {
    args: [...flags, "-I", FIXTURES, "-o", out, `${FIXTURES}server.c`, `${FIXTURES}util.c`],
    stdout: "piped",
    stderr: "piped",
  }).outputSync();
  if (!r.success) throw new Error(`gcc ${key} failed: ${new TextDecoder().decode(r.stderr)}`);
  builds.set(key, out);
  return out;
}

/** The standard fixture builds: -O0/-O2 × DWARF 5/4, and the 64-bit DWARF format. */
export const VARIANTS: { label: string; flags: string[] }[] = [
  { label: "O0 dwarf5", flags: ["-g", "-O0"] },
  { label: "O2 dwarf5", flags: ["-g", "-O2"] },
  { label: "O0 dwarf4", flags: ["-g", "-gdwarf-4", "-O0"] },
  { label: "O2 dwarf4", flags: ["-g", "-gdwarf-4", "-O2"] },
  { label: "O2 dwarf5 64-bit", flags: ["-g", "-gdwarf64", "-O2"] },
];

/** Runs gdb in batch mode on `binary` with each command as an `-ex`. */
export function gdb(binary: string, ...commands: string[]): string {
  const args = ["-batch", "-nx", "-q"];
  for (const c of commands) args.push("-ex", c);
  args.push(binary);
  const r = new Deno.Command("gdb", { args, stdout: "piped", stderr: "piped" }).outputSync();
  return new TextDecoder().decode(r.stdout) + new TextDecoder().decode(r.stderr);
}

/** Absolute path of a fixture source file. */
export function fixturePath(name: string): string {
  return FIXTURES + name;
}

/** The 1-based line of the first line of `file` containing `text`. */
export function lineOf(file: string, text: string, nth = 1): number {
  const lines = Deno.readTextFileSync(fixturePath(file)).split("\n");
  let seen = 0;
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].includes(text) && ++seen === nth) return i + 1;
  }
  throw new Error(`${file}: no line containing ${JSON.stringify(text)}`);
}
