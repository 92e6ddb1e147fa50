/** The -t status line: rate-limited, last count always shown. */
import { assertEquals } from "./assert.ts";
import { followedText, FollowStatus } from "../lib/session/follow_status.ts";

Deno.test("sysmon follow status: changes printed at most once per interval", () => {
  let now = 0;
  const lines: string[] = [];
  const s = new FollowStatus((t) => lines.push(t), "/bin/app", 1000, () => now);
  s.update(1);
  s.update(2);
  now = 500;
  s.update(3);
  s.flush();
  assertEquals(lines, ["following 1 process that map /bin/app"]);
  now = 1000;
  s.flush();
  assertEquals(lines.at(-1), "following 3 processes that map /bin/app");
  now = 5000;
  s.flush(); // nothing new
  s.update(3);
  assertEquals(lines.length, 2);
  s.update(0);
  assertEquals(lines.at(-1), "following 0 processes that map /bin/app");
});

Deno.test("sysmon follow status: plural", () => {
  assertEquals([followedText(0), followedText(1), followedText(2)], [
    "0 processes",
    "1 process",
    "2 processes",
  ]);
});
