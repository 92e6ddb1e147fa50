/**
 * Shell-style name patterns for function targets and `ghostscope funcs`: `*` matches any run of
 * characters, `?` one character; everything else is literal. A name without `*` or `?` is not
 * a pattern.
 * @module
 */

/** True when `name` holds a wildcard (`handle_*`, `w_?`). */
export function isPattern(name: string): boolean {
  return /[*?]/.test(name);
}

/** The anchored regular expression of `pattern`. */
export function patternRegExp(pattern: string): RegExp {
  let source = "";
  for (const ch of pattern) {
    if (ch === "*") source += ".*";
    else if (ch === "?") source += ".";
    else source += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/** Names of `names` that `pattern` matches, sorted, without duplicates. */
export function matchNames(pattern: string, names: Iterable<string>): string[] {
  const re = patternRegExp(pattern);
  const out = new Set<string>();
  for (const n of names) if (re.test(n)) out.add(n);
  return [...out].sort();
}
