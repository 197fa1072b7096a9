// @ts-check
// A deterministic corpus of broken GGUF files made from real small models: truncations, bit flips and absurd values
// in the header, the metadata and the tensor table, unknown and wrong tensor types, inconsistent shapes, missing
// and extra tensors, giant counts and string lengths, NaN/Inf weights, misaligned and overlapping tensors, and
// files that are not GGUF at all. Each case says what the engine must answer: the error code and a pattern its
// message must match (the message names what is wrong).
//
//   node tools/malformed-gguf.mjs OUT_DIR [--seed N]      writes the files and index.json
//
// Tests generate the corpus into a temp dir (test/native/malformed-models.test.ts, test/lsp/malformed-models.test.ts).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { f32ToF16, GGUFWriter, readGGUF, readTensorBytes, TensorType, ValueType } from './gguf.mjs';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const MODELS = join(ROOT, 'test', 'fixtures', 'bitnet', 'models');

/**
 * @typedef {{ name: string, bytes: Uint8Array, code: 'format' | 'unsupported', expect: RegExp, what: string }} Case
 * @typedef {{ kv: Map<string, import('./gguf.mjs').KV>, tensors: { name: string, dims: number[], type: number, data: Buffer }[] }} Model
 */

/** xorshift32, deterministic per seed. @param {number} seed */
function random(seed) {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** A model file as metadata and tensors, to be changed and written again. @param {string} path @returns {Model} */
export function readModel(path) {
  const g = readGGUF(path);
  const kv = new Map(g.kv);
  kv.delete('general.alignment');
  return { kv, tensors: g.tensors.map((t) => ({ name: t.name, dims: [...t.dims], type: t.type, data: readTensorBytes(path, g, t) })) };
}

/** @param {Model} m @returns {Model} a deep enough copy to change */
function clone(m) {
  return { kv: new Map(m.kv), tensors: m.tensors.map((t) => ({ ...t, dims: [...t.dims], data: Buffer.from(t.data) })) };
}

/**
 * Writes a model; returns the bytes and the layout (offsets of each metadata entry and tensor info).
 * @param {Model} m @param {number} [alignment]
 */
export function writeModel(m, alignment = 32) {
  const w = new GGUFWriter({ alignment });
  for (const [key, { type, value, elemType }] of m.kv) w.set(key, type, value, elemType);
  for (const t of m.tensors) w.tensor(t.name, t.dims, t.type, t.data);
  return { bytes: w.toBuffer(), layout: w.layout(), keys: [...m.kv.keys()] };
}

/** @param {Uint8Array} b @param {number} at @param {bigint} v */
function setU64(b, at, v) {
  Buffer.from(b.buffer, b.byteOffset, b.length).writeBigUInt64LE(v, at);
}
/** @param {Uint8Array} b @param {number} at @param {number} v */
function setU32(b, at, v) {
  Buffer.from(b.buffer, b.byteOffset, b.length).writeUInt32LE(v >>> 0, at);
}
/** @param {Uint8Array} b @param {number} at */
function getU64(b, at) {
  return Number(Buffer.from(b.buffer, b.byteOffset, b.length).readBigUInt64LE(at));
}

/**
 * The corpus. `seed` picks offsets and entries; the same seed gives the same files.
 * @param {{ seed?: number }} [options] @returns {Case[]}
 */
export function malformedCorpus(options = {}) {
  const rand = random(options.seed ?? 1);
  const below = (/** @type {number} */ n) => rand() % n;
  /** @type {Case[]} */
  const cases = [];
  const add = (/** @type {string} */ name, /** @type {Uint8Array} */ bytes, /** @type {'format' | 'unsupported'} */ code, /** @type {RegExp} */ expect, /** @type {string} */ what) =>
    cases.push({ name: `${String(cases.length).padStart(3, '0')}-${name}`, bytes, code, expect, what });

  const i2s = readModel(join(MODELS, 'fixture-b158-i2_s.gguf'));
  const tq1 = readModel(join(MODELS, 'fixture-bitnet-tq1_0.gguf'));
  const tq2 = readModel(join(MODELS, 'fixture-bitnet-tq2_0.gguf'));
  const base = writeModel(i2s);
  const good = base.bytes;
  const L = base.layout;
  const arch = 'bitnet-b1.58';

  // ---- not GGUF at all
  add('empty', new Uint8Array(0), 'format', /empty/, 'an empty file');
  add('text', Buffer.from('these are my notes, not a model\n'.repeat(40)), 'format', /not a GGUF file/, 'a text file');
  add('json', Buffer.from(JSON.stringify({ model: 'bitnet', weights: [1, 2, 3] })), 'format', /not a GGUF file/, 'a JSON file');
  add('zip', Buffer.concat([Buffer.from('PK\x03\x04'), Buffer.alloc(200, 7)]), 'format', /not a GGUF file/, 'a zip archive');
  add('random', Buffer.from(Array.from({ length: 4096 }, () => below(256))), 'format', /not a GGUF file/, '4 KB of random bytes');
  add('ggml-magic', Buffer.concat([Buffer.from('ggml'), good.subarray(4)]), 'format', /not a GGUF file/, 'an old ggml magic');

  // ---- truncations: in the header, at and inside every section, in the tensor data
  const cuts = new Set([1, 3, 4, 6, 8, 12, 16, 20, 23]);
  for (const o of L.kvOffsets.slice(0, 12)) cuts.add(o).add(o + 5);
  for (const o of L.tensorInfoOffsets.slice(0, 6)) cuts.add(o).add(o + 9);
  cuts.add(L.metadataBytes).add(L.dataOffset).add(good.length - 1).add(good.length - 33);
  while (cuts.size < 40) cuts.add(L.dataOffset + below(good.length - L.dataOffset));
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    add(`truncated-at-${cut}`, good.subarray(0, cut), 'format', /truncated|extends past the end/, `the file cut at byte ${cut} of ${good.length}`);
  }

  // ---- header
  for (const v of [0, 1, 4, 0xffffffff]) {
    const b = Buffer.from(good);
    setU32(b, 4, v);
    add(`version-${v}`, b, 'format', /GGUF version \d+ is not supported/, `GGUF version ${v}`);
  }
  for (const [field, at, what] of /** @type {const} */ ([['tensor-count', 8, /tensor count \d+ is impossible/], ['metadata-count', 16, /metadata count \d+ is impossible/]])) {
    for (const v of [1n << 62n, 0xffffffffffffffffn, 1n << 32n]) {
      const b = Buffer.from(good);
      setU64(b, at, v);
      add(`${field}-${v}`, b, 'format', what, `${field} set to ${v}`);
    }
  }
  {
    // Bit flips in the header's counts that make them merely wrong (too many, but plausible for the size).
    const b = Buffer.from(good);
    setU64(b, 16, BigInt(getU64(b, 16) + 3));
    add('metadata-count-plus-3', b, 'format', /truncated|has an absurd length|unknown value type|empty key|claims/, 'three more metadata entries than the file has');
  }

  // ---- metadata table: bit flips in the structural fields of random entries
  const entries = L.kvOffsets.map((o, i) => ({ o, key: base.keys[i] ?? '' }));
  const pickEntries = (/** @type {number} */ n) => {
    const out = new Set();
    while (out.size < n) out.add(below(entries.length));
    return [...out].map((i) => /** @type {{ o: number, key: string }} */ (entries[i]));
  };
  for (const e of pickEntries(6)) {
    const b = Buffer.from(good);
    setU64(b, e.o, BigInt(getU64(b, e.o)) | (1n << BigInt(40 + below(23))));
    add(`key-length-flip-${e.key}`, b, 'format', /has an absurd length|truncated/, `a bit flipped in the key length of '${e.key}'`);
  }
  for (const e of pickEntries(6)) {
    const b = Buffer.from(good);
    const typeAt = e.o + 8 + Buffer.byteLength(e.key);
    setU32(b, typeAt, 13 + below(1000));
    add(`value-type-${e.key}`, b, 'format', /unknown value type/, `an unknown value type for '${e.key}'`);
  }
  const arrays = entries.filter((e) => i2s.kv.get(e.key)?.type === ValueType.ARRAY);
  for (const e of arrays) {
    const at = e.o + 8 + Buffer.byteLength(e.key) + 4; // element type
    const b1 = Buffer.from(good);
    setU32(b1, at, 9);
    add(`nested-array-${e.key}`, b1, 'format', /nested array/, `'${e.key}' declared as an array of arrays`);
    const b2 = Buffer.from(good);
    setU32(b2, at, 77 + below(100));
    add(`array-type-${e.key}`, b2, 'format', /array of unknown type/, `'${e.key}' as an array of an unknown type`);
    const b3 = Buffer.from(good);
    setU64(b3, at + 4, (1n << 60n) + BigInt(below(1000)));
    add(`giant-count-${e.key}`, b3, 'format', /claims \d+ (strings|elements), more than the file holds/, `a giant element count for '${e.key}'`);
  }
  {
    // An absurd string length inside the vocabulary (the length of token 100).
    const e = entries.find((x) => x.key === 'tokenizer.ggml.tokens');
    if (e) {
      let at = e.o + 8 + Buffer.byteLength(e.key) + 4 + 4 + 8;
      for (let i = 0; i < 100; i++) at += 8 + getU64(good, at);
      const b = Buffer.from(good);
      setU64(b, at, 1n << 50n);
      add('token-string-length', b, 'format', /truncated/, 'an absurd string length for token 100');
    }
  }

  // ---- metadata values, changed logically
  /** @param {string} name @param {(m: Model) => void} change @param {'format' | 'unsupported'} code @param {RegExp} expect @param {string} what @param {Model} [from] */
  const logical = (name, change, code, expect, what, from = i2s) => {
    const m = clone(from);
    change(m);
    add(name, writeModel(m).bytes, code, expect, what);
  };
  const set = (/** @type {string} */ key, /** @type {number} */ type, /** @type {any} */ value) => (/** @type {Model} */ m) => void m.kv.set(key, { type, value });
  const drop = (/** @type {string} */ key) => (/** @type {Model} */ m) => void m.kv.delete(key);
  const U32 = ValueType.UINT32, F32 = ValueType.FLOAT32, STR = ValueType.STRING;
  logical('no-architecture', drop('general.architecture'), 'format', /lacks 'general.architecture'/, 'no architecture key');
  logical('arch-llama', set('general.architecture', STR, 'llama'), 'unsupported', /architecture 'llama' is not a BitNet model/, 'architecture llama');
  logical('arch-empty', set('general.architecture', STR, ''), 'unsupported', /architecture '' is not a BitNet model/, 'an empty architecture');
  logical('arch-as-number', set('general.architecture', U32, 7), 'format', /'general.architecture' has type u32, expected string/, 'the architecture as a number');
  for (const key of ['embedding_length', 'block_count', 'attention.head_count', 'feed_forward_length', 'attention.layer_norm_rms_epsilon']) {
    logical(`no-${key}`, drop(`${arch}.${key}`), 'format', new RegExp(`lacks the required metadata key '${arch}\\.${key.replace(/\./g, '\\.')}'`), `no ${key}`);
  }
  const implausible = /implausible hyperparameters/;
  logical('embd-0', set(`${arch}.embedding_length`, U32, 0), 'format', implausible, 'embedding_length 0');
  logical('embd-huge', set(`${arch}.embedding_length`, U32, 1 << 20), 'format', implausible, 'embedding_length 2^20');
  logical('layers-0', set(`${arch}.block_count`, U32, 0), 'format', implausible, 'block_count 0');
  logical('layers-5000', set(`${arch}.block_count`, U32, 5000), 'format', implausible, 'block_count 5000');
  logical('layers-3', set(`${arch}.block_count`, U32, 3), 'format', /tensor 'blk\.2\.attn_norm\.weight' is missing/, 'one layer more than the tensors');
  logical('heads-3', set(`${arch}.attention.head_count`, U32, 3), 'format', /head_count = 3 does not divide/, 'head_count 3 for 256 wide');
  logical('kv-heads-3', set(`${arch}.attention.head_count_kv`, U32, 3), 'format', /head_count_kv = 3 does not divide/, 'head_count_kv 3');
  logical('ff-0', set(`${arch}.feed_forward_length`, U32, 0), 'format', implausible, 'feed_forward_length 0');
  logical('ctx-0', set(`${arch}.context_length`, U32, 0), 'format', implausible, 'context_length 0');
  logical('rms-eps-nan', set(`${arch}.attention.layer_norm_rms_epsilon`, F32, NaN), 'format', /layer_norm_rms_epsilon = nan/, 'rms epsilon NaN');
  logical('rms-eps-negative', set(`${arch}.attention.layer_norm_rms_epsilon`, F32, -1), 'format', /layer_norm_rms_epsilon/, 'rms epsilon -1');
  logical('rope-base-inf', set(`${arch}.rope.freq_base`, F32, Infinity), 'format', /rope\.freq_base = inf/, 'rope base infinity');
  logical('rope-dims-odd', set(`${arch}.rope.dimension_count`, U32, 63), 'format', /rope\.dimension_count = 63/, 'odd rope dimensions');
  logical('vocab-size-mismatch', set(`${arch}.vocab_size`, U32, 128256), 'format', /vocab_size = 128256 but the vocabulary has 509 tokens/, 'vocab_size disagrees with the tokens');
  logical('bos-out-of-range', set('tokenizer.ggml.bos_token_id', U32, 1000000), 'format', /bos_token_id' = 1000000 is not a token id/, 'BOS id past the vocabulary');
  logical('eos-as-string', set('tokenizer.ggml.eos_token_id', STR, 'two'), 'format', /eos_token_id' has type string, expected an integer/, 'EOS id as a string');
  logical('no-tokenizer', drop('tokenizer.ggml.model'), 'format', /has no tokenizer/, 'no tokenizer model');
  logical('tokenizer-llama', set('tokenizer.ggml.model', STR, 'llama'), 'unsupported', /tokenizer\.ggml\.model is 'llama'/, 'a SentencePiece tokenizer');
  logical('pre-unknown', set('tokenizer.ggml.pre', STR, 'nonsense-pre'), 'unsupported', /pre-tokenizer 'nonsense-pre'/, 'an unknown pre-tokenizer');
  logical('no-tokens', drop('tokenizer.ggml.tokens'), 'format', /has no vocabulary/, 'no tokens');
  logical('tokens-empty', (m) => void m.kv.set('tokenizer.ggml.tokens', { type: ValueType.ARRAY, elemType: STR, value: [] }), 'format', /has no vocabulary/, 'an empty token list');
  logical('tokens-duplicate', (m) => {
    const kv = /** @type {import('./gguf.mjs').KV} */ (m.kv.get('tokenizer.ggml.tokens'));
    const tokens = [.../** @type {string[]} */ (kv.value)];
    tokens[300] = /** @type {string} */ (tokens[299]);
    m.kv.set('tokenizer.ggml.tokens', { ...kv, value: tokens });
  }, 'format', /duplicate token/, 'two tokens with the same text');
  logical('token-types-short', (m) => {
    const kv = /** @type {import('./gguf.mjs').KV} */ (m.kv.get('tokenizer.ggml.token_type'));
    m.kv.set('tokenizer.ggml.token_type', { ...kv, value: Array.from(/** @type {ArrayLike<number>} */ (kv.value)).slice(0, 100) });
  }, 'format', /100 token types for 509 tokens/, 'fewer token types than tokens');
  logical('token-types-strings', (m) => void m.kv.set('tokenizer.ggml.token_type', { type: ValueType.ARRAY, elemType: STR, value: ['a', 'b'] }), 'format', /token_type' has type array of string, expected array of i32/, 'token types as strings');
  logical('merges-as-ints', (m) => void m.kv.set('tokenizer.ggml.merges', { type: ValueType.ARRAY, elemType: ValueType.INT32, value: [1, 2, 3] }), 'format', /merges' has type array of i32, expected array of string/, 'merges as numbers');
  for (const a of [0, 3, 2 ** 31]) {
    logical(`alignment-${a}`, (m) => void m.kv.set('general.alignment', { type: U32, value: a }), 'format', /general\.alignment = \d+ is not a power of two/, `general.alignment ${a}`);
  }

  {
    // A legal general.alignment of 1 that leaves the F32 and F16 tensors at odd addresses.
    const m = clone(i2s);
    for (let pad = 0; pad < 4; pad++) {
      m.kv.set('general.name', { type: STR, value: `misaligned${'x'.repeat(pad)}` });
      const w = writeModel(m, 1);
      if (w.layout.dataOffset % 4 === 1) {
        add('alignment-1-odd-data', w.bytes, 'format', /is not aligned to \d bytes in the file \(general\.alignment = 1\)/, 'tensor data at odd addresses (general.alignment 1)');
        break;
      }
    }
  }

  // ---- tensor table: bit flips and absurd values in random tensor infos
  const infos = L.tensorInfoOffsets.map((o, i) => ({ o, t: /** @type {Model['tensors'][number]} */ (i2s.tensors[i]) }));
  const pickInfos = (/** @type {number} */ n) => {
    const out = new Set();
    while (out.size < n) out.add(below(infos.length));
    return [...out].map((i) => /** @type {{ o: number, t: Model['tensors'][number] }} */ (infos[i]));
  };
  const nameEnd = (/** @type {{ o: number, t: { name: string } }} */ x) => x.o + 8 + Buffer.byteLength(x.t.name);
  for (const x of pickInfos(3)) {
    const b = Buffer.from(good);
    setU64(b, x.o, BigInt(getU64(b, x.o)) | (1n << BigInt(20 + below(40))));
    add(`tensor-name-length-${x.t.name}`, b, 'format', /tensor name has an absurd length|truncated/, `a bit flipped in the name length of '${x.t.name}'`);
  }
  for (const [i, v] of [[0, 0], [1, 5], [2, 1 << 20]]) {
    const x = /** @type {{ o: number, t: Model['tensors'][number] }} */ (pickInfos(1)[0]);
    const b = Buffer.from(good);
    setU32(b, nameEnd(x), v);
    add(`tensor-dims-${v}-${i}`, b, 'format', /has \d+ dimensions \(expected 1 to 4\)/, `'${x.t.name}' with ${v} dimensions`);
  }
  for (const v of [0n, 1n << 40n, 0xffffffffffffffffn]) {
    const x = /** @type {{ o: number, t: Model['tensors'][number] }} */ (pickInfos(1)[0]);
    const b = Buffer.from(good);
    setU64(b, nameEnd(x) + 4, v);
    add(`tensor-dim0-${v}`, b, 'format', /has an impossible shape/, `'${x.t.name}' with a first dimension of ${v}`);
  }
  const typeAt = (/** @type {{ o: number, t: Model['tensors'][number] }} */ x) => nameEnd(x) + 4 + 8 * x.t.dims.length;
  for (const [type, label] of [[2, 'Q4_0'], [12, 'Q4_K'], [39, 'TL2'], [99, 'type 99'], [0x80000000, 'type 2147483648']]) {
    const x = /** @type {{ o: number, t: Model['tensors'][number] }} */ (pickInfos(1)[0]);
    const b = Buffer.from(good);
    setU32(b, typeAt(x), /** @type {number} */ (type));
    add(`tensor-type-${type}`, b, 'unsupported', new RegExp(`has type ${type} \\(${label}\\), which Trit does not run`), `'${x.t.name}' of type ${label}`);
  }
  {
    // A known type that does not fit the row length (F32 weights of 256 columns declared Q6_K, whose blocks are 256
    // wide, fit; a norm declared TQ2_0 with 256 elements fits too: use Q8_0 on a 509-row embedding column count).
    const x = /** @type {{ o: number, t: Model['tensors'][number] }} */ (infos.find((y) => y.t.name === 'blk.0.ffn_norm.weight'));
    const b = Buffer.from(good);
    setU32(b, typeAt(x), TensorType.F16);
    add('norm-declared-f16', b, 'unsupported', /norm tensor 'blk\.0\.ffn_norm\.weight' has type F16; Trit expects F32/, 'an F32 norm declared F16');
    const y = /** @type {{ o: number, t: Model['tensors'][number] }} */ (infos.find((z) => z.t.name === 'token_embd.weight'));
    const b2 = Buffer.from(good);
    setU32(b2, typeAt(y), TensorType.I2_S);
    add('embedding-declared-i2s', b2, 'unsupported', /token_embd\.weight has type I2_S/, 'the F16 embedding declared I2_S');
    const b3 = Buffer.from(good);
    setU64(b3, nameEnd(y) + 4, 250n);
    add('embedding-row-not-block', b3, 'format', /has shape \[250, 509\], expected \[256, 509\]/, 'the embedding with rows of 250');
  }
  for (const x of pickInfos(4)) {
    const b = Buffer.from(good);
    const at = typeAt(x) + 4;
    setU64(b, at, BigInt(getU64(b, at) + 1 + below(31)));
    add(`misaligned-${x.t.name}`, b, 'format', /has a misaligned data offset/, `'${x.t.name}' at an unaligned offset`);
  }
  for (const x of pickInfos(3)) {
    const b = Buffer.from(good);
    setU64(b, typeAt(x) + 4, BigInt(good.length + 32 * below(1000)) & ~31n);
    add(`offset-past-end-${x.t.name}`, b, 'format', /extends past the end of the file/, `'${x.t.name}' beyond the end`);
  }
  for (let k = 0; k < 4; k++) {
    const i = 1 + below(infos.length - 1);
    const x = /** @type {{ o: number, t: Model['tensors'][number] }} */ (infos[i]);
    const prev = /** @type {{ o: number, t: Model['tensors'][number] }} */ (infos[i - 1]);
    const b = Buffer.from(good);
    setU64(b, typeAt(x) + 4, BigInt(getU64(good, typeAt(prev) + 4)));
    add(`overlap-${x.t.name}`, b, 'format', /overlap/, `'${x.t.name}' placed on '${prev.t.name}'`);
  }

  // ---- tensors, changed logically: missing, extra, renamed, reshaped
  for (const name of ['token_embd.weight', 'output_norm.weight', 'blk.0.attn_q.weight', 'blk.1.ffn_down.weight', 'blk.1.attn_sub_norm.weight']) {
    logical(`missing-${name}`, (m) => void (m.tensors = m.tensors.filter((t) => t.name !== name)), 'format', new RegExp(`tensor '${name.replace(/\./g, '\\.')}' is missing`), `no tensor ${name}`);
  }
  logical('extra-bias', (m) => void m.tensors.push({ name: 'blk.0.attn_q.bias', dims: [256], type: TensorType.F32, data: Buffer.alloc(1024) }), 'format', /unexpected tensor 'blk\.0\.attn_q\.bias'/, 'an extra bias tensor');
  logical('renamed-tensor', (m) => {
    const t = /** @type {Model['tensors'][number]} */ (m.tensors.find((x) => x.name === 'blk.0.ffn_up.weight'));
    t.name = 'blk.0.ffn_upp.weight';
  }, 'format', /tensor 'blk\.0\.ffn_up\.weight' is missing/, 'a misspelt tensor name');
  {
    const m = clone(i2s);
    const t = /** @type {Model['tensors'][number]} */ (m.tensors.find((x) => x.name === 'blk.0.attn_k.weight'));
    const w = writeModel(m);
    // Give the second tensor the first one's name in the tensor table (same length).
    const other = /** @type {{ o: number, t: Model['tensors'][number] }} */ (infos.find((y) => y.t.name === 'blk.0.attn_v.weight'));
    const b = Buffer.from(w.bytes);
    b.write(t.name, other.o + 8, 'utf8');
    add('duplicate-tensor', b, 'format', /duplicate tensor 'blk\.0\.attn_k\.weight'/, 'two tensors with the same name');
  }
  logical('swapped-dims', (m) => {
    const t = /** @type {Model['tensors'][number]} */ (m.tensors.find((x) => x.name === 'blk.0.ffn_down.weight'));
    t.dims = [t.dims[1] ?? 1, t.dims[0] ?? 1];
  }, 'format', /tensor 'blk\.0\.ffn_down\.weight' has shape \[256, 512\], expected \[512, 256\]/, 'a matrix stored transposed');
  logical('norm-too-long', (m) => {
    const t = /** @type {Model['tensors'][number]} */ (m.tensors.find((x) => x.name === 'output_norm.weight'));
    t.dims = [512];
    t.data = Buffer.concat([t.data, t.data]);
  }, 'format', /tensor 'output_norm\.weight' has shape \[512\], expected \[256\]/, 'a norm twice too long');
  logical('norm-3d', (m) => {
    const t = /** @type {Model['tensors'][number]} */ (m.tensors.find((x) => x.name === 'blk.1.ffn_norm.weight'));
    t.dims = [128, 1, 2];
  }, 'format', /has shape \[128, 1, 2\]/, 'a norm with three dimensions');
  logical('embedding-vocab-mismatch', (m) => {
    const t = /** @type {Model['tensors'][number]} */ (m.tensors.find((x) => x.name === 'token_embd.weight'));
    t.dims = [256, 500];
    t.data = t.data.subarray(0, 256 * 500 * 2);
  }, 'format', /token_embd\.weight' has shape \[256, 500\], expected \[256, 509\]/, 'an embedding with fewer rows than tokens');

  // ---- NaN and infinity in weights
  const f32At = (/** @type {Buffer} */ d, /** @type {number} */ v) => { d.writeFloatLE(v, 4 * below(d.length / 4)); };
  for (const [name, v] of [['output_norm.weight', NaN], ['blk.0.attn_norm.weight', Infinity], ['blk.1.ffn_sub_norm.weight', -Infinity], ['blk.0.attn_sub_norm.weight', NaN]]) {
    logical(`norm-${v}-${name}`, (m) => f32At(/** @type {Model['tensors'][number]} */ (m.tensors.find((t) => t.name === name)).data, /** @type {number} */ (v)), 'format', new RegExp(`tensor '${String(name).replace(/\./g, '\\.')}' \\(F32\\) has a non-finite value`), `${v} in ${name}`);
  }
  for (const [h, label] of [[0x7e00, 'nan'], [0x7c00, 'inf'], [0xfc00, '-inf']]) {
    logical(`embedding-${label}`, (m) => {
      const d = /** @type {Model['tensors'][number]} */ (m.tensors.find((t) => t.name === 'token_embd.weight')).data;
      d.writeUInt16LE(/** @type {number} */ (h), 2 * below(d.length / 2));
    }, 'format', /tensor 'token_embd\.weight' \(F16\) has a non-finite value/, `F16 ${label} in the embedding`);
  }
  for (const v of [NaN, Infinity]) {
    logical(`i2s-scale-${v}`, (m) => {
      const d = /** @type {Model['tensors'][number]} */ (m.tensors.find((t) => t.name === 'blk.1.attn_output.weight')).data;
      d.writeFloatLE(v, d.length - 32);
    }, 'format', /I2_S tensor 'blk\.1\.attn_output\.weight' has an invalid scale/, `I2_S scale ${v}`);
  }
  for (const [model, label, block] of /** @type {const} */ ([[tq1, 'TQ1_0', 54], [tq2, 'TQ2_0', 66]])) {
    logical(`${label}-block-scale-inf`, (m) => {
      const d = /** @type {Model['tensors'][number]} */ (m.tensors.find((t) => t.name === 'blk.0.ffn_gate.weight')).data;
      d.writeUInt16LE(f32ToF16(Infinity), block * below(d.length / block) + block - 2);
    }, 'format', new RegExp(`tensor 'blk\\.0\\.ffn_gate\\.weight' \\(${label}\\) has a non-finite value .* in the scale of block`), `infinity in a ${label} block scale`, model);
  }
  return cases;
}

/** Writes the corpus to `dir`: one file per case and index.json. @param {string} dir @param {{ seed?: number }} [options] */
export function writeMalformedCorpus(dir, options = {}) {
  mkdirSync(dir, { recursive: true });
  const cases = malformedCorpus(options);
  const index = cases.map((c) => {
    const file = join(dir, `${c.name}.gguf`);
    writeFileSync(file, c.bytes);
    return { name: c.name, file, code: c.code, expect: c.expect.source, what: c.what };
  });
  writeFileSync(join(dir, 'index.json'), JSON.stringify(index, null, 1));
  return index;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [dir, flag, value] = process.argv.slice(2);
  if (!dir) {
    process.stderr.write('usage: node tools/malformed-gguf.mjs OUT_DIR [--seed N]\n');
    process.exit(2);
  }
  const index = writeMalformedCorpus(dir, { seed: flag === '--seed' ? Number(value) : 1 });
  process.stdout.write(`${index.length} malformed GGUF files in ${dir}\n`);
}
