// Jobs on the model's engine thread: cancellation (running and queued), many queued jobs, a throwing onText
// callback, and dispose() while a job runs.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { CompleteResult, NativeModel } from '../../server/src/engine/native-types';
import { fixtureModels, fixtureShape, modelPath, native, prompt } from './addon-fixtures';

const tq1 = fixtureModels.find((m) => m.id === 'fixture-bitnet-tq1_0')!;

/** Resolves when the first text piece of a job arrives (so the job is certainly running). */
function firstPiece(): { onText: (piece: string) => void; started: Promise<void> } {
  let resolve!: () => void;
  const started = new Promise<void>((r) => (resolve = r));
  return { onText: () => resolve(), started };
}

describe('jobs', () => {
  let model: NativeModel;
  // The reference kernels are the slowest: a long job cannot finish before the test cancels it.
  before(async () => {
    model = await native().loadModel(modelPath(tq1), { threads: 1, kernels: 'ref' });
  });
  after(async () => {
    await model.dispose();
  });

  const long = { slot: 'long', prompt: prompt('p94'), maxTokens: 400, ignoreEog: true };

  it('cancels a running job within a few tokens, resolving with stop reason "cancelled"', async () => {
    const { onText, started } = firstPiece();
    const job = model.complete(long, onText);
    await started;
    const t0 = performance.now();
    job.cancel();
    const r = await job.done;
    const ms = performance.now() - t0;
    assert.equal(r.stopReason, 'cancelled');
    assert.ok(r.generatedTokens < long.maxTokens);
    assert.ok(ms < 250, `cancellation took ${ms.toFixed(1)} ms`);
    job.cancel(); // a second cancel after the result is harmless
  });

  it('runs queued jobs one at a time, in order, with the same results as alone', async () => {
    const requests = [7, 20, 33, 46, 59, 72].map((n, i) => ({
      slot: `q${i % 3}`,
      prompt: prompt('p94').slice(0, n),
      maxTokens: 6,
    }));
    const alone: CompleteResult[] = [];
    for (const r of requests) alone.push(await model.complete({ ...r, slot: '' }).done);

    const order: number[] = [];
    const jobs = requests.map((r) => model.complete(r));
    const results = await Promise.all(jobs.map((j, i) => j.done.then((r) => (order.push(i), r))));
    assert.deepEqual(order, [0, 1, 2, 3, 4, 5]);
    results.forEach((r, i) => assert.deepEqual(r.tokens, alone[i]!.tokens, `job ${i}`));
  });

  it('settles a cancelled queued job at once, without waiting for the running one', async () => {
    const { onText, started } = firstPiece();
    const running = model.complete(long, onText);
    const queued = model.complete({ slot: 'other', prompt: prompt('p7'), maxTokens: 4 });
    await started;
    let runningDone = false;
    void running.done.then(() => (runningDone = true));
    queued.cancel();
    const r = await queued.done;
    assert.equal(runningDone, false, 'the queued job settled before the running one');
    assert.equal(r.stopReason, 'cancelled');
    assert.equal(r.generatedTokens, 0);
    assert.equal(r.promptTokens, prompt('p7').length);
    running.cancel();
    assert.equal((await running.done).stopReason, 'cancelled');
  });

  it('rejects with the error a throwing onText callback raised, and stops the job', async () => {
    const boom = new Error('callback failed');
    let calls = 0;
    const job = model.complete(long, () => {
      calls++;
      throw boom;
    });
    await assert.rejects(job.done, (e) => e === boom || (e instanceof Error && e.message === boom.message));
    assert.equal(calls, 1, 'no more pieces after the callback threw');
    // The engine is still usable afterwards.
    const r = await model.complete({ slot: '', prompt: prompt('p7'), maxTokens: 2 }).done;
    assert.equal(r.generatedTokens, 2);
  });

  it('answers tokenize, detokenize and stats on the main thread while a job runs', async () => {
    const { onText, started } = firstPiece();
    const job = model.complete(long, onText);
    await started;
    const ids = model.tokenize('def mean(values):');
    for (let i = 0; i < 200; i++) {
      assert.deepEqual(model.tokenize('def mean(values):'), ids);
      assert.equal(model.detokenize(ids), 'def mean(values):');
      assert.ok(model.stats().slots.some((s) => s.name === long.slot));
    }
    job.cancel();
    assert.equal((await job.done).stopReason, 'cancelled');
  });

  it('counts jobs and cancellations', () => {
    const s = model.stats();
    assert.ok(s.jobs >= 10, `jobs ${s.jobs}`);
    assert.ok(s.cancelled >= 2, `cancelled ${s.cancelled}`);
    assert.ok(s.weightBytes > 0);
    assert.ok(s.kvBytes > 0 && s.kvBytes <= s.kvBudgetBytes);
  });
});

describe('dispose', () => {
  it('while a job runs: the job resolves "cancelled", dispose resolves, later calls throw', async () => {
    const model = await native().loadModel(modelPath(tq1), { threads: 1, kernels: 'ref' });
    const { onText, started } = firstPiece();
    const running = model.complete({ slot: 'a', prompt: prompt('p94'), maxTokens: 400, ignoreEog: true }, onText);
    const queued = model.complete({ slot: 'b', prompt: prompt('p7'), maxTokens: 4 });
    await started;
    const t0 = performance.now();
    await model.dispose();
    const ms = performance.now() - t0;
    assert.ok(ms < 500, `dispose took ${ms.toFixed(1)} ms`);
    assert.equal((await running.done).stopReason, 'cancelled');
    assert.equal((await queued.done).stopReason, 'cancelled');
    for (const call of [
      () => model.tokenize('x'),
      () => model.complete({ slot: '', prompt: [1] }),
      () => model.stats(),
      () => model.dropSlot('a'),
      () => model.detokenize([1]),
    ]) {
      assert.throws(
        call,
        (e: unknown) => (e as { code?: string }).code === 'argument' && /disposed/.test((e as Error).message),
      );
    }
    assert.equal(model.info.nVocab, fixtureShape.nVocab, 'info stays readable');
    await model.dispose(); // idempotent
  });

  it('twice at once: both promises resolve', async () => {
    const model = await native().loadModel(modelPath(tq1));
    const job = model.complete({ slot: '', prompt: prompt('p94'), maxTokens: 100, ignoreEog: true });
    await Promise.all([model.dispose(), model.dispose()]);
    assert.ok(['cancelled', 'length'].includes((await job.done).stopReason));
  });
});
