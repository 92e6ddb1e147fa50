import { assertEquals, assertRejects } from "./assert.ts";
import { loadSettings } from "../lib/config/load.ts";
import { OutputMode } from "../lib/config/settings.ts";
import { UsageError } from "../lib/errors.ts";

function tempDir(files: Record<string, string>): string {
  const dir = Deno.makeTempDirSync({ prefix: "gs-config-" });
  for (const [name, text] of Object.entries(files)) {
    Deno.mkdirSync(`${dir}/${name}`.replace(/\/[^/]+$/, ""), { recursive: true });
    Deno.writeTextFileSync(`${dir}/${name}`, text);
  }
  return dir;
}

Deno.test("precedence is CLI > environment > file > defaults", async () => {
  const dir = tempDir({ "ghostscope.yaml": "output: plain\nmax_events: 10\nduration: 3\n" });
  const { settings, configFile } = await loadSettings({
    cli: { maxEvents: 2 },
    env: { GHOSTSCOPE_OUTPUT: "json" },
    cwd: dir,
  });
  assertEquals(configFile, `${dir}/ghostscope.yaml`);
  assertEquals(settings.output, OutputMode.Json);
  assertEquals(settings.maxEvents, 2);
  assertEquals(settings.durationSeconds, 3);
  assertEquals(settings.status, true);
});

Deno.test("the home config is used when the working directory has none", async () => {
  const home = tempDir({ ".config/ghostscope/config.yaml": "status: false\n" });
  const cwd = tempDir({});
  const { settings } = await loadSettings({ cli: {}, env: {}, cwd, home });
  assertEquals(settings.status, false);
});

Deno.test("an unknown key in the config file is an error naming the key", async () => {
  const dir = tempDir({ "ghostscope.yaml": "outptu: json\n" });
  await assertRejects(
    () => loadSettings({ cli: {}, env: {}, cwd: dir }),
    UsageError,
    "unknown key 'outptu'",
  );
});

Deno.test("bad values name their source", async () => {
  const dir = tempDir({ "g.yaml": "ringbuf_size: 5000\n" });
  await assertRejects(
    () => loadSettings({ cli: {}, env: {}, cwd: dir, configPath: `${dir}/g.yaml` }),
    UsageError,
    "ringbuf_size: ring buffer size must be a power of two",
  );
  await assertRejects(
    () => loadSettings({ cli: {}, env: { GHOSTSCOPE_MAX_EVENTS: "many" }, cwd: dir }),
    UsageError,
    "GHOSTSCOPE_MAX_EVENTS expects a positive integer",
  );
  await assertRejects(
    () => loadSettings({ cli: {}, env: {}, cwd: dir, configPath: `${dir}/missing.yaml` }),
    UsageError,
    "does not exist",
  );
});
