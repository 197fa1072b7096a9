// Writes a stand-in for the shipped model: a BitNet b1.58 GGUF with the shipped model's shape (12 layers, width 512,
// 8 query / 4 KV heads, FFN 1408, context 1024, a 16,384-token vocabulary with FIM tokens and a file separator,
// I2_S weights, 8-bit embedding) and random ternary weights. Its text is noise; its speed, memory and prompt layout
// are those of the real thing, so the typing benchmark can measure latency before the trained model exists.
//
//   node bench/proxy-model.mjs [OUT]        (default bench/.cache/proxy-trit-code.gguf; skipped if present)
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encodeF32, encodeI2S, encodeQ8_0, TensorType } from '../tools/gguf-quants.mjs';
import { getValue, GGUFWriter, readGGUF, ValueType } from '../tools/gguf.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = process.argv[2] ?? join(root, 'bench', '.cache', 'proxy-trit-code.gguf');
const shape = { nVocab: 16384, nCtx: 1024, nEmbd: 512, nLayer: 12, nHead: 8, nHeadKv: 4, nFf: 1408 };

/** Deterministic pseudo-random numbers (xorshift32), so the file is the same every time. */
let state = 0x9e3779b9;
function rand() {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return (state >>> 0) / 4294967296;
}

function ternary(n) {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const r = rand();
    x[i] = r < 0.3 ? -1 : r < 0.6 ? 1 : 0;
  }
  return x;
}

function normal(n, sigma) {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = sigma * Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  return x;
}

export function writeProxyModel(path) {
  // The tokenizer of the engine's fixture model (byte-level BPE), grown to the shipped vocabulary size.
  const fixture = readGGUF(join(root, 'test', 'fixtures', 'bitnet', 'models', 'fixture-b158-i2_s.gguf'));
  const baseTokens = /** @type {string[]} */ (Array.from(/** @type {ArrayLike<string>} */ (getValue(fixture, 'tokenizer.ggml.tokens'))));
  const merges = Array.from(/** @type {ArrayLike<string>} */ (getValue(fixture, 'tokenizer.ggml.merges')));
  const byteTokens = baseTokens.slice(0, 506); // bytes and merges; the fixture's control tokens are replaced
  const specials = ['<|endoftext|>', '<|fim_prefix|>', '<|fim_middle|>', '<|fim_suffix|>', '<|fim_pad|>', '<|file_sep|>'];
  const tokens = [...byteTokens, ...specials];
  while (tokens.length < shape.nVocab) tokens.push(`<|unused_${tokens.length}|>`);
  const id = (t) => tokens.indexOf(t);
  const types = tokens.map((_, i) => (i < byteTokens.length ? 1 : 3));

  const w = new GGUFWriter();
  const a = 'bitnet-b1.58';
  w.string('general.architecture', a).string('general.name', 'proxy-trit-code');
  w.u32(`${a}.vocab_size`, shape.nVocab).u32(`${a}.context_length`, shape.nCtx).u32(`${a}.embedding_length`, shape.nEmbd);
  w.u32(`${a}.block_count`, shape.nLayer).u32(`${a}.feed_forward_length`, shape.nFf);
  w.u32(`${a}.rope.dimension_count`, shape.nEmbd / shape.nHead).u32(`${a}.attention.head_count`, shape.nHead);
  w.u32(`${a}.attention.head_count_kv`, shape.nHeadKv).f32(`${a}.attention.layer_norm_rms_epsilon`, 1e-5);
  w.f32(`${a}.rope.freq_base`, 10000);
  w.string('tokenizer.ggml.model', 'gpt2');
  w.array('tokenizer.ggml.tokens', ValueType.STRING, tokens);
  w.array('tokenizer.ggml.token_type', ValueType.INT32, types);
  w.array('tokenizer.ggml.merges', ValueType.STRING, merges);
  w.u32('tokenizer.ggml.bos_token_id', id('<|endoftext|>')).u32('tokenizer.ggml.eos_token_id', id('<|endoftext|>'));
  w.u32('tokenizer.ggml.padding_token_id', id('<|fim_pad|>')).bool('tokenizer.ggml.add_bos_token', true);
  w.u32('tokenizer.ggml.fim_pre_token_id', id('<|fim_prefix|>')).u32('tokenizer.ggml.fim_suf_token_id', id('<|fim_suffix|>'));
  w.u32('tokenizer.ggml.fim_mid_token_id', id('<|fim_middle|>')).u32('tokenizer.ggml.fim_pad_token_id', id('<|fim_pad|>'));
  w.u32('tokenizer.ggml.fim_sep_token_id', id('<|file_sep|>'));
  // The completion hints the training's export writes (training/export.py).
  w.string('trit.completion.prompt_mode', 'spm').string('trit.completion.stop', 'newline');
  w.u32('trit.completion.prefix_chars', 1500).u32('trit.completion.suffix_chars', 500);

  const { nEmbd, nFf, nHead, nHeadKv, nLayer, nVocab } = shape;
  const kv = (nEmbd / nHead) * nHeadKv;
  w.tensor('token_embd.weight', [nEmbd, nVocab], TensorType.Q8_0, encodeQ8_0(normal(nEmbd * nVocab, 0.05)));
  const ones = (n) => encodeF32(Float32Array.from({ length: n }, () => 1 + 0.05 * (rand() - 0.5)));
  for (let il = 0; il < nLayer; il++) {
    const b = `blk.${il}`;
    w.tensor(`${b}.attn_norm.weight`, [nEmbd], TensorType.F32, ones(nEmbd));
    w.tensor(`${b}.attn_q.weight`, [nEmbd, nEmbd], TensorType.I2_S, encodeI2S(ternary(nEmbd * nEmbd)));
    w.tensor(`${b}.attn_k.weight`, [nEmbd, kv], TensorType.I2_S, encodeI2S(ternary(nEmbd * kv)));
    w.tensor(`${b}.attn_v.weight`, [nEmbd, kv], TensorType.I2_S, encodeI2S(ternary(nEmbd * kv)));
    w.tensor(`${b}.attn_sub_norm.weight`, [nEmbd], TensorType.F32, ones(nEmbd));
    w.tensor(`${b}.attn_output.weight`, [nEmbd, nEmbd], TensorType.I2_S, encodeI2S(ternary(nEmbd * nEmbd)));
    w.tensor(`${b}.ffn_norm.weight`, [nEmbd], TensorType.F32, ones(nEmbd));
    w.tensor(`${b}.ffn_gate.weight`, [nEmbd, nFf], TensorType.I2_S, encodeI2S(ternary(nEmbd * nFf)));
    w.tensor(`${b}.ffn_up.weight`, [nEmbd, nFf], TensorType.I2_S, encodeI2S(ternary(nEmbd * nFf)));
    w.tensor(`${b}.ffn_sub_norm.weight`, [nFf], TensorType.F32, ones(nFf));
    w.tensor(`${b}.ffn_down.weight`, [nFf, nEmbd], TensorType.I2_S, encodeI2S(ternary(nFf * nEmbd)));
  }
  w.tensor('output_norm.weight', [nEmbd], TensorType.F32, ones(nEmbd));
  mkdirSync(dirname(path), { recursive: true });
  return w.writeFile(path);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  if (existsSync(out)) {
    process.stdout.write(`${out} exists\n`);
  } else {
    const bytes = writeProxyModel(out);
    process.stdout.write(`wrote ${out} (${(bytes / 1e6).toFixed(1)} MB)\n`);
  }
}
