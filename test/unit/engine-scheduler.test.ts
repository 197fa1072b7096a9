// Scheduling rules of server/src/engine/engine.ts, checked against a scripted native model (the real engine is
// exercised by test/lsp and test/native; here the point is the order, cancellation and resumption of jobs).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Engine, type RunResult } from '../../server/src/engine/engine';
import type { CompleteRequest, CompleteResult, EngineStats, Job, ModelInfo, NativeModel } from '../../server/src/engine/native-types';

/** Tokens are character codes; each slot keeps its token history like the real engine; one token per `tickMs`. */
class ScriptedModel implements NativeModel {
  readonly info = { name: 'scripted', nCtx: 4096 } as unknown as ModelInfo;
  readonly slots = new Map<string, number[]>();
  readonly runs: { slot: string; promptTokens: number; reused: number; cancelled: boolean }[] = [];
  active = 0;
  maxActive = 0;
  disposed = false;
  failNext = false;

  constructor(private readonly script: (prompt: string) => string, private readonly tickMs = 1) {}

  tokenize(text: string): Int32Array {
    return Int32Array.from([...text].map((c) => c.charCodeAt(0)));
  }

  detokenize(tokens: Int32Array | readonly number[]): string {
    return String.fromCharCode(...tokens);
  }

  complete(req: CompleteRequest, onText?: (piece: string) => void): Job {
    if (this.failNext) {
      this.failNext = false;
      throw Object.assign(new Error('prompt too long'), { code: 'argument' });
    }
    const prompt = Array.from(req.prompt);
    const history = this.slots.get(req.slot) ?? [];
    let reused = 0;
    while (reused < history.length && reused < prompt.length && history[reused] === prompt[reused]) reused++;
    if (reused === prompt.length) reused--; // one token is evaluated to get logits
    const want = this.script(this.detokenize(prompt));
    let cancelled = false;
    this.active++;
    this.maxActive = Math.max(this.maxActive, this.active);
    const done = (async (): Promise<CompleteResult> => {
      const t0 = performance.now();
      const out: number[] = [];
      let stopReason: CompleteResult['stopReason'] = 'eog';
      for (const ch of want) {
        await new Promise((r) => setTimeout(r, this.tickMs));
        if (cancelled) {
          stopReason = 'cancelled';
          break;
        }
        if (out.length >= (req.maxTokens ?? 32)) {
          stopReason = 'length';
          break;
        }
        out.push(ch.charCodeAt(0));
        onText?.(ch);
      }
      this.slots.set(req.slot, [...prompt, ...out]);
      this.runs.push({ slot: req.slot, promptTokens: prompt.length, reused, cancelled: stopReason === 'cancelled' });
      this.active--;
      const ms = performance.now() - t0;
      return {
        text: this.detokenize(out), tokens: out, stopReason, promptTokens: prompt.length, reusedTokens: reused,
        evaluatedTokens: prompt.length - reused, generatedTokens: out.length, prefillMs: 0, decodeMs: ms, totalMs: ms,
      };
    })();
    return { done, cancel: () => { cancelled = true; } };
  }

  dropSlot(slot: string): void {
    this.slots.delete(slot);
  }

  stats(): EngineStats {
    return { slots: [], kvBytes: 0, kvBudgetBytes: 0, weightBytes: 0, jobs: this.runs.length, cancelled: 0 };
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }
}

const tokens = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));
/** The chat script: a long answer that depends only on the question, so a resumed answer must equal it. */
const answer = (prompt: string): string => `Answer to ${prompt.slice(0, 6)}: ` + 'the quick brown fox jumps. '.repeat(6);

describe('Engine scheduler', () => {
  it('a newer request on the same slot cancels the older one', async () => {
    const model = new ScriptedModel(() => 'completion text', 2);
    const engine = new Engine(model);
    const a = engine.run({ slot: 'doc:a', prompt: tokens('abc'), priority: 'interactive', maxTokens: 32 });
    const b = engine.run({ slot: 'doc:a', prompt: tokens('abcd'), priority: 'interactive', maxTokens: 32 });
    const c = engine.run({ slot: 'doc:b', prompt: tokens('xyz'), priority: 'interactive', maxTokens: 32 });
    const [ra, rb, rc] = await Promise.all([a, b, c]);
    assert.equal(ra.stopReason, 'cancelled');
    assert.equal(ra.cancelledBy, 'superseded');
    assert.equal(rb.text, 'completion text');
    assert.equal(rc.text, 'completion text', 'other documents are not affected');
    assert.equal(model.maxActive, 1, 'one native job at a time');
    assert.equal(rb.reusedTokens, 3, 'b reuses what a evaluated on the slot');
  });

  it('an aborted signal resolves a queued job without running it', async () => {
    const model = new ScriptedModel(() => 'x'.repeat(20));
    const engine = new Engine(model);
    const first = engine.run({ slot: 'doc:a', prompt: tokens('a'), priority: 'interactive', maxTokens: 32 });
    const ac = new AbortController();
    const queued = engine.run({ slot: 'doc:b', prompt: tokens('b'), priority: 'interactive', maxTokens: 32, signal: ac.signal });
    ac.abort();
    const r = await queued;
    assert.equal(r.stopReason, 'cancelled');
    assert.equal(r.cancelledBy, 'signal');
    await first;
    assert.deepEqual(model.runs.map((x) => x.slot), ['doc:a']);
    const pre = new AbortController();
    pre.abort();
    assert.equal((await engine.run({ slot: 'doc:c', prompt: tokens('c'), priority: 'interactive', maxTokens: 4, signal: pre.signal })).stopReason, 'cancelled');
  });

  it('aborting a running job stops it', async () => {
    const model = new ScriptedModel(() => 'y'.repeat(500));
    const engine = new Engine(model);
    const ac = new AbortController();
    let pieces = 0;
    const run = engine.run({
      slot: 'doc:a', prompt: tokens('p'), priority: 'interactive', maxTokens: 500, signal: ac.signal,
      onText: () => { if (++pieces === 5) ac.abort(); },
    });
    const r = await run;
    assert.equal(r.stopReason, 'cancelled');
    assert.ok(r.text.length >= 5 && r.text.length < 20, `stopped after ${r.text.length}`);
  });

  it('completion pre-empts chat; chat resumes from where it was with its prefix reused', async () => {
    // The chat script continues the same answer after a resumption: it generates the rest of answer(question).
    const script = (p: string): string => (p.startsWith('Q:') ? answer(p.slice(0, 8)).slice(p.length - 8) : 'done();');
    const model = new ScriptedModel(script, 1);
    const engine = new Engine(model);
    const question = tokens('Q: why? ');
    const streamed: string[] = [];
    let completion: Promise<RunResult> | undefined;
    let completionDoneAt = 0;
    const chat = engine.run({
      slot: 'chat', prompt: question, priority: 'background', maxTokens: 1000,
      onText: (t) => {
        streamed.push(t);
        if (streamed.length === 20 && !completion) {
          completion = engine.run({ slot: 'doc:a', prompt: tokens('let x = '), priority: 'interactive', maxTokens: 16 });
          void completion.then(() => { completionDoneAt = performance.now(); });
        }
      },
    });
    const r = await chat;
    const chatDoneAt = performance.now();
    assert.ok(completion);
    const c = await completion;
    assert.equal(c.text, 'done();');
    assert.ok(completionDoneAt < chatDoneAt, 'the completion did not wait for the chat answer');
    assert.equal(r.preemptions, 1);
    assert.equal(r.text, answer('Q: why? '), 'the resumed answer is the answer');
    assert.equal(streamed.join(''), r.text, 'the stream has no gap and no repeat');
    const chatRuns = model.runs.filter((x) => x.slot === 'chat');
    assert.equal(chatRuns.length, 2);
    assert.ok(chatRuns[0]?.cancelled);
    const resumed = chatRuns[1];
    assert.ok(resumed && resumed.promptTokens - resumed.reused <= 1, `resume evaluated ${resumed && resumed.promptTokens - resumed.reused} tokens`);
    assert.equal(engine.stats().counters.preempted, 1);
  });

  it('a failing request rejects and the queue goes on', async () => {
    const model = new ScriptedModel(() => 'ok');
    const engine = new Engine(model);
    model.failNext = true;
    await assert.rejects(engine.run({ slot: 'doc:a', prompt: tokens('a'), priority: 'interactive', maxTokens: 4 }), /prompt too long/);
    assert.equal((await engine.run({ slot: 'doc:a', prompt: tokens('a'), priority: 'interactive', maxTokens: 4 })).text, 'ok');
  });

  it('busy events follow the running job', async () => {
    const engine = new Engine(new ScriptedModel(() => 'abc'));
    const seen: (string | undefined)[] = [];
    engine.onBusy((p) => seen.push(p));
    await engine.run({ slot: 'chat', prompt: tokens('q'), priority: 'background', maxTokens: 8 });
    assert.deepEqual(seen, ['background', undefined]);
  });

  it('dispose cancels everything and frees the model once', async () => {
    const model = new ScriptedModel(() => 'z'.repeat(1000));
    const engine = new Engine(model);
    const running = engine.run({ slot: 'chat', prompt: tokens('q'), priority: 'background', maxTokens: 1000 });
    const queued = engine.run({ slot: 'chat2', prompt: tokens('q'), priority: 'background', maxTokens: 1000 });
    await new Promise((r) => setTimeout(r, 10));
    await Promise.all([engine.dispose(), engine.dispose()]);
    assert.equal((await running).cancelledBy, 'disposed');
    assert.equal((await queued).cancelledBy, 'disposed');
    assert.ok(model.disposed);
    assert.equal((await engine.run({ slot: 'x', prompt: tokens('q'), priority: 'interactive', maxTokens: 2 })).stopReason, 'cancelled');
  });

  it('dropping the slot of a running job waits for the job', async () => {
    const model = new ScriptedModel(() => 'abcdef');
    const engine = new Engine(model);
    const run = engine.run({ slot: 'doc:a', prompt: tokens('p'), priority: 'interactive', maxTokens: 8 });
    engine.dropSlot('doc:a');
    assert.ok(model.slots.size === 0);
    await run;
    assert.equal(model.slots.has('doc:a'), false, 'dropped after the job ended');
  });
});
