/**
 * The shared objects the artifact carries: EMPTY in the source tree. `scripts/build.sh` replaces
 * this file, in a staging copy of the tree it bundles and compiles (never in the repository), with
 * a generated module holding Debian's libz, libelf and libbpf (base64), dependencies first. Run
 * from source, ghostscope therefore uses the host's libbpf.so.1 (see library_loader.ts).
 */
import type { EmbeddedLibrary } from "./library_loader.ts";

/** Dependencies first: each is loaded before the libraries that need it. */
export const EMBEDDED_LIBRARIES: readonly EmbeddedLibrary[] = [];
