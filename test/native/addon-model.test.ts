// The addon on every fixture model: loading (with progress), the info object, tokenize/detokenize, greedy
// generation against the reference engines' goldens, streaming, and logits.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import type { NativeModel } from '../../server/src/engine/native-types';
import {
  fixtureModels,
  fixtureShape,
  greedyGolden,
  modelPath,
  native,
  prompt,
  promptIds,
  promptText,
  stepsToMatch,
} from './addon-fixtures';

describe('binding', () => {
  it('reports its version, platform and kernels', () => {
    const b = native();
    assert.match(b.version, /^\d+\.\d+\.\d+.* \(\w+-\w+, Node-API \d+\)$/);
    const kernels = b.availableKernels();
    assert.ok(kernels.length >= 1);
    assert.equal(kernels.at(-1), 'ref', 'the reference kernels are always available, listed last');
  });

  it('measures a plausible memory read bandwidth', () => {
    const bytesPerSecond = native().memoryReadBandwidth(1, 64 * 2 ** 20);
    assert.ok(bytesPerSecond > 1e8 && bytesPerSecond < 1e13, `bandwidth ${bytesPerSecond}`);
  });
});

for (const fixture of fixtureModels) {
  describe(`model ${fixture.id}`, () => {
    let model: NativeModel;
    const progress: number[] = [];

    before(async () => {
      model = await native().loadModel(modelPath(fixture), { threads: 2, onProgress: (f) => progress.push(f) });
    });
    after(async () => {
      await model.dispose();
    });

    it('reports load progress in order, ending at 1', () => {
      assert.ok(progress.length >= 1);
      for (let i = 1; i < progress.length; i++)
        assert.ok(progress[i]! >= progress[i - 1]!, `progress ${progress.join(',')}`);
      assert.equal(progress.at(-1), 1);
    });

    it('describes itself', () => {
      const { info } = model;
      assert.equal(info.path, modelPath(fixture));
      assert.equal(info.arch, fixture.arch);
      assert.equal(info.weightType, fixture.weightType);
      assert.equal(info.embdType, fixture.embdType);
      assert.equal(info.nVocab, fixtureShape.nVocab);
      assert.equal(info.nEmbd, fixtureShape.nEmbd);
      assert.equal(info.nLayer, fixtureShape.nLayer);
      assert.equal(info.nHead, fixtureShape.nHead);
      assert.equal(info.nHeadKv, fixtureShape.nHeadKv);
      assert.equal(info.nFf, fixtureShape.nFf);
      assert.equal(info.nCtxTrain, fixtureShape.nCtxTrain);
      assert.equal(info.nCtx, fixtureShape.nCtxTrain, 'default context = min(model context, 4096)');
      assert.equal(info.nRot, fixtureShape.nEmbd / fixtureShape.nHead);
      assert.equal(info.ropeFreqBase, 500000);
      assert.equal(info.rmsEps, 1e-5);
      assert.equal(info.threads, 2);
      assert.ok(native().availableKernels().includes(info.kernels));
      assert.equal(info.tokenizerPre, 'default');
      assert.equal(info.addBos, true);
      assert.equal(info.special.bos, fixtureShape.bos);
      assert.equal(info.special.eos, fixtureShape.eos);
      assert.ok(info.special.eog.includes(fixtureShape.eos) && info.special.eog.includes(fixtureShape.eot));
      assert.equal(info.special.fimPre, -1);
      assert.ok(info.nParams > 0 && info.fileBytes > 0);
      assert.equal(typeof info.chatTemplate, 'string');
      assert.equal(typeof info.meta, 'object');
    });

    it('tokenizes the fixture prompts exactly as the reference engines do', () => {
      for (const id of promptIds) {
        assert.deepEqual(Array.from(model.tokenize(promptText(id))), prompt(id), id);
      }
    });

    it('round-trips text through tokenize and detokenize', () => {
      const texts = [
        '',
        'def mean(values):\n    return sum(values) / len(values)\n',
        '\tconst x = "é 中文 🙂";\r\n',
        '<|eot_id|> as text',
      ];
      for (const text of texts) {
        const ids = model.tokenize(text, { addBos: false });
        assert.equal(model.detokenize(ids), text);
        const withBos = model.tokenize(text);
        assert.equal(withBos[0], fixtureShape.bos);
        assert.equal(model.detokenize(withBos), text, 'control tokens are not rendered by default');
        assert.equal(model.detokenize(withBos, { renderSpecial: true }), `<|begin_of_text|>${text}`);
      }
      assert.deepEqual(Array.from(model.tokenize('<|eot_id|>', { addBos: false, parseSpecial: true })), [
        fixtureShape.eot,
      ]);
    });

    it('replaces incomplete or invalid UTF-8 with U+FFFD', () => {
      const ids = Array.from(model.tokenize('🙂', { addBos: false }));
      assert.ok(ids.length >= 2, 'the emoji is split into byte tokens by this small vocabulary');
      assert.equal(model.detokenize(ids.slice(0, 1)), '\uFFFD');
      assert.equal(model.detokenize(ids), '🙂');
      const a = Array.from(model.tokenize('a', { addBos: false }));
      assert.equal(model.detokenize([...ids.slice(0, 1), ...a]), '\uFFFDa');
    });

    it("generates the references' greedy tokens (up to the first low-margin step)", async () => {
      let compared = 0;
      for (const id of promptIds) {
        const golden = greedyGolden(fixture, id);
        const k = stepsToMatch(golden, fixture.marginGuard);
        const r = await model.complete({
          slot: '',
          prompt: prompt(id),
          maxTokens: golden.generated.length,
          ignoreEog: true,
        }).done;
        assert.equal(r.tokens.length, golden.generated.length);
        assert.deepEqual(r.tokens.slice(0, k), golden.generated.slice(0, k), `${id}: first ${k} greedy tokens`);
        compared += k;
      }
      assert.ok(compared >= 5, `only ${compared} greedy steps were above the margin guard`);
    });

    it('streams text pieces in order, all before the result', async () => {
      const pieces: string[] = [];
      let settled = false;
      const job = model.complete({ slot: 'stream', prompt: prompt('p94'), maxTokens: 48, ignoreEog: true }, (piece) => {
        assert.equal(settled, false, 'a piece arrived after the promise settled');
        pieces.push(piece);
      });
      const r = await job.done.finally(() => {
        settled = true;
      });
      assert.equal(r.stopReason, 'length');
      assert.equal(r.generatedTokens, 48);
      assert.ok(pieces.length > 1);
      assert.ok(pieces.every((p) => p.length > 0));
      assert.equal(pieces.join(''), r.text);
      assert.equal(r.text, model.detokenize(r.tokens));
    });

    it("reuses the slot's prefix and reports it", async () => {
      const ids = prompt('p94');
      await model.complete({ slot: 'reuse', prompt: ids.slice(0, 60), maxTokens: 0 }).done;
      const r = await model.complete({ slot: 'reuse', prompt: ids, maxTokens: 1 }).done;
      assert.equal(r.promptTokens, ids.length);
      assert.equal(r.reusedTokens, 60);
      assert.equal(r.evaluatedTokens, ids.length - 60);
      const slots = model.stats().slots.map((s) => s.name);
      assert.ok(slots.includes('reuse'));
      model.dropSlot('reuse');
      await model.complete({ slot: '', prompt: [fixtureShape.bos], maxTokens: 0 }).done; // runs after the drop
      assert.ok(!model.stats().slots.some((s) => s.name === 'reuse'));
    });

    it('returns logits for every prompt position, and the last row on request', async () => {
      const ids = prompt('p7');
      const all = await model.complete({ slot: '', prompt: ids, maxTokens: 0, logitsAll: true }).done;
      assert.ok(all.logits instanceof Float32Array);
      assert.equal(all.logits.length, ids.length * fixtureShape.nVocab);
      assert.ok(all.logits.every(Number.isFinite));
      const last = await model.complete({ slot: '', prompt: ids, maxTokens: 1, logitsLast: true }).done;
      assert.ok(last.logits instanceof Float32Array);
      assert.equal(last.logits.length, fixtureShape.nVocab);
      const lastRow = all.logits.subarray((ids.length - 1) * fixtureShape.nVocab);
      for (let v = 0; v < fixtureShape.nVocab; v++)
        assert.ok(Math.abs(lastRow[v]! - last.logits[v]!) < 1e-4, `logit ${v}`);
      let argmax = 0;
      for (let v = 1; v < fixtureShape.nVocab; v++) if (last.logits[v]! > last.logits[argmax]!) argmax = v;
      assert.equal(last.tokens[0], argmax, 'greedy picks the argmax of the returned logits');
      const none = await model.complete({ slot: '', prompt: ids, maxTokens: 1 }).done;
      assert.equal(none.logits, undefined);
    });
  });
}
