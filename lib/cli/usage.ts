/** The text of `ghostscope --help` and `--version`. */

/** Version of this build; bumped by hand on release. */
export const VERSION = "0.1.0";

/** Usage text printed by `--help`. */
export const USAGE =
  `ghostscope ${VERSION} — printf debugging for live processes, through eBPF uprobes

USAGE
  ghostscope -p PID (-s SCRIPT | --script-file FILE) [options]
  ghostscope -t PATH [-p PID] (-s SCRIPT | --script-file FILE) [options]
  ghostscope pid-info PID [--json]
  ghostscope vars TARGET (-p PID | -t PATH) [--json]   what a probe at TARGET can read, and why not
  ghostscope funcs PATTERN (-p PID | -t PATH) [--json] functions to probe ('handle_*')
  ghostscope lines FILE (-p PID | -t PATH) [--json]    lines of FILE that have code

  -p, --pid PID            trace this process; PID as ps shows it in the shell where you run
                           ghostscope (host or container: ghostscope does the translation)
  -t, --target PATH        trace every process that maps this executable or shared library,
                           including processes that start later
  -s, --script SCRIPT      the script, e.g. 'trace add { print "a={} b={}", a, b; }'
      --script-file FILE   read the script from FILE
      --output MODE        pretty (default), plain (payload only) or json (one object per line)
      --max-events N       stop after N events
      --duration SECONDS   stop after this long (5, 2.5, 500ms, 1m)
      --emit-ready-marker TEXT
                           print TEXT on its own line on stdout once every probe is attached
      --no-status          no status lines on stderr
      --ringbuf-size BYTES event ring buffer size (power of two, default 8388608)
      --backtrace-depth N  frames a bt statement shows at most (1..128, default 128)
      --no-sysmon          do not follow process lifecycles (exec/fork/exit/mmap); globals of
                           other modules: -p uses the maps at start, -t shows them unavailable
      --module PATH        also look up script globals in this library (one the target
                           dlopen's later: its globals are read once it is mapped)
      --debug-file PATH    DWARF for the executable (or for the library whose build-id it has);
                           default: embedded, .gnu_debuglink, /usr/lib/debug/.build-id
      --allow-debug-mismatch
                           use a debug file even if its CRC32 or build-id does not match
      --config FILE        YAML config (default ./ghostscope.yaml, then
                           ~/.config/ghostscope/config.yaml); CLI > environment > file
  -h, --help               this text
  -V, --version            the version

SCRIPT
  trace FUNCTION { ... }   trace file.c:LINE { ... }   trace 0xADDR { ... }   trace lib.so:0xADDR
  file.c:LINE and variables need DWARF (-g, or the -dbgsym/-dbg package); functions do not
  trace handle_* { ... } (every match, at most 256)   trace FUNCTION:return { ... } ($retval,
  $duration: ns since the call, entry(x): parameter x as it was at entry)
  print "x={} y={:x}", x, y;   print expr;   let v = expr;   if c { } else if c { } else { }
  builtins: $pid $tid (target's namespace view) $host_pid $input_pid $timestamp $func

Events go to stdout, status and errors to stderr. Exit codes: 0 ok, 1 runtime failure,
2 usage or input error. Needs root (CAP_SYS_ADMIN; CAP_SYS_PTRACE for others' processes).`;
