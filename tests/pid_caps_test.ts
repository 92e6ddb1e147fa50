import { assertEquals } from "./assert.ts";
import {
  type CapsProbe,
  describeHelper,
  detectKernelCaps,
  FORCE_NO_NS_HELPER_ENV,
} from "../lib/pid/caps.ts";

const YES: CapsProbe = { ringbuf: () => true, nsPidHelper: () => true };
const NO_HELPER: CapsProbe = { ringbuf: () => true, nsPidHelper: () => false };
const THROWS: CapsProbe = {
  ringbuf: () => {
    throw new Error("bpf(BPF_MAP_CREATE): EPERM");
  },
  nsPidHelper: () => {
    throw new Error("libbpf_probe_bpf_helper: EPERM");
  },
};
const env = (values: Record<string, string>) => (name: string) => values[name];

Deno.test("caps: helper available", () => {
  const c = detectKernelCaps({ probe: YES, getEnv: env({}) });
  assertEquals(c, {
    ringbuf: true,
    nsPidHelper: true,
    nsPidHelperProbed: true,
    nsHelperForcedOff: false,
    probeErrors: [],
  });
  assertEquals(describeHelper(c), "available");
});

Deno.test("caps: helper missing on the kernel", () => {
  const c = detectKernelCaps({ probe: NO_HELPER, getEnv: env({}) });
  assertEquals([c.nsPidHelper, c.nsPidHelperProbed, c.nsHelperForcedOff], [false, false, false]);
  assertEquals(describeHelper(c), "unavailable on this kernel");
});

Deno.test("caps: GHOSTSCOPE_FORCE_NO_NS_HELPER=1 forces it off and says so", () => {
  const c = detectKernelCaps({ probe: YES, getEnv: env({ [FORCE_NO_NS_HELPER_ENV]: "1" }) });
  assertEquals([c.nsPidHelper, c.nsPidHelperProbed, c.nsHelperForcedOff], [false, true, true]);
  assertEquals(
    describeHelper(c),
    "forced off by GHOSTSCOPE_FORCE_NO_NS_HELPER (the kernel has it)",
  );
  const notForced = detectKernelCaps({
    probe: YES,
    getEnv: env({ [FORCE_NO_NS_HELPER_ENV]: "0" }),
  });
  assertEquals(notForced.nsPidHelper, true);
});

Deno.test("caps: a probe that cannot run counts as unavailable and is reported", () => {
  const c = detectKernelCaps({ probe: THROWS, getEnv: env({}) });
  assertEquals([c.ringbuf, c.nsPidHelper, c.nsPidHelperProbed], [false, false, undefined]);
  assertEquals(c.probeErrors.length, 2);
  assertEquals(describeHelper(c), "unknown (the probe could not run)");
});

Deno.test("caps: the real kernel (root) has ring buffers and the helper", () => {
  if (Deno.uid() !== 0) return;
  const c = detectKernelCaps({ getEnv: env({}) });
  assertEquals(c.probeErrors, []);
  assertEquals(c.ringbuf, true);
  assertEquals(c.nsPidHelper, true);
});
