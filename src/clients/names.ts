/**
 * How clients are matched: by a key in which case, spacing, accents and punctuation do not
 * count ("ACME  Foods", "Acme Fóods" and "acme-foods" are one client), and how a near miss is
 * found ("Acme Food" for "Acme Foods"), so a typo is offered the existing client rather than
 * silently starting a new one.
 */

/** The matching key of a client name: letters and digits of any script, lower case, one space between words. */
export function clientKey(name: string): string {
  return (
    name
      .normalize('NFKD')
      .replace(/\p{M}+/gu, '')
      .toLowerCase()
      // Dots and apostrophes join ("B.V." is "bv", "O'Neil" is "oneil"); other marks separate words.
      .replace(/[.'’`]/g, '')
      .replace(/[^\p{L}\p{N}]+/gu, ' ')
      .trim()
  );
}

/** Edits (insert, delete, substitute, swap two neighbours) from a to b, or `max + 1` once over `max`. */
export function editDistance(a: string, b: string, max: number): number {
  if (Math.abs(a.length - b.length) > max) return max + 1;
  let prevPrev: number[] = [];
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    let best = i;
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] as number) + 1, (row[j - 1] as number) + 1, (prev[j - 1] as number) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1])
        d = Math.min(d, (prevPrev[j - 2] as number) + 1);
      row.push(d);
      best = Math.min(best, d);
    }
    if (best > max) return max + 1;
    prevPrev = prev;
    prev = row;
  }
  return prev[b.length] as number;
}

/** How many edits still count as a typo of a key this long. */
const tolerance = (key: string) => (key.length <= 4 ? 1 : key.length <= 12 ? 2 : 3);

/**
 * The known clients a typed key probably means: a few typing mistakes away, or the same words
 * with one more or one fewer ("Acme" for "Acme Foods"). Closest first.
 */
export function nearMisses<C extends { key: string }>(key: string, known: readonly C[]): C[] {
  const words = new Set(key.split(' '));
  const digits = key.replace(/\D/g, '');
  const scored: Array<{ client: C; score: number }> = [];
  for (const client of known) {
    if (client.key === key) continue;
    // Numbers are names, not typos: "Store 2" is not a near miss of "Store 1".
    if (client.key.replace(/\D/g, '') !== digits) continue;
    const d = editDistance(key, client.key, tolerance(key));
    if (d <= tolerance(key)) {
      scored.push({ client, score: d });
      continue;
    }
    const theirs = client.key.split(' ');
    const shared = theirs.filter((w) => words.has(w)).length;
    const contained = shared === Math.min(words.size, theirs.length) && shared > 0;
    if (
      contained &&
      Math.abs(words.size - theirs.length) === 1 &&
      Math.max(key.length, client.key.length) >= 4
    )
      scored.push({ client, score: tolerance(key) + 1 });
  }
  return scored.sort((a, b) => a.score - b.score).map((s) => s.client);
}
