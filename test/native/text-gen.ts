// Seeded random text for tokenizer tests: pieces from every character class the pre-tokenizers distinguish and
// the boundaries between them (contractions, \r\n, space runs, combining marks, other scripts' digits, emoji).

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32). */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const alphabet = [
  'a', 'Z', 'é', 'ß', 'ǅ', 'ж', 'Ω', 'א', 'ب', 'क', 'ि', 'ं', '中', 'か', 'カ', '한', 'ก', '็', 'ﬁ', 'ℝ',
  '0', '7', '٣', '५', '²', '½', 'Ⅻ', '①', '𝟘', ' ', '  ', '\t', '\n', '\r\n', '\r', '\u00a0', '\u2009', '\u3000',
  '\u2028', '\u0085', '\u000b', '\u000c', '\u001c', '\u200b', '\u200d', '\ufeff', "'", '’', "'s", "'S", "'ll",
  "'LL", "'re", "'Ve", "'d", "'m", "'t", '.', ',', ';', '!', '?', '(', ')', '{', '}', '[', ']', '<', '>', '=', '+',
  '-', '*', '/', '\\', '|', '&', '^', '%', '$', '#', '@', '~', '`', '"', '_', '…', '—', '«', '»', '¿', '¡', '。',
  '、', '🚀', '👍🏽', '👨‍👩‍👧', '🇯🇵', '❤️', '\u0301', '\u20dd', '\ue000', '\u{10ffff}', '\u{e0041}', '\u0378',
  'x = 1;', 'def f():', '    return', '</div>', '// ', '/*', '*/', '0x1F', '1e-9', '...', '!==', '=>', '::',
  '12345', '2024-01-01', '$x', '<=>', '^~|',
];

/** A random string of 1..40 pieces, some repeated. */
export function randomText(r: () => number): string {
  const n = 1 + Math.floor(r() * 40);
  let s = '';
  for (let i = 0; i < n; i++) {
    const piece = alphabet[Math.floor(r() * alphabet.length)] as string;
    s += r() < 0.15 ? piece.repeat(1 + Math.floor(r() * 6)) : piece;
  }
  return s;
}
