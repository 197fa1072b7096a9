// @ts-check
// Seed inputs of the libFuzzer targets, generated deterministically (scripts/fuzz.sh writes them to a temp dir):
//
//   node test/fuzz/seeds.mjs gguf DIR     tiny valid BitNet models (F32, I2_S, TQ2_0 weights; F32/F16/Q8_0
//                                          embeddings) and the metadata sections of the real fixture models
//   node test/fuzz/seeds.mjs vocab DIR    texts for the tokenizer target (first byte = mode, see fuzz-vocab.cpp)
//   node test/fuzz/seeds.mjs llama3-model FILE   a tiny model with the LLaMA-3 vocabulary (BitNet b1.58 2B4T's)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { encodeTensor, GGUFWriter, readGGUF, TensorType, ValueType } from '../../tools/gguf.mjs';
import { DEFAULT_LLAMA3_TOKENIZER, synthBitnet } from '../../tools/synth-bitnet.mjs';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..', '..');

/** xorshift32 in [-1, 1). @param {number} seed */
function random(seed) {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 2 ** 31 - 1;
  };
}

/** The 256 byte-level token texts (GPT-2's byte-to-unicode map), three control tokens and a few merges. */
function byteVocab() {
  const tokens = [];
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || b >= 0xae;
    tokens.push(String.fromCodePoint(printable ? b : next++));
  }
  const merges = ['Ġ t', 'e r', 'Ġt h', 'i n', 'Ġ Ġ'];
  for (const m of merges) tokens.push(m.replace(' ', ''));
  const specials = ['<|begin_of_text|>', '<|end_of_text|>', '<|fim_prefix|>', '<|fim_suffix|>', '<|fim_middle|>'];
  const types = [...tokens.map(() => 1), ...specials.map(() => 3)];
  tokens.push(...specials);
  return { tokens, types, merges, bos: 256 + merges.length, eos: 257 + merges.length };
}

/**
 * A tiny but complete BitNet model: one layer, `embd` wide.
 * @param {{ arch: string, linear: number, embdType: number, embd: number, ff: number, seed: number }} o
 */
export function tinyModel(o) {
  const rand = random(o.seed);
  const v = byteVocab();
  const w = new GGUFWriter();
  const a = o.arch;
  w.string('general.architecture', a).string('general.name', 'tiny');
  w.u32(`${a}.vocab_size`, v.tokens.length).u32(`${a}.context_length`, 64).u32(`${a}.embedding_length`, o.embd);
  w.u32(`${a}.block_count`, 1).u32(`${a}.feed_forward_length`, o.ff).u32(`${a}.attention.head_count`, 2);
  w.u32(`${a}.attention.head_count_kv`, 1).f32(`${a}.attention.layer_norm_rms_epsilon`, 1e-5);
  w.f32(`${a}.rope.freq_base`, 10000);
  w.string('tokenizer.ggml.model', 'gpt2').string('tokenizer.ggml.pre', 'llama-bpe');
  w.array('tokenizer.ggml.tokens', ValueType.STRING, v.tokens);
  w.array('tokenizer.ggml.token_type', ValueType.INT32, Int32Array.from(v.types));
  w.array('tokenizer.ggml.merges', ValueType.STRING, v.merges);
  w.u32('tokenizer.ggml.bos_token_id', v.bos).u32('tokenizer.ggml.eos_token_id', v.eos);
  w.string('tokenizer.chat_template', "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}");
  const values = (/** @type {number} */ n, ternary = false) =>
    Float32Array.from({ length: n }, () => (ternary ? Math.round(rand() * 1.49) * 0.5 : rand() * 0.1));
  const norm = (/** @type {string} */ name, /** @type {number} */ n) =>
    w.tensor(name, [n], TensorType.F32, encodeTensor(TensorType.F32, Float32Array.from({ length: n }, () => 1)));
  const linear = (/** @type {string} */ name, /** @type {number} */ k, /** @type {number} */ rows) =>
    w.tensor(name, [k, rows], o.linear, encodeTensor(o.linear, values(k * rows, o.linear !== TensorType.F32)));
  w.tensor('token_embd.weight', [o.embd, v.tokens.length], o.embdType, encodeTensor(o.embdType, values(o.embd * v.tokens.length)));
  const q = o.embd, kv = o.embd / 2;
  norm('blk.0.attn_norm.weight', o.embd);
  norm('blk.0.attn_sub_norm.weight', q);
  norm('blk.0.ffn_norm.weight', o.embd);
  norm('blk.0.ffn_sub_norm.weight', o.ff);
  linear('blk.0.attn_q.weight', o.embd, q);
  linear('blk.0.attn_k.weight', o.embd, kv);
  linear('blk.0.attn_v.weight', o.embd, kv);
  linear('blk.0.attn_output.weight', q, o.embd);
  linear('blk.0.ffn_gate.weight', o.embd, o.ff);
  linear('blk.0.ffn_up.weight', o.embd, o.ff);
  linear('blk.0.ffn_down.weight', o.ff, o.embd);
  norm('output_norm.weight', o.embd);
  return w.toBuffer();
}

/** @param {string} dir */
function ggufSeeds(dir) {
  const seeds = {
    'tiny-f32.gguf': tinyModel({ arch: 'bitnet-b1.58', linear: TensorType.F32, embdType: TensorType.F32, embd: 32, ff: 32, seed: 1 }),
    'tiny-f32-q8.gguf': tinyModel({ arch: 'bitnet', linear: TensorType.F32, embdType: TensorType.Q8_0, embd: 32, ff: 64, seed: 2 }),
    'tiny-i2s.gguf': tinyModel({ arch: 'bitnet-b1.58', linear: TensorType.I2_S, embdType: TensorType.F16, embd: 128, ff: 128, seed: 3 }),
    'tiny-tq2.gguf': tinyModel({ arch: 'bitnet', linear: TensorType.TQ2_0, embdType: TensorType.F16, embd: 256, ff: 256, seed: 4 }),
  };
  for (const [name, bytes] of Object.entries(seeds)) writeFileSync(join(dir, name), bytes);
  // The metadata and tensor tables of the real fixture models (their data sections cut off).
  for (const f of ['fixture-b158-i2_s.gguf', 'fixture-bitnet-tq1_0.gguf']) {
    const path = join(ROOT, 'test', 'fixtures', 'bitnet', 'models', f);
    const bytes = readFileSync(path);
    writeFileSync(join(dir, `meta-${f}`), bytes.subarray(0, readGGUF(path).dataOffset));
  }
  return Object.keys(seeds).length + 2;
}

/** @param {string} dir */
function vocabSeeds(dir) {
  const texts = [
    'def add(a, b):\n    return a + b\n',
    'function f(x) { return x * 2; }\n// comment\n',
    '<|fim_prefix|>def f():\n<|fim_suffix|>\n<|fim_middle|>',
    '<|endoftext|><|file_sep|>src/main.rs\nfn main() {}',
    '    \t\t\n\n\r\n   x',
    'héllo wörld — 中文 日本語 한국어 😀👍🏽 ∑∫',
    "I'm can't we'll they've 123456789 3.14159",
    '\u0000\u0001\u007f',
    '='.repeat(300),
    readFileSync(join(ROOT, 'test', 'fixtures', 'tokenizer', 'multilingual.txt'), 'utf8').slice(0, 2000),
  ];
  let n = 0;
  texts.forEach((t, i) => {
    for (let mode = 0; mode < 3; mode++) {
      writeFileSync(join(dir, `text-${i}-${mode}`), Buffer.concat([Buffer.from([mode]), Buffer.from(t, 'utf8')]));
      n++;
    }
  });
  // Invalid UTF-8 and arbitrary ids.
  writeFileSync(join(dir, 'invalid-utf8'), Buffer.from([0, 0xc3, 0x28, 0xe2, 0x82, 0xf0, 0x9f, 0x98, 0xff, 0x41]));
  writeFileSync(join(dir, 'ids'), Buffer.from([3, 0, 1, 0, 2, 1, 0, 0x3f, 0xff, 0x12, 0x34]));
  return n + 2;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [kind, dir] = process.argv.slice(2);
  if ((kind !== 'gguf' && kind !== 'vocab' && kind !== 'llama3-model') || !dir) {
    process.stderr.write('usage: node test/fuzz/seeds.mjs gguf|vocab DIR | llama3-model FILE\n');
    process.exit(2);
  }
  if (kind === 'llama3-model') {
    const shape = { n_vocab: 128256, n_embd: 128, n_layer: 1, n_head: 2, n_head_kv: 1, n_ff: 128, n_ctx: 64 };
    synthBitnet({ shape, seed: 1, tokenizerJson: DEFAULT_LLAMA3_TOKENIZER }).writeFile(dir);
    process.stdout.write(`${dir}: a tiny model with the LLaMA-3 vocabulary\n`);
    process.exit(0);
  }
  mkdirSync(dir, { recursive: true });
  const n = kind === 'gguf' ? ggufSeeds(dir) : vocabSeeds(dir);
  process.stdout.write(`${n} ${kind} seeds in ${dir}\n`);
}
