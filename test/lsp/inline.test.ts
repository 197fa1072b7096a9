// The language server as an editor sees it: a real process over stdio, the real native engine and a real model
// (the shipped model when present, otherwise the engine's fixture model, whose random weights produce noise text,
// so these tests check the protocol, the pipeline and the engine's statistics rather than the wording).
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CancellationTokenSource } from 'vscode-languageserver-protocol/node';
import { getValue, readGGUF } from '../../tools/gguf.mjs';
import { Server, testModel, ROOT, SHIPPED } from './harness';

const model = testModel();
const SOURCE = readFileSync(join(ROOT, 'test', 'unit', 'fixtures', 'queue.ts.txt'), 'utf8');

/** Position right after the first occurrence of `marker` in `text`. */
function after_(text: string, marker: string): { line: number; character: number } {
  const i = text.indexOf(marker);
  assert.ok(i >= 0, marker);
  const before_ = text.slice(0, i + marker.length).split('\n');
  return { line: before_.length - 1, character: (before_[before_.length - 1] as string).length };
}

describe(`inline completion over stdio (${model.shipped ? 'shipped model' : 'fixture model'})`, () => {
  let server: Server;
  before(async () => {
    // Whole answers only (no early partial answers), so each request's statistics describe its own engine run.
    server = await Server.start({ modelPath: model.path, settings: { completion: { partialAfterMs: 0 } } });
    await server.ready();
  });
  after(async () => server.stop());

  it('initializes with incremental sync and inline completion, then loads the model with progress', async () => {
    const statuses = server.statuses;
    assert.equal(statuses[0]?.state, 'loading');
    const ready = statuses.find((s) => s.state === 'ready');
    assert.ok(ready?.model, 'ready carries the model');
    assert.equal(ready.model.path, model.path);
    assert.equal(ready.model.shipped, model.shipped, 'the shipped file named explicitly is still the shipped model');
    assert.ok(ready.model.nCtx > 0 && ready.model.nParams > 0);
    const loading = statuses.filter((s) => s.state === 'loading').map((s) => s.progress ?? -1);
    assert.ok(loading.every((p, i) => p >= 0 && p <= 1 && (i === 0 || p >= (loading[i - 1] as number))), `progress ${loading}`);
    assert.equal(loading[loading.length - 1], 1);
    const info = await server.info();
    assert.equal(info.state, 'ready');
    assert.match(info.addonVersion ?? '', new RegExp(`\\(${process.platform}-${process.arch}, Node-API \\d+\\)`));
    assert.equal(info.model?.promptMode, model.shipped ? info.model?.promptMode : 'prefix', 'the fixture has no FIM tokens');
  });

  it('returns an item over the line up to the cursor, with statistics and a generating status', async () => {
    const uri = 'file:///work/queue.ts';
    await server.open(uri, SOURCE);
    const pos = after_(SOURCE, '  remove(id: number): boolean {\n    const i = ');
    const statusesBefore = server.statuses.length;
    const { list, stats } = await server.complete(uri, pos);
    assert.equal(stats.source, 'model');
    assert.equal(stats.engineRuns, 1);
    assert.ok(stats.promptTokens > 50, `prompt ${stats.promptTokens} tokens`);
    assert.equal(stats.reusedTokens + stats.evaluatedTokens, stats.promptTokens);
    assert.ok(stats.prefillTokens + stats.evaluatedTokens > 50, 'a new document: its prompt is evaluated');
    assert.ok(stats.generatedTokens > 0);
    assert.ok(server.statuses.slice(statusesBefore).some((s) => s.state === 'generating'), 'a generating status');
    await server.until('ready again', () => server.statuses[server.statuses.length - 1]?.state === 'ready');
    if (stats.outcome === 'items') {
      const item = list?.items[0];
      assert.ok(item && typeof item.insertText === 'string');
      assert.deepEqual(item.range, { start: { line: pos.line, character: 0 }, end: pos });
      assert.ok(item.insertText.startsWith('    const i = '), 'the item repeats the line up to the cursor');
      assert.ok(item.insertText.trim().length > '    const i ='.length, 'and adds text');
      assert.ok(!item.insertText.includes('\n'), 'text follows the cursor? no: but a statement under way ends with its line');
    } else {
      assert.equal(stats.outcome, 'empty');
    }
  });

  it('typing reuses the KV prefix: each keystroke evaluates only a few prompt tokens', async () => {
    const uri = 'file:///work/typing.ts';
    const cut = SOURCE.indexOf('  private pump(): void {');
    const text = SOURCE.slice(0, cut) + '\n' + SOURCE.slice(cut);
    await server.open(uri, text);
    let pos = after_(text, '    return true;\n  }\n');
    const first = await server.complete(uri, pos);
    const firstCost = first.stats.evaluatedTokens + first.stats.prefillTokens;
    assert.ok(firstCost > 50, `first request evaluates the prompt (${firstCost})`);
    const evaluated: number[] = [];
    for (const ch of '  size2') {
      pos = await server.type(uri, pos, ch);
      const r = await server.complete(uri, pos);
      if (r.stats.source !== 'model') continue; // a typed-through cache hit runs nothing
      evaluated.push(r.stats.evaluatedTokens + r.stats.prefillTokens);
      assert.ok(r.stats.reusedTokens >= r.stats.promptTokens - 8, `reused ${r.stats.reusedTokens} of ${r.stats.promptTokens}`);
    }
    assert.ok(evaluated.length >= 3, `model runs: ${evaluated.length}`);
    assert.ok(Math.max(...evaluated) <= 8, `evaluated per keystroke: ${evaluated}`);
  });

  it('fast typing after a jump still makes progress: the stable part is prefilled in a job keystrokes do not cancel', async () => {
    const uri = 'file:///work/fast.ts';
    const text = SOURCE.replace(/JobQueue/g, 'WorkQueue');
    await server.open(uri, text);
    let pos = after_(text, '  remove(id: number): boolean {\n');
    // Five keystrokes, each request cancelled almost at once, as when typing faster than completions arrive.
    for (const ch of '    c') {
      pos = await server.type(uri, pos, ch);
      const cts = new CancellationTokenSource();
      const r = server.complete(uri, pos, { cancel: cts });
      setTimeout(() => cts.cancel(), 2);
      await r;
    }
    // A character no generation agrees with: the last request runs the engine itself.
    pos = await server.type(uri, pos, '\u00a7');
    const last = await server.complete(uri, pos);
    assert.equal(last.stats.source, 'model');
    assert.notEqual(last.stats.outcome, 'cancelled');
    assert.ok(last.stats.promptTokens > 100);
    assert.ok(last.stats.evaluatedTokens <= 8, `the last request evaluated ${last.stats.evaluatedTokens} of ${last.stats.promptTokens} tokens`);
    const info = await server.info();
    assert.ok((info.engine?.evaluatedTokens ?? 0) > last.stats.promptTokens, 'the prefill did the work');
  });

  it('an exact repeat comes from the cache, and typing the suggestion returns its rest', async () => {
    const uri = 'file:///work/cache.ts';
    await server.open(uri, SOURCE);
    const pos = after_(SOURCE, '  get size(): number {\n    return ');
    const first = await server.complete(uri, pos);
    const again = await server.complete(uri, pos);
    assert.equal(again.stats.source, 'cache');
    assert.equal(again.stats.engineRuns, 0);
    assert.deepEqual(again.list, first.list);
    const item = first.list?.items[0];
    if (!item || typeof item.insertText !== 'string') return; // nothing to type through
    const suggestion = item.insertText.slice('    return '.length);
    const typed = suggestion.slice(0, 1);
    const next = await server.type(uri, pos, typed);
    const through = await server.complete(uri, next);
    if (suggestion.slice(1).trim() === '') {
      assert.notEqual(through.stats.source, 'typed-through');
      return;
    }
    assert.equal(through.stats.source, 'typed-through');
    assert.equal(through.stats.engineRuns, 0);
    assert.equal(through.list?.items[0]?.insertText, '    return ' + suggestion);
    assert.ok(through.ms < 100, `typed-through answered in ${through.ms.toFixed(1)} ms`);
  });

  it('a request cancelled and asked again at the same place joins the generation still running', async () => {
    // Greedy decoding is deterministic: learn the answer on one document, then ask on a twin, cancel, ask again.
    const pos = after_(SOURCE, '  get size(): number {\n    return ');
    await server.open('file:///work/learn.ts', SOURCE);
    const learned = await server.complete('file:///work/learn.ts', pos);
    const uri = 'file:///work/twin.ts';
    await server.open(uri, SOURCE);
    const cts = new CancellationTokenSource();
    const first = server.complete(uri, pos, { cancel: cts });
    cts.cancel();
    const second = await server.complete(uri, pos);
    assert.equal((await first).list, null);
    assert.equal(second.stats.source, 'in-flight');
    assert.equal(second.stats.engineRuns, 0);
    assert.deepEqual(second.list?.items.map((i) => i.insertText), learned.list?.items.map((i) => i.insertText) ?? []);
  });

  it('an explicit trigger returns up to 3 distinct candidates', async () => {
    const uri = 'file:///work/invoked.ts';
    await server.open(uri, SOURCE);
    const pos = after_(SOURCE, '  push(job: Job): void {\n');
    const { list, stats } = await server.complete(uri, pos, { invoked: true });
    assert.equal(stats.triggerKind, 'invoked');
    assert.ok(stats.engineRuns >= 1 && stats.engineRuns <= 5);
    const texts = (list?.items ?? []).map((i) => i.insertText);
    assert.ok(texts.length <= 3);
    assert.equal(new Set(texts).size, texts.length, 'distinct');
  });

  it('extends the IntelliSense item that is selected, over its range', async () => {
    const uri = 'file:///work/selected.ts';
    await server.open(uri, SOURCE);
    const pos = after_(SOURCE, '    const i = this.jobs.find');
    const range = { start: { line: pos.line, character: pos.character - 4 }, end: pos };
    const { list } = await server.complete(uri, pos, { selected: { range, text: 'findIndex' } });
    for (const item of list?.items ?? []) {
      assert.deepEqual(item.range, range);
      assert.ok(typeof item.insertText === 'string' && item.insertText.startsWith('findIndex'), String(item.insertText));
    }
  });

  it('a new request for the same document wins over the one in flight', async () => {
    const uri = 'file:///work/race.ts';
    await server.open(uri, SOURCE);
    const pos = after_(SOURCE, 'export function drain(queue: JobQueue): Promise<void> {\n');
    const older = server.complete(uri, pos);
    // Characters the older request's generation does not produce: it cannot serve the newer request.
    const p2 = await server.type(uri, pos, '\u00a7\u00a7');
    const newer = server.complete(uri, p2);
    const [a, b] = await Promise.all([older, newer]);
    assert.equal(a.stats.outcome, 'cancelled', 'the older request is superseded');
    assert.equal(a.list, null);
    assert.notEqual(b.stats.outcome, 'cancelled');
  });

  it('cancelling a request mid-flight stops the engine promptly', async () => {
    // A new document: its whole prompt must be evaluated, so the job is still running when the cancel arrives.
    const uri = 'file:///work/cancel.ts';
    const text = SOURCE + '\n' + SOURCE.replace(/JobQueue/g, 'TaskQueue') + '\n';
    await server.open(uri, text);
    const pos = after_(text, 'export class TaskQueue {\n');
    const cts = new CancellationTokenSource();
    const generating = server.statuses.length;
    const request = server.complete(uri, pos, { cancel: cts });
    await server.until('the job to start', () => server.statuses.slice(generating).some((s) => s.state === 'generating'));
    const t0 = performance.now();
    cts.cancel();
    const r = await request;
    const stopMs = performance.now() - t0;
    assert.equal(r.stats.outcome, 'cancelled');
    assert.equal(r.list, null);
    assert.ok(stopMs < 250, `answered ${stopMs.toFixed(0)} ms after the cancel`);
    await server.until('idle', () => server.statuses[server.statuses.length - 1]?.state === 'ready');
    const info = await server.info();
    assert.ok((info.engine?.cancelled ?? 0) >= 1);
  });

  it('closing a document drops its slot', async () => {
    const uri = 'file:///work/closed.ts';
    await server.open(uri, SOURCE);
    const r = await server.complete(uri, after_(SOURCE, '  remove(id: number): boolean {\n'));
    const slots = (await server.info()).engine?.slots.map((s) => s.name);
    assert.ok(slots?.includes(`doc:${uri}`), `${r.stats.outcome}: ${slots}`);
    await server.close(uri);
    // The engine forgets a slot at once when idle, else when the job running (on any slot) ends: run one more job.
    await server.open('file:///work/after-close.ts', 'let a = 1;\n');
    await server.complete('file:///work/after-close.ts', { line: 1, character: 0 });
    const after = (await server.info()).engine?.slots.map((s) => s.name);
    assert.ok(!after?.includes(`doc:${uri}`), `after close: ${after}`);
  });
});

describe('standalone defaults', () => {
  it('with no model configured, the server loads the shipped model', { skip: !existsSync(SHIPPED) && 'models/trit-code.gguf is not in this checkout' }, async () => {
    const server = await Server.start();
    try {
      const ready = await server.ready();
      assert.equal(ready.state, 'ready');
      assert.equal(ready.model?.path, SHIPPED);
      assert.equal(ready.model?.shipped, true);
      const declared = String(getValue(readGGUF(SHIPPED), 'trit.completion.prompt_mode'));
      assert.equal(ready.model?.promptMode, declared, 'the prompt layout the model file recommends');
    } finally {
      await server.stop();
    }
  });
});

describe('early partial answers', () => {
  it('a slow suggestion is answered with its first whole words, and asking again brings the rest', async () => {
    const server = await Server.start({
      modelPath: model.path,
      settings: { completion: { partialAfterMs: 1, multiline: 'always', maxLines: 50, maxTokens: 200, timeBudgetMs: 10000 } },
    });
    try {
      await server.ready();
      const uri = 'file:///work/partial.ts';
      await server.open(uri, SOURCE);
      const pos = after_(SOURCE, '  private pump(): void {\n');
      const first = await server.complete(uri, pos);
      assert.equal(first.stats.partial, true, `outcome ${first.stats.outcome}`);
      assert.ok(first.stats.engineRuns >= 1, 'the statistics follow when the generation ends');
      const shown = first.list?.items[0]?.insertText;
      assert.ok(typeof shown === 'string' && shown.trim() !== '');
      const again = await server.complete(uri, pos);
      assert.ok(['in-flight', 'cache'].includes(again.stats.source), again.stats.source);
      const full = again.list?.items[0]?.insertText;
      assert.ok(typeof full === 'string' && full.startsWith(shown) && full.length >= shown.length, `${JSON.stringify(shown)} → ${JSON.stringify(full)}`);
    } finally {
      await server.stop();
    }
  });
});

describe('model errors are reported once, with a fix, and the server keeps serving', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trit-lsp-'));
  const broken = join(dir, 'broken.gguf');
  writeFileSync(broken, Buffer.concat([Buffer.from('GGUF'), Buffer.alloc(60, 0xff)]));
  const notGguf = join(dir, 'notes.gguf');
  writeFileSync(notGguf, 'these are my notes, not a model\n');

  const cases = [
    { name: 'a corrupt GGUF', path: broken, kind: 'model-invalid' },
    { name: 'a text file', path: notGguf, kind: 'model-invalid' },
    { name: 'a missing file', path: join(dir, 'missing.gguf'), kind: 'model-missing' },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const server = await Server.start({ modelPath: c.path });
      try {
        const status = await server.ready();
        assert.equal(status.state, 'error');
        assert.equal(status.error?.kind, c.kind);
        assert.ok(status.error?.fix && status.error.message.length > 10);
        assert.ok(status.error?.actions.includes('selectModel'));
        await server.open('file:///work/x.ts', 'const x = 1;\n');
        const r = await server.complete('file:///work/x.ts', { line: 1, character: 0 });
        assert.equal(r.list, null);
        assert.equal(r.stats.outcome, 'skipped');
        assert.equal((await server.info()).state, 'error');
      } finally {
        await server.stop();
      }
    });
  }

  it('switching the setting to a good model recovers without a restart', async () => {
    const server = await Server.start({ configuration: { model: { path: broken } } });
    try {
      assert.equal((await server.ready()).state, 'error');
      server.configuration = { model: { path: model.path } };
      await server.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
      const ready = await server.until('ready after the change', () => server.statuses.find((s) => s.state === 'ready'));
      assert.equal(ready.model?.path, model.path);
    } finally {
      await server.stop();
    }
  });
});
