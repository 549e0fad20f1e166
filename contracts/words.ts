/**
 * The words of a transcript or a reply, for comparing what was said with what was heard: lower
 * case, punctuation and hyphens dropped ("Mm-hmm." is "mm", "hmm"), apostrophes inside words kept.
 */
export function normalizeWords(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}'\s]/gu, ' ')
    .split(/\s+/)
    .map((w) => w.replace(/^'+|'+$/g, ''))
    .filter(Boolean);
}
