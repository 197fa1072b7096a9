// A corpus of broken GGUF files made from the real fixture models (tools/malformed-gguf.mjs, seeded): every one,
// loaded through the addon, must fail with a TritError whose code and message say what is wrong, never crash the
// process; after all of them the addon still loads a good model and generates.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';

import { TritError } from '../../server/src/engine/native';
import { readModel, writeMalformedCorpus, writeModel } from '../../tools/malformed-gguf.mjs';
import { fixturesDir, native, scratchDir } from './addon-fixtures';

const seed = Number(process.env['TRIT_MALFORMED_SEED'] ?? 1);

describe(`malformed models (seed ${seed})`, () => {
  const dir = scratchDir();
  after(() => rmSync(join(dir, 'corpus'), { recursive: true, force: true }));
  const corpus = writeMalformedCorpus(join(dir, 'corpus'), { seed });

  it('the corpus is large and varied', () => {
    assert.ok(corpus.length >= 100, `${corpus.length} files`);
    const kinds = new Set(corpus.map((c) => c.name.replace(/^\d+-/, '').replace(/[-.].*$/, '')));
    assert.ok(kinds.size >= 30, `${kinds.size} kinds of damage`);
  });

  it('the undamaged rebuild of the source model loads and generates (the corpus damages a working file)', async () => {
    const path = join(dir, 'rebuilt.gguf');
    writeFileSync(path, writeModel(readModel(join(fixturesDir, 'bitnet', 'models', 'fixture-b158-i2_s.gguf'))).bytes);
    const model = await native().loadModel(path);
    try {
      const job = model.complete({ slot: '', prompt: model.tokenize('def f(x):'), maxTokens: 4 });
      const r = await job.done;
      assert.equal(r.tokens.length, 4);
    } finally {
      await model.dispose();
    }
  });

  it('every broken file is refused with a clear error naming what is wrong', async () => {
    const outcomes: Record<string, number> = {};
    const failures: string[] = [];
    const t0 = performance.now();
    for (const c of corpus) {
      try {
        const model = await native().loadModel(c.file);
        await model.dispose();
        failures.push(`${c.name} (${c.what}): loaded`);
      } catch (e) {
        if (!(e instanceof TritError)) {
          failures.push(`${c.name}: not a TritError: ${String(e)}`);
          continue;
        }
        outcomes[e.code] = (outcomes[e.code] ?? 0) + 1;
        if (e.code !== c.code) failures.push(`${c.name} (${c.what}): code ${e.code}, expected ${c.code}: ${e.message}`);
        else if (!new RegExp(c.expect).test(e.message)) failures.push(`${c.name} (${c.what}): '${e.message}' does not match /${c.expect}/`);
      }
    }
    const ms = performance.now() - t0;
    assert.deepEqual(failures, []);
    process.stdout.write(`${corpus.length} malformed files refused in ${ms.toFixed(0)} ms: ${JSON.stringify(outcomes)}\n`);
  });

  it('the addon still loads a good model afterwards', async () => {
    const model = await native().loadModel(join(fixturesDir, 'bitnet', 'models', 'fixture-bitnet-tq2_0.gguf'));
    try {
      const r = await model.complete({ slot: '', prompt: model.tokenize('hello'), maxTokens: 3 }).done;
      assert.equal(r.tokens.length, 3);
    } finally {
      await model.dispose();
    }
  });
});
