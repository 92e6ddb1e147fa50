/** Text rendering of the discovery reports (`--json` prints the reports themselves). */
import type { FuncEntry } from "./funcs.ts";
import type { LinesReport } from "./lines.ts";
import type { VarEntry, VarsReport } from "./vars.ts";

const hex = (n: number) => `0x${n.toString(16)}`;
const base = (p: string) => p.slice(p.lastIndexOf("/") + 1);

/** `vars`: one section per probe site. */
export function renderVars(r: VarsReport): string {
  const out: string[] = [];
  for (const s of r.sites) {
    const inl = s.inlined.length ? ` (inlined ${s.inlined.join(" in ")})` : "";
    out.push(`${r.target} at ${base(s.module)}+${hex(s.address)} in ${s.function ?? "?"}${inl}`);
    if (s.missing !== undefined) {
      out.push(`  no variables: ${s.missing}`);
      continue;
    }
    section(out, "parameters", s.variables.filter((v) => v.kind === "parameter"));
    section(out, "locals", s.variables.filter((v) => v.kind !== "parameter"));
    section(out, "globals", s.globals);
  }
  return out.join("\n");
}

function section(out: string[], title: string, vars: VarEntry[]): void {
  out.push(`  ${title}:${vars.length === 0 ? " none" : ""}`);
  const decl = vars.map((v) => `${v.type}${v.type.endsWith("*") ? "" : " "}${v.name}`);
  const width = Math.min(40, Math.max(0, ...decl.map((d) => d.length)));
  vars.forEach((v, i) => {
    const where = v.readable
      ? `${v.storage} ${v.where}${v.why ? ` (${v.why})` : ""}`
      : `${v.storage === "optimized-out" ? "optimized out" : v.storage}: ${v.why}`;
    out.push(`    ${decl[i].padEnd(width)}  ${where}`);
  });
}

/** `funcs`: one line per function. */
export function renderFuncs(pattern: string, funcs: FuncEntry[]): string {
  if (funcs.length === 0) return `no function matches '${pattern}'`;
  const width = Math.min(40, Math.max(...funcs.map((f) => f.name.length)));
  return funcs.map((f) => {
    const at = f.probes.map(hex).join(", ");
    const inl = f.inlinedInto.length ? `  inlined into ${f.inlinedInto.join(", ")}` : "";
    const decl = f.declared ? `  ${f.declared}` : "";
    return `${f.name.padEnd(width)}  ${base(f.module)}+${at}${decl}${inl}`;
  }).join("\n");
}

/** `lines`: one row per line with code. */
export function renderLines(r: LinesReport): string {
  const head = `${r.file} (${base(r.module)}): ${r.lines.length} lines with code`;
  const rows = r.lines.map((l) => {
    const at = l.addresses.map(hex).join(",");
    const src = l.source === undefined ? "" : `  | ${l.source.trim()}`;
    return `${String(l.line).padStart(5)}  ${at.padEnd(16)} ${l.functions.join(",")}${src}`;
  });
  return [head, ...rows].join("\n");
}
