/**
 * "Did you mean" helpers: edit distance and close-name selection.
 * @module
 */

/** Levenshtein distance, giving up (returning `limit + 1`) once it exceeds `limit`. */
export function editDistance(a: string, b: string, limit = Infinity): number {
  if (a === b) return 0;
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let prev = new Array<number>(b.length + 1);
  let cur = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    cur[0] = i;
    let rowMin = cur[0];
    const ca = a.charCodeAt(i - 1);
    for (let j = 1; j <= b.length; j++) {
      const cost = ca === b.charCodeAt(j - 1) ? 0 : 1;
      const v = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      cur[j] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > limit) return limit + 1;
    [prev, cur] = [cur, prev];
  }
  return prev[b.length];
}

/**
 * Names from `candidates` close to `name`: case-insensitive equality, small edit distance
 * (≤ 1 for short names, ≤ a third of the length otherwise), or a shared prefix of 4+ characters.
 * Best first, at most `max`.
 */
export function closeNames(name: string, candidates: Iterable<string>, max = 5): string[] {
  const lower = name.toLowerCase();
  const limit = Math.max(1, Math.floor(name.length / 3));
  const scored: { n: string; s: number }[] = [];
  const seen = new Set<string>();
  for (const c of candidates) {
    if (c === name || seen.has(c) || !c) continue;
    seen.add(c);
    const cl = c.toLowerCase();
    let s: number;
    if (cl === lower) s = 0;
    else {
      const d = editDistance(lower, cl, limit);
      if (d <= limit) s = d;
      else if (
        lower.length >= 4 && (cl.startsWith(lower) || lower.startsWith(cl) && cl.length >= 4)
      ) s = limit + 1;
      else continue;
    }
    scored.push({ n: c, s });
  }
  scored.sort((x, y) => x.s - y.s || x.n.length - y.n.length || (x.n < y.n ? -1 : 1));
  return scored.slice(0, max).map((x) => x.n);
}
