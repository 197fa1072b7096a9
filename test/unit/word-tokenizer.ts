// A small reversible tokenizer for the pure-module tests. It splits text the way the shipped model's byte-level BPE
// pre-tokenizer does (newlines apart from the indentation that follows, a leading space attached to a word,
// digits one by one) and cuts pieces longer than four characters, so that a partly typed word tokenizes differently
// from the whole word, as with real BPE. Ids are assigned on first sight.
import type { PromptTokenizer } from '../../server/src/inline/prompt';

const PRETOKEN = /\s*[\r\n]+|\s+(?!\S)|\s+|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|[^\s\p{L}\p{N}]+[\r\n]*/gu;

export class WordTokenizer implements PromptTokenizer {
  private readonly ids = new Map<string, number>();
  private readonly pieces: string[] = [];

  /** `firstId` leaves room for special tokens below it. */
  constructor(private readonly firstId = 100) {}

  private id(piece: string): number {
    let id = this.ids.get(piece);
    if (id === undefined) {
      id = this.firstId + this.pieces.length;
      this.ids.set(piece, id);
      this.pieces.push(piece);
    }
    return id;
  }

  encode(text: string): number[] {
    const out: number[] = [];
    for (const m of text.matchAll(PRETOKEN)) {
      const piece = m[0];
      for (let i = 0; i < piece.length; i += 4) out.push(this.id(piece.slice(i, i + 4)));
    }
    return out;
  }

  decode(tokens: readonly number[]): string {
    return tokens.map((t) => this.pieces[t - this.firstId] ?? `<${t}>`).join('');
  }

  count = (text: string): number => this.encode(text).length;
}
