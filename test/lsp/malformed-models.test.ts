// The real language server pointed at broken model files one after another (the trit.model.path setting changed
// through workspace/didChangeConfiguration, as VS Code does): each gives an error status with a message naming the
// file and what is wrong, a fix and actions; the server keeps serving; afterwards a good model loads and an inline
// completion works.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { StatusParams } from '../../protocol/src/index';
import { writeMalformedCorpus } from '../../tools/malformed-gguf.mjs';
import { Server, testModel } from './harness';

const model = testModel();

describe('malformed model files over stdio', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trit-lsp-malformed-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const corpus = writeMalformedCorpus(dir, { seed: Number(process.env['TRIT_MALFORMED_SEED'] ?? 1) });

  it('reports each broken file with a fix, keeps serving, then recovers with a good model', async () => {
    const first = corpus[0]!;
    const server = await Server.start({ configuration: { model: { path: first.file }, completion: { partialAfterMs: 0 } } });
    try {
      const errorFor = (path: string, from: number): Promise<StatusParams> =>
        server.until(`an error status for ${basename(path)}`, () =>
          server.statuses.slice(from).find((s) => s.state === 'error' || s.state === 'ready'), 30_000);
      const check = (s: StatusParams, c: (typeof corpus)[number]): void => {
        assert.equal(s.state, 'error', `${c.name} (${c.what}) was loaded`);
        const e = s.error!;
        assert.equal(e.path, c.file);
        assert.equal(e.kind, c.code === 'format' ? 'model-invalid' : 'model-unsupported', `${c.name}: ${e.kind}`);
        assert.ok(e.message.startsWith(`${basename(c.file)} is not a supported BitNet GGUF: `), `${c.name}: the message names the file: ${e.message}`);
        assert.match(e.message, new RegExp(c.expect), `${c.name}: the message says what is wrong`);
        assert.ok(e.fix.length > 20, `${c.name}: a fix`);
        assert.ok(e.actions.includes('selectModel') && e.actions.includes('useShippedModel'), `${c.name}: actions ${e.actions}`);
      };
      check(await errorFor(first.file, 0), first);

      const uri = 'file:///work/broken.ts';
      await server.open(uri, 'export function add(a: number, b: number): number {\n  return ');
      let served = 0;
      for (const [i, c] of corpus.slice(1).entries()) {
        const from = server.statuses.length;
        server.configuration = { model: { path: c.file }, completion: { partialAfterMs: 0 } };
        await server.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
        check(await errorFor(c.file, from), c);
        if (i % 20 === 0) {
          // Still serving: requests are answered (nothing to complete with), the server reports its state.
          const r = await server.complete(uri, { line: 1, character: 9 });
          assert.equal(r.list, null);
          assert.equal(r.stats.outcome, 'skipped');
          const info = await server.info();
          assert.equal(info.state, 'error');
          assert.equal(info.error?.path, c.file);
          served++;
        }
      }
      assert.ok(served >= 5);

      const from = server.statuses.length;
      server.configuration = { model: { path: model.path }, completion: { partialAfterMs: 0 } };
      await server.conn.sendNotification('workspace/didChangeConfiguration', { settings: null });
      const ready = await server.until('ready with the good model', () => server.statuses.slice(from).find((s) => s.state === 'ready' || s.state === 'error'), 60_000);
      assert.equal(ready.state, 'ready', JSON.stringify(ready.error));
      assert.equal(ready.model?.path, model.path);
      const r = await server.complete(uri, { line: 1, character: 9 }, { invoked: true });
      assert.equal(r.stats.source, 'model');
      assert.ok(r.stats.generatedTokens > 0, `outcome ${r.stats.outcome}`);
      assert.ok(r.stats.outcome === 'items' || r.stats.outcome === 'empty', r.stats.outcome);
      if (r.stats.outcome === 'items') assert.ok((r.list?.items.length ?? 0) > 0);
      assert.equal(server.proc.exitCode, null, 'the server process is alive');
      process.stdout.write(`${corpus.length} broken models reported over LSP, then ${ready.model?.name} served a completion (${r.stats.outcome})\n`);
    } finally {
      await server.stop();
    }
  });
});
