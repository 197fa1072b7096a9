// The linux-arm64 package, run: its server bundle, native addon and shipped model, unpacked from the .vsix and
// started under qemu-user with an arm64 Node, answer a real LSP client over stdio as the x64 server of the same
// checkout does, completion for completion (the kernels compute the reference's arithmetic on both CPUs, so greedy
// completions agree token for token). Emulation says nothing about speed; this is about the package working.
// test/arm64/run.sh builds the package and sets the environment this test reads.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Server, ROOT, SHIPPED } from '../lsp/harness';

const EXTENSION = process.env['TRIT_ARM64_EXTENSION'] ?? '';
const NODE = process.env['TRIT_ARM64_NODE'] ?? '';
const SYSROOT = process.env['TRIT_ARM64_SYSROOT'] ?? '/usr/aarch64-linux-gnu';
const QEMU = process.env['TRIT_QEMU_AARCH64'] ?? 'qemu-aarch64';

const SOURCE = readFileSync(join(ROOT, 'test', 'unit', 'fixtures', 'queue.ts.txt'), 'utf8');
// Whole answers, and no time budget that an emulated CPU would run into before the native one.
const SETTINGS = { completion: { partialAfterMs: 0, timeBudgetMs: 60_000 } };

/** Position right after the first occurrence of `marker` in `text`. */
function at(text: string, marker: string): { line: number; character: number } {
  const i = text.indexOf(marker);
  assert.ok(i >= 0, marker);
  const lines = text.slice(0, i + marker.length).split('\n');
  return { line: lines.length - 1, character: (lines[lines.length - 1] as string).length };
}

/** The same session of requests against a server: two cursors in a new document, then a character typed at the second. */
async function session(server: Server): Promise<{ texts: string[]; reused: number[] }> {
  const uri = 'file:///work/queue.ts';
  await server.open(uri, SOURCE);
  const texts: string[] = [];
  const reused: number[] = [];
  const cursors = [at(SOURCE, '  remove(id: number): boolean {\n    const i = '), at(SOURCE, '  get size(): number {\n    return ')];
  for (const cursor of cursors) {
    const { list, stats } = await server.complete(uri, cursor);
    assert.equal(stats.source, 'model');
    texts.push(JSON.stringify(list?.items.map((i) => i.insertText) ?? null));
    reused.push(stats.reusedTokens);
  }
  const pos = await server.type(uri, cursors[1] as { line: number; character: number }, 'z');
  const typed = await server.complete(uri, pos);
  texts.push(JSON.stringify(typed.list?.items.map((i) => i.insertText) ?? null));
  reused.push(typed.stats.reusedTokens);
  return { texts, reused };
}

describe('the linux-arm64 package under qemu-user', { skip: EXTENSION === '' && 'run test/arm64/run.sh' }, () => {
  let arm: Server;
  let x64: Server;
  before(async () => {
    assert.ok(existsSync(join(EXTENSION, 'dist', 'server.js')), `an unpacked package in ${EXTENSION}`);
    assert.ok(existsSync(NODE), `an arm64 Node at ${NODE}`);
    arm = await Server.start({
      node: [QEMU, '-cpu', 'max', '-L', SYSROOT, NODE],
      server: join(EXTENSION, 'dist', 'server.js'),
      settings: SETTINGS,
    });
    x64 = await Server.start({ modelPath: SHIPPED, settings: SETTINGS });
    await Promise.all([arm.ready(300_000), x64.ready()]);
  });
  after(async () => {
    await arm?.stop();
    await x64?.stop();
  });

  it('loads the packaged addon for linux-arm64 and the packaged model, with the dot-product kernels', async () => {
    const ready = arm.statuses.find((s) => s.state === 'ready');
    assert.ok(ready?.model, `ready, not ${JSON.stringify(arm.statuses[arm.statuses.length - 1])}`);
    assert.equal(ready.model.path, join(EXTENSION, 'models', 'trit-code.gguf'));
    assert.equal(ready.model.shipped, true);
    assert.equal(ready.model.kernels, 'neondot');
    const info = await arm.info();
    assert.match(info.addonVersion ?? '', /linux-arm64/);
  });

  it('completes exactly as the x64 server does, and reuses the KV prefix after a keystroke', async (t) => {
    const a = await session(arm);
    const x = await session(x64);
    t.diagnostic(`arm64: ${a.texts.join(' | ')}; reused ${a.reused}`);
    assert.deepEqual(a.texts, x.texts);
    assert.ok(a.texts.some((t) => t !== 'null' && t !== '[]'), `some completion: ${a.texts}`);
    assert.ok((a.reused[2] as number) > 100, `the keystroke reused ${a.reused[2]} prompt tokens`);
    assert.deepEqual(a.reused, x.reused);
  });
});
