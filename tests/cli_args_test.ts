import { assertEquals, assertThrows } from "./assert.ts";
import { parseCli } from "../lib/cli/args.ts";
import { UsageError } from "../lib/errors.ts";
import { OutputMode } from "../lib/config/settings.ts";

Deno.test("parses a -p run with every option", () => {
  const req = parseCli([
    "-p",
    "42",
    "-s",
    "trace f { print 1; }",
    "--output",
    "json",
    "--max-events",
    "5",
    "--duration",
    "500ms",
    "--emit-ready-marker",
    "READY",
    "--no-status",
  ]);
  assertEquals(req.kind, "trace");
  if (req.kind !== "trace") return;
  assertEquals(req.trace.pidText, "42");
  assertEquals(req.trace.script.source, "trace f { print 1; }");
  assertEquals(req.trace.settings, {
    output: OutputMode.Json,
    maxEvents: 5,
    durationSeconds: 0.5,
    readyMarker: "READY",
    status: false,
  });
});

Deno.test("pid-info takes one PID and --json", () => {
  assertEquals(parseCli(["pid-info", "7", "--json"]), {
    kind: "pid-info",
    pidText: "7",
    json: true,
  });
  assertThrows(() => parseCli(["pid-info"]), UsageError, "usage: ghostscope pid-info PID");
});

Deno.test("rejects malformed input with one clear message", () => {
  const cases: Array<[string[], string]> = [
    [["-s", "x"], "nothing to trace"],
    [["-p", "1"], "no script"],
    [["-p", "1", "-s", "x", "--script-file", "y"], "not both"],
    [["-p", "1", "-s", "x", "--bogus"], "unknown option '--bogus'"],
    [["-p", "1", "-s", "x", "--max-events", "-3"], "does not start with '-'"],
    [["-p", "1", "-s", "x", "--max-events", "2.5"], "--max-events expects a positive integer"],
    [["-p", "1", "-s", "x", "--max-events", "0"], "--max-events expects a positive integer"],
    [["-p", "1", "-s", "x", "--duration", "soon"], "--duration expects seconds"],
    [["-p", "1", "-s", "x", "--output", "xml"], "unknown output mode 'xml'"],
    [["-p", "1", "--script-file", "/nonexistent/s.gs"], "cannot read script file"],
    [["-p", "1", "-s", "x", "stray"], "unexpected argument 'stray'"],
  ];
  for (const [argv, message] of cases) {
    const err = assertThrows(() => parseCli(argv), UsageError);
    assertEquals(err.message.includes(message), true, `${argv.join(" ")} -> ${err.message}`);
    assertEquals(err.message.includes("\n"), false, "one line");
  }
});
