// "Did you mean": the closest known names to a misspelt one, for error
// messages (environment names, config keys, commands, flags). Names are
// compared with case, "_" and "-" dropped, so batch_size finds batchSize;
// then by edit distance (optimal string alignment: a swap of two neighbours
// is one edit), keeping names within a third of the longer one's length.

function fold(s: string): string {
  return s.toLowerCase().replace(/[_\-\s]/g, "");
}

/** Edits (insert, delete, substitute, swap neighbours) between a and b. */
export function editDistance(a: string, b: string): number {
  const m = a.length, n = b.length;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2]! + 1);
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n]!;
}

/**
 * The known names closest to `name`, best first (at most `max`). `aliases`
 * maps other spellings (XuanCe's learning_rate, pymarl's t_max) to a known
 * name; an alias that matches wins outright.
 */
export function suggest(name: string, known: readonly string[], aliases: Readonly<Record<string, string>> = {}, max = 3): string[] {
  const f = fold(name);
  for (const [alias, target] of Object.entries(aliases)) if (fold(alias) === f && known.includes(target)) return [target];
  const scored = known.map((k) => ({ k, d: editDistance(f, fold(k)) }))
    .filter(({ k, d }) => d <= Math.max(1, Math.floor(Math.max(f.length, fold(k).length) / 3)))
    .sort((x, y) => x.d - y.d || x.k.localeCompare(y.k));
  // The same name spelt another way (batch_size for batchSize) is the answer, not one of several.
  if (scored[0]?.d === 0) return scored.filter((s) => s.d === 0).map((s) => s.k).slice(0, max);
  // A prefix ("smaclite" for "smaclite/2s3z") is a fair guess too.
  const prefixed = known.filter((k) => f.length >= 3 && fold(k).startsWith(f) && !scored.some((s) => s.k === k));
  return [...scored.map((s) => s.k), ...prefixed].slice(0, max);
}

/** ` Did you mean "x"?` (or "x" or "y"), or "" when nothing is close. */
export function didYouMean(name: string, known: readonly string[], aliases: Readonly<Record<string, string>> = {}): string {
  const s = suggest(name, known, aliases);
  if (s.length === 0) return "";
  return ` Did you mean ${s.map((x) => JSON.stringify(x)).join(" or ")}?`;
}
