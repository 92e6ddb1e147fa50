/** Load bias from maps lines and PT_LOAD segments. */
import { assertEquals } from "./assert.ts";
import { computeModuleOffsets, type LoadSegment } from "../lib/sysmon/bias.ts";
import { parseMapsLine } from "../lib/proc/maps.ts";

/** A typical PIE (gcc, -z separate-code): four PT_LOADs. */
const PIE: LoadSegment[] = [
  { offset: 0, vaddr: 0, filesz: 0x628 },
  { offset: 0x1000, vaddr: 0x1000, filesz: 0x2d1 },
  { offset: 0x2000, vaddr: 0x2000, filesz: 0x1cc },
  { offset: 0x2db8, vaddr: 0x3db8, filesz: 0x268 },
];

const line = (s: string) => parseMapsLine(`${s} fe:01 1234 /usr/bin/x`);

Deno.test("sysmon bias: PIE loaded at a random base", () => {
  const maps = [
    line("55f79fae0000-55f79fae1000 r--p 00000000"),
    line("55f79fae1000-55f79fae2000 r-xp 00001000"),
    line("55f79fae2000-55f79fae3000 r--p 00002000"),
    line("55f79fae3000-55f79fae4000 r--p 00002000"),
    line("55f79fae4000-55f79fae5000 rw-p 00003000"),
  ];
  assertEquals(computeModuleOffsets(maps, PIE), {
    bias: 0x55f79fae0000n,
    start: 0x55f79fae0000n,
    end: 0x55f79fae5000n,
  });
});

Deno.test("sysmon bias: order of the maps lines does not matter", () => {
  const maps = [
    line("7f0c5d3bf000-7f0c5d3c0000 r-xp 00001000"),
    line("7f0c5d3be000-7f0c5d3bf000 r--p 00000000"),
  ];
  assertEquals(computeModuleOffsets(maps, PIE)?.bias, 0x7f0c5d3be000n);
});

Deno.test("sysmon bias: only the text mapping present still gives the bias", () => {
  const maps = [line("7f0000101000-7f0000102000 r-xp 00001000")];
  assertEquals(computeModuleOffsets(maps, PIE)?.bias, 0x7f0000100000n);
});

Deno.test("sysmon bias: non-PIE executable has bias 0", () => {
  const exec: LoadSegment[] = [
    { offset: 0, vaddr: 0x400000, filesz: 0x500 },
    { offset: 0x1000, vaddr: 0x401000, filesz: 0x200 },
  ];
  const maps = [
    line("00400000-00401000 r--p 00000000"),
    line("00401000-00402000 r-xp 00001000"),
  ];
  assertEquals(computeModuleOffsets(maps, exec)?.bias, 0n);
});

Deno.test("sysmon bias: segment offset not page aligned", () => {
  // p_offset 0x2db8 lives in the mapping of file page 0x2000; vaddr 0x3db8 -> bias 0x1000 + base
  const data: LoadSegment[] = [{ offset: 0x2db8, vaddr: 0x3db8, filesz: 0x268 }];
  const maps = [line("555555557000-555555558000 r--p 00002000")];
  assertEquals(computeModuleOffsets(maps, data)?.bias, 0x555555554000n);
});

Deno.test("sysmon bias: no mapping lines up with a segment", () => {
  assertEquals(computeModuleOffsets([], PIE), undefined);
  assertEquals(
    computeModuleOffsets([line("7f0000000000-7f0000001000 r--s 00009000")], PIE),
    undefined,
  );
});
