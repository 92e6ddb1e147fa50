/**
 * "Did you mean" ranking: picks the names closest to a misspelt one by case-insensitive equality,
 * substring containment and bounded Levenshtein distance.
 *
 * @module
 */

/**
 * Levenshtein distance between `a` and `b` (insertions, deletions, substitutions cost 1), or
 * `max + 1` as soon as the distance is known to exceed `max`.
 */
export function editDistance(a: string, b: string, max = Infinity): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  if (a.length > b.length) [a, b] = [b, a];
  const n = a.length;
  let prev = new Array<number>(n + 1);
  let cur = new Array<number>(n + 1);
  for (let i = 0; i <= n; i++) prev[i] = i;
  for (let j = 1; j <= b.length; j++) {
    cur[0] = j;
    let rowMin = j;
    const bj = b.charCodeAt(j - 1);
    for (let i = 1; i <= n; i++) {
      const cost = a.charCodeAt(i - 1) === bj ? 0 : 1;
      const v = Math.min(prev[i] + 1, cur[i - 1] + 1, prev[i - 1] + cost);
      cur[i] = v;
      if (v < rowMin) rowMin = v;
    }
    if (rowMin > max) return max + 1;
    [prev, cur] = [cur, prev];
  }
  return prev[n];
}

/** Largest edit distance still offered as a suggestion for a query of this length. */
export function suggestionThreshold(queryLength: number): number {
  return Math.max(2, Math.floor(queryLength / 3));
}

/**
 * Up to `n` candidates closest to `query`, best first. Ranking: same name ignoring case, then names
 * containing the query (or contained in it, when at least 3 characters long), closer lengths
 * first, then names within {@link suggestionThreshold} edits. Ties break alphabetically. The query
 * itself is never returned; duplicates in `candidates` are ignored.
 */
export function closeMatches(query: string, candidates: Iterable<string>, n: number): string[] {
  if (n <= 0 || query.length === 0) return [];
  const q = query.toLowerCase();
  const max = suggestionThreshold(q.length);
  const scored = new Map<string, number>();
  for (const c of candidates) {
    if (c === query || c.length === 0 || scored.has(c)) continue;
    const lc = c.toLowerCase();
    let score: number;
    if (lc === q) {
      score = 0;
    } else if (lc.includes(q) || (lc.length >= 3 && q.includes(lc))) {
      score = 1 + Math.abs(lc.length - q.length) / 1e6;
    } else {
      const d = editDistance(q, lc, max);
      if (d > max) continue;
      score = 2 + d;
    }
    scored.set(c, score);
  }
  return [...scored.entries()]
    .sort((x, y) => x[1] - y[1] || (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0))
    .slice(0, n)
    .map(([c]) => c);
}
