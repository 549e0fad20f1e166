import { normalizeWords } from '../../contracts/words.js';

/**
 * What was meant to be said against what a recognizer heard: the fraction of the expected words (as
 * a multiset) that occur in what was heard; 1 means all of them.
 */
export function wordOverlap(expected: string, heard: string): number {
  const want = normalizeWords(expected);
  if (want.length === 0) return 1;
  const have = new Map<string, number>();
  for (const w of normalizeWords(heard)) have.set(w, (have.get(w) ?? 0) + 1);
  let found = 0;
  for (const w of want) {
    const n = have.get(w) ?? 0;
    if (n > 0) {
      found++;
      have.set(w, n - 1);
    }
  }
  return found / want.length;
}
