// @ts-check
// Turns a Hugging Face tokenizer.json (byte-level BPE, e.g. LLaMA-3's) into the GGUF tokenizer keys, the way the
// GGUF converters do it: tokens in id order (holes filled with "[PAD<id>]"), added tokens typed CONTROL when
// marked special and USER_DEFINED otherwise, merges as "left right" strings.
import { ValueType } from './gguf.mjs';

/** GGUF token types (llama.cpp's llama_token_type). */
export const TokenType = Object.freeze({ NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 });

/**
 * @typedef {{ tokens: string[], tokenTypes: Int32Array, merges: string[] }} GGUFVocab
 * @typedef {{ id: number, content: string, special?: boolean }} AddedToken
 * @typedef {{ model: { type: string, vocab: Record<string, number>, merges: Array<string | [string, string]> },
 *             added_tokens?: AddedToken[] }} TokenizerJson
 */

/** @param {TokenizerJson} json @returns {GGUFVocab} */
export function vocabFromTokenizerJson(json) {
  if (json.model.type !== 'BPE') throw new Error(`expected a BPE tokenizer.json, got ${json.model.type}`);
  /** @type {Map<number, [string, number]>} */
  const byId = new Map();
  for (const [text, id] of Object.entries(json.model.vocab)) byId.set(id, [text, TokenType.NORMAL]);
  for (const t of json.added_tokens ?? []) byId.set(t.id, [t.content, t.special ? TokenType.CONTROL : TokenType.USER_DEFINED]);
  let n = 0;
  for (const id of byId.keys()) n = Math.max(n, id + 1);
  const tokens = new Array(n);
  const tokenTypes = new Int32Array(n);
  for (let id = 0; id < n; id++) {
    const entry = byId.get(id);
    tokens[id] = entry ? entry[0] : `[PAD${id}]`;
    tokenTypes[id] = entry ? entry[1] : TokenType.UNUSED;
  }
  const merges = json.model.merges.map((m) => (typeof m === 'string' ? m : `${m[0]} ${m[1]}`));
  return { tokens, tokenTypes, merges };
}

/**
 * Adds the tokenizer keys to a GGUF writer. `pre` undefined writes no tokenizer.ggml.pre (as the official BitNet
 * b1.58 2B4T file). Scores are 0 for normal tokens and -1000 for the others, as the BitNet converter writes them.
 * @param {import('./gguf.mjs').GGUFWriter} w @param {GGUFVocab} vocab
 * @param {{ bos: number, eos: number, pad?: number, addBos?: boolean, pre?: string }} special
 */
export function writeVocab(w, vocab, special) {
  w.string('tokenizer.ggml.model', 'gpt2');
  if (special.pre !== undefined) w.string('tokenizer.ggml.pre', special.pre);
  w.array('tokenizer.ggml.tokens', ValueType.STRING, vocab.tokens);
  w.array('tokenizer.ggml.scores', ValueType.FLOAT32,
    Float32Array.from(vocab.tokenTypes, (t) => (t === TokenType.NORMAL ? 0 : -1000)));
  w.array('tokenizer.ggml.token_type', ValueType.INT32, vocab.tokenTypes);
  w.array('tokenizer.ggml.merges', ValueType.STRING, vocab.merges);
  w.bool('tokenizer.ggml.add_bos_token', special.addBos ?? true);
  w.u32('tokenizer.ggml.bos_token_id', special.bos);
  w.u32('tokenizer.ggml.eos_token_id', special.eos);
  if (special.pad !== undefined) w.u32('tokenizer.ggml.padding_token_id', special.pad);
}
