// The tokenizer against the reference engines' own tokenizations of the fixture vocabulary (bitnet.cpp and
// llama.cpp agree on all of them): 22 strings x 2 variants and the 3 fixture prompts, read from the vocabulary
// stored in the fixture model files. Runs through the engine (the addon), and through the release and the
// ASan+UBSan builds of the C++ test driver.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';

import type { NativeModel } from '../../server/src/engine/native-types';
import { native } from './addon-fixtures';
import { buildDriver, driverInfo, repoRoot, VocabDriver } from './vocab-driver';

interface GoldenCase {
  text: string;
  utf8_hex: string;
  default: { 'bitnet.cpp': number[]; 'llama.cpp': number[]; agree: boolean };
  no_bos_no_special: { 'bitnet.cpp': number[]; 'llama.cpp': number[]; agree: boolean };
}

const fixtures = path.join(repoRoot, 'test/fixtures');
const golden = JSON.parse(readFileSync(path.join(fixtures, 'tokenizer/tokenizer_golden.json'), 'utf8')) as {
  cases: GoldenCase[];
};
// Both fixture vocabularies are identical; one file per reference family.
const models = ['fixture-b158-i2_s.gguf', 'fixture-bitnet-tq2_0.gguf'].map((f) => path.join(fixtures, 'bitnet/models', f));
const prompts = ['p7', 'p94', 'p438'];

for (const model of models) {
  describe(`tokenizer goldens through the engine: ${path.basename(model)}`, () => {
    let m: NativeModel;
    before(async () => {
      m = await native().loadModel(model, { threads: 1 });
    });
    after(async () => {
      await m.dispose();
    });

    it('matches all 44 golden tokenizations and the prompts', () => {
      assert.equal(m.info.tokenizerPre, 'default');
      for (const c of golden.cases) {
        const text = Buffer.from(c.utf8_hex, 'hex').toString('utf8');
        assert.deepEqual(Array.from(m.tokenize(text, { addBos: true, parseSpecial: true })), c.default['bitnet.cpp'], text);
        assert.deepEqual(Array.from(m.tokenize(text, { addBos: false, parseSpecial: false })),
          c.no_bos_no_special['bitnet.cpp'], text);
      }
      for (const p of prompts) {
        const text = readFileSync(path.join(fixtures, `tokenizer/prompts/${p}.txt`), 'utf8');
        const ids = JSON.parse(readFileSync(path.join(fixtures, `tokenizer/prompts/${p}.ids.json`), 'utf8')) as number[];
        assert.deepEqual(Array.from(m.tokenize(text)), ids, p);
      }
    });
  });
}

describe('tokenizer C++ unit tests (native/tests/test-vocab.cpp)', () => {
  for (const sanitized of [false, true]) {
    it(sanitized ? 'pass under ASan+UBSan' : 'pass', () => {
      buildDriver(sanitized);
      const bin = path.join(repoRoot, 'native/build-tests', sanitized ? 'test-vocab-san' : 'test-vocab');
      const r = spawnSync(bin, [], { encoding: 'utf8' });
      assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
      assert.match(r.stdout, /, 0 failures/);
    });
  }
});

for (const sanitized of [false, true]) {
  for (const model of models) {
    describe(`tokenizer goldens: ${path.basename(model)}${sanitized ? ' (ASan+UBSan)' : ''}`, () => {
      let driverPath = '';
      let driver: VocabDriver;
      before(() => {
        driverPath = buildDriver(sanitized);
        driver = new VocabDriver(driverPath, model);
      });
      after(async () => {
        await driver.close();
      });

      it('reads the vocabulary and picks the references\' settings', () => {
        const info = driverInfo(driverPath, model);
        assert.equal(info.n_tokens, 509);
        assert.equal(info.pre, 'default'); // no tokenizer.ggml.pre and not the LLaMA-3 vocabulary
        assert.equal(info.add_bos, true);
        assert.deepEqual([info.bos, info.eos, info.eot, info.pad], [506, 507, 508, 507]);
        assert.deepEqual(info.eog, [507, 508]);
        assert.equal(info.n_merges_skipped, 0);
      });

      it('matches all 44 golden tokenizations', async () => {
        assert.equal(golden.cases.length, 22);
        for (const c of golden.cases) {
          const bytes = Buffer.from(c.utf8_hex, 'hex');
          assert.equal(bytes.toString('utf8'), c.text);
          assert.ok(c.default.agree && c.no_bos_no_special.agree);
          assert.deepEqual(await driver.tokenize(bytes, true, true), c.default['bitnet.cpp'], `default: ${JSON.stringify(c.text)}`);
          assert.deepEqual(
            await driver.tokenize(bytes, false, false),
            c.no_bos_no_special['bitnet.cpp'],
            `no_bos_no_special: ${JSON.stringify(c.text)}`,
          );
        }
      });

      it('matches the references on the fixture prompts', async () => {
        for (const p of prompts) {
          const text = readFileSync(path.join(fixtures, `tokenizer/prompts/${p}.txt`));
          const ids = JSON.parse(readFileSync(path.join(fixtures, `tokenizer/prompts/${p}.ids.json`), 'utf8')) as number[];
          assert.deepEqual(await driver.tokenize(text, true, true), ids, p);
        }
      });

      it('detokenizes back to the exact bytes', async () => {
        for (const c of golden.cases) {
          const bytes = Buffer.from(c.utf8_hex, 'hex');
          const ids = c.default['bitnet.cpp'];
          assert.deepEqual(await driver.detokenize(ids.slice(1), true), bytes, JSON.stringify(c.text));
          // Without render_special the control tokens (BOS, <|eot_id|>) contribute nothing.
          const visible = Buffer.from(c.text.replace(/<\|[a-z_]+\|>/g, ''), 'utf8');
          assert.deepEqual(await driver.detokenize(ids, false), visible, JSON.stringify(c.text));
        }
      });
    });
  }
}
