/** The libbpf line of `ghostscope --version`: which libbpf this run uses, and where it came from. */
import { libbpfVersion } from "../../ffi/libbpf.ts";
import { LibbpfOrigin } from "../../ffi/library_loader.ts";

/** `libbpf 1.1 (embedded: Debian libbpf1 1:1.1.2-0+deb12u1)`; throws when libbpf cannot load. */
export function libbpfVersionLine(): string {
  const v = libbpfVersion();
  const from = v.origin === LibbpfOrigin.Embedded
    ? `embedded: Debian ${v.detail}`
    : v.origin === LibbpfOrigin.Override
    ? `${LibbpfOrigin.Override}=${v.detail}`
    : `system ${v.detail}`;
  return `libbpf ${v.major}.${v.minor} (${from})`;
}
