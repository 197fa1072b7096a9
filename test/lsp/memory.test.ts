// Memory bounds, against the real server over stdio with the shipped model:
// - trit.model.kvCacheMB bounds the KV caches of all slots together: with a budget that holds two documents' slots,
//   a third document evicts the least recently used one, and the total never exceeds the budget;
// - a prompt longer than the context is trimmed: a completion (and a chat answer) comes back, not an error.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { ChatResult } from '../../protocol/src/chat';
import type { ServerInfo } from '../../protocol/src/index';
import { modelWithMeta } from './model-variant';
import { Server, SHIPPED } from './harness';

const MIB = 1024 * 1024;

function docText(name: string): string {
  return `// ${name}: small helpers.\nexport function ${name}Sum(xs: number[]): number {\n  let total = 0;\n` +
    `  for (const x of xs) total += x;\n  return total;\n}\n\nexport function ${name}Max(xs: number[]): number {\n  return `;
}

function endOf(text: string): { line: number; character: number } {
  const lines = text.split('\n');
  return { line: lines.length - 1, character: (lines[lines.length - 1] as string).length };
}

function slotNames(info: ServerInfo): string[] {
  return (info.engine?.slots ?? []).map((s) => s.name.replace(/^doc:file:\/\/\/work\//, '')).sort();
}

describe('memory bounds: trit.model.kvCacheMB with more documents than fit', () => {
  let server: Server;
  const budget = 6 * MIB;
  before(async () => {
    server = await Server.start({
      modelPath: SHIPPED,
      settings: { model: { kvCacheMB: budget / MIB }, completion: { partialAfterMs: 0, maxTokens: 16 }, context: { extraContext: false } },
    });
    assert.equal((await server.ready()).state, 'ready');
  });
  after(async () => server.stop());

  it('evicts the least recently used slot first and keeps the total within the budget', async () => {
    const totals: number[] = [];
    const docs = ['a', 'b', 'c', 'd'];
    const texts = new Map<string, string>();
    for (const d of docs) {
      texts.set(d, docText(d));
      await server.open(`file:///work/${d}.ts`, texts.get(d) as string);
    }
    /** Completes at the end of document `d` after typing one more character (so the engine runs, not the cache). */
    const use = async (d: string, ch: string): Promise<string[]> => {
      const uri = `file:///work/${d}.ts`;
      const text = texts.get(d) as string;
      await server.type(uri, endOf(text), ch);
      texts.set(d, text + ch);
      const { stats } = await server.complete(uri, endOf(text + ch));
      assert.equal(stats.source, 'model', `${d}: ${stats.source}`);
      assert.notEqual(stats.outcome, 'error', stats.reason);
      const info = await server.info();
      assert.equal(info.engine?.kvBudgetBytes, budget, 'the setting did not reach the engine');
      totals.push(info.engine?.kvBytes ?? -1);
      if (process.env["TRIT_TRACE"]) process.stdout.write(`# ${d}: ${JSON.stringify(info.engine?.slots)}\n`);
      assert.ok((info.engine?.kvBytes ?? 0) <= budget, `KV ${info.engine?.kvBytes} bytes is over the budget of ${budget}`);
      return slotNames(info);
    };
    assert.deepEqual(await use('a', 'M'), ['a.ts']);
    assert.deepEqual(await use('b', 'M'), ['a.ts', 'b.ts']);
    const two = (await server.info()).engine?.kvBytes ?? 0;
    assert.ok(two * 1.5 > budget, `two slots take ${two} bytes: the budget must not hold three`);
    // Touch a: now b is the least recently used.
    assert.deepEqual(await use('a', 'a'), ['a.ts', 'b.ts']);
    assert.deepEqual(await use('c', 'M'), ['a.ts', 'c.ts'], 'b (least recently used) should have been evicted');
    assert.deepEqual(await use('d', 'M'), ['c.ts', 'd.ts'], 'a (now least recently used) should have been evicted');
    // An evicted document still completes: its slot is made again, evicting the oldest other one (c).
    assert.deepEqual(await use('b', 'a'), ['b.ts', 'd.ts']);
    process.stdout.write(`# kv budget ${budget} bytes; total after each completion: ${totals.join(', ')}\n`);
  });
});

describe('memory bounds: prompts longer than the context are trimmed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trit-ctx-'));
  let server: Server;
  before(async () => {
    // The shipped weights, tagged with a chat format so the same server also answers chat.
    const model = join(dir, 'trit-code-chat.gguf');
    await modelWithMeta(SHIPPED, model, { 'trit.chat.format': 'bitnet' });
    server = await Server.start({ modelPath: model, settings: { model: { contextLength: 128 }, completion: { partialAfterMs: 0 } } });
    assert.equal((await server.ready()).state, 'ready');
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a document far longer than a 128-token context still gets a completion', async () => {
    const info = await server.info();
    assert.equal(info.model?.nCtx, 128);
    const lines = Array.from({ length: 400 }, (_, i) => `export const value${i} = compute(${i}, "${'x'.repeat(i % 17)}");`);
    const text = `${lines.join('\n')}\nexport function total(): number {\n  return `;
    const uri = 'file:///work/long.ts';
    await server.open(uri, text);
    const { stats, list } = await server.complete(uri, endOf(text), { invoked: true });
    assert.notEqual(stats.outcome, 'error', stats.reason);
    assert.ok(stats.promptTokens > 0 && stats.promptTokens <= 128, `prompt of ${stats.promptTokens} tokens in a 128-token context`);
    assert.ok(list !== null, 'no answer');
    process.stdout.write(`# long document: ${text.length} characters, prompt ${stats.promptTokens} tokens, outcome ${stats.outcome}\n`);
  });

  it('a chat question with more code than the context holds gets an answer, with the trimming reported', async () => {
    const code = Array.from({ length: 300 }, (_, i) => `    total += values[${i}] * ${i}`).join('\n');
    const result = await server.conn.sendRequest<ChatResult>('trit/chat', {
      turns: [{
        role: 'user', content: 'What does this do?',
        contexts: [{ kind: 'selection', uri: 'file:///work/x.py', path: 'x.py', languageId: 'python', startLine: 1, endLine: 300, text: code }],
      }],
      maxTokens: 16,
    });
    assert.ok(result.promptTokens <= 128, `prompt of ${result.promptTokens} tokens`);
    assert.ok(result.trimmedContextLines > 0, 'no context lines were reported as left out');
    assert.ok(result.generatedTokens > 0);
    process.stdout.write(`# long chat: prompt ${result.promptTokens} tokens, ${result.trimmedContextLines} context lines left out, stop ${result.stopReason}\n`);
  });
});
