// The hand-written pre-tokenizers against the regular expressions they implement, run by JavaScript's Unicode
// regex engine: each regex of a pre-tokenizer's sequence splits every piece of the previous step into its matches
// and the unmatched text between them (what llama.cpp does with each regex). \s is spelled \p{White_Space},
// the set llama.cpp and Oniguruma use (JavaScript's own \s differs on U+0085 and U+FEFF).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import { GGUFWriter } from '../../tools/gguf.mjs';
import { writeVocab } from '../../tools/hf-vocab.mjs';
import { randomText, rng } from './text-gen';
import { buildDriver, driverInfo, repoRoot, VocabDriver } from './vocab-driver';

const S = '\\p{White_Space}';
const NS = '\\P{White_Space}';
const gpt2 = `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${S}\\p{L}\\p{N}]+|${S}+(?!${NS})`;
const llama3 =
  `(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}` +
  `| ?[^${S}\\p{L}\\p{N}]+[\\r\\n]*|${S}*[\\r\\n]+|${S}+(?!${NS})|${S}+`;

const sequences: Record<string, string[]> = {
  default: ['[\\p{P}\\$\\+<=>\\^~\\|]+', gpt2, '\\p{N}+', '[0-9][0-9][0-9]'],
  gpt2: [gpt2],
  starcoder: ['\\p{N}', gpt2],
  'llama-bpe': [llama3],
};

/** Matches of `re` in `text` and the unmatched text between them, in order (like std::regex_iterator). */
function regexSplit(re: RegExp, text: string): string[] {
  const out: string[] = [];
  let last = 0;
  for (const m of text.matchAll(re)) {
    const at = m.index ?? 0;
    if (at > last) out.push(text.slice(last, at));
    out.push(m[0]);
    last = at + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last));
  return out;
}

function splitSequence(patterns: string[], text: string): number[] {
  let pieces = text.length ? [text] : [];
  for (const p of patterns) {
    const re = new RegExp(p, 'gu');
    pieces = pieces.flatMap((piece) => regexSplit(re, piece));
  }
  return pieces.map((p) => Buffer.byteLength(p, 'utf8'));
}

describe('pre-tokenizers vs their regular expressions', () => {
  let dir = '';
  let driverPath = '';
  const drivers = new Map<string, VocabDriver>();

  before(() => {
    driverPath = buildDriver(false);
    dir = mkdtempSync(path.join(tmpdir(), 'trit-pre-'));
    // A small vocabulary (the fixture's) written once per pre-tokenizer name.
    const vocab = JSON.parse(readFileSync(path.join(repoRoot, 'test/fixtures/tokenizer/vocab.json'), 'utf8')) as {
      tokens: string[];
      token_types: number[];
      merges: string[];
    };
    for (const pre of Object.keys(sequences)) {
      const w = new GGUFWriter();
      w.string('general.architecture', 'bitnet-b1.58');
      writeVocab(w, { tokens: vocab.tokens, tokenTypes: Int32Array.from(vocab.token_types), merges: vocab.merges },
        { bos: 506, eos: 507, pre });
      const file = path.join(dir, `${pre}.gguf`);
      w.writeFile(file);
      assert.equal(driverInfo(driverPath, file).pre, pre);
      drivers.set(pre, new VocabDriver(driverPath, file));
    }
  });
  after(async () => {
    for (const d of drivers.values()) await d.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const pre of Object.keys(sequences)) {
    it(`${pre}: same pieces on 4000 random strings and a multilingual sample`, async () => {
      const driver = drivers.get(pre) as VocabDriver;
      const patterns = sequences[pre] as string[];
      const r = rng(pre.length * 1000 + 1);
      const texts = Array.from({ length: 4000 }, () => randomText(r));
      texts.push(readFileSync(path.join(repoRoot, 'test/fixtures/tokenizer/multilingual.txt'), 'utf8'));
      texts.push(readFileSync(path.join(repoRoot, 'native/src/vocab.cpp'), 'utf8'));
      for (const text of texts) {
        assert.deepEqual(await driver.split(text), splitSequence(patterns, text), JSON.stringify(text.slice(0, 200)));
      }
    });
  }
});
