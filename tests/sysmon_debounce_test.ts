/** Per-key debouncing with a maximum wait. */
import { assertEquals } from "./assert.ts";
import { Debouncer } from "../lib/sysmon/debounce.ts";

Deno.test("sysmon debounce: due after the quiet time, once", () => {
  const d = new Debouncer<number>(50, 250);
  d.touch(7, 0);
  d.touch(7, 30);
  assertEquals(d.due(60), []);
  assertEquals(d.due(80), [7]);
  assertEquals(d.due(200), []);
  assertEquals(d.size, 0);
});

Deno.test("sysmon debounce: a key touched continuously is due at the maximum wait", () => {
  const d = new Debouncer<number>(50, 250);
  for (let t = 0; t < 250; t += 20) {
    d.touch(1, t);
    assertEquals(d.due(t), []);
  }
  d.touch(1, 250);
  assertEquals(d.due(250), [1]);
});

Deno.test("sysmon debounce: keys are independent; cancel forgets one", () => {
  const d = new Debouncer<string>(50, 250);
  d.touch("a", 0);
  d.touch("b", 40);
  d.touch("c", 0);
  d.cancel("c");
  assertEquals(d.due(55), ["a"]);
  assertEquals(d.due(95), ["b"]);
});
