// Every lifetime has one owner: loading and disposing models in a loop, or dropping them to the garbage collector,
// leaves resident memory flat. The F32 master (5 MB of weights, all touched by a forward pass) makes a leaked
// engine show up as ~5 MB of RSS per iteration.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { fixtureModels, gc, modelPath, native, prompt } from './addon-fixtures';

const master = fixtureModels.find((m) => m.id === 'fixture-bitnet-f32')!;
const mb = (bytes: number): number => bytes / 2 ** 20;

async function settle(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  return process.memoryUsage().rss;
}

async function oneRound(dispose: boolean): Promise<void> {
  const model = await native().loadModel(modelPath(master), { threads: 1, onProgress: () => {} });
  const pieces: string[] = [];
  const r = await model.complete(
    { slot: 'doc', prompt: prompt('p94'), maxTokens: 4, ignoreEog: true, logitsAll: true },
    (p) => pieces.push(p),
  ).done;
  assert.equal(r.generatedTokens, 4);
  if (dispose) {
    await model.dispose();
  } else {
    // Collect now, so that the test measures what the finalizer frees rather than how many models V8 lets pile
    // up before it collects (malloc keeps that peak mapped).
    gc();
    await new Promise((r) => setImmediate(r));
  }
}

// Under AddressSanitizer (scripts/test-native-asan.sh) freed memory is quarantined, so RSS cannot show leaks.
describe('memory', { skip: process.env.TRIT_TEST_SANITIZED === '1' && 'sanitizer build' }, () => {
  for (const dispose of [true, false]) {
    it(`stays flat over 40 models ${dispose ? 'loaded and disposed' : 'left to the garbage collector'}`, async () => {
      for (let i = 0; i < 10; i++) await oneRound(dispose);
      const before = await settle();
      for (let i = 0; i < 40; i++) await oneRound(dispose);
      const growth = mb((await settle()) - before);
      assert.ok(growth < 25, `RSS grew by ${growth.toFixed(1)} MB over 40 models (a leaked engine costs ~5 MB)`);
    });
  }

  it('stays flat over many cancelled and completed jobs on one model', async () => {
    const model = await native().loadModel(modelPath(master), { threads: 1 });
    const run = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const job = model.complete(
          { slot: `s${i % 4}`, prompt: prompt('p94').slice(0, 10 + (i % 50)), maxTokens: 8 },
          () => {},
        );
        if (i % 3 === 0) job.cancel();
        await job.done;
      }
    };
    await run(50);
    const before = await settle();
    await run(300);
    const growth = mb((await settle()) - before);
    await model.dispose();
    assert.ok(growth < 10, `RSS grew by ${growth.toFixed(1)} MB over 300 jobs`);
  });
});
