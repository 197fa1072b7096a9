// Failures are designed outcomes: missing, truncated and foreign files and bad arguments give an error with a code
// and a message, never a crash; the loader explains a missing or foreign addon.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  addonCandidates,
  explainLoadFailure,
  loadNative,
  missingAddonError,
  TritError,
} from '../../server/src/engine/native';
import type { NativeModel } from '../../server/src/engine/native-types';
import { fixtureModels, modelPath, native, prompt, scratchDir } from './addon-fixtures';

function hasCode(code: string, pattern?: RegExp) {
  return (e: unknown): boolean => {
    assert.ok(e instanceof TritError, `expected a TritError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    if (pattern) assert.match(e.message, pattern);
    return true;
  };
}

const i2s = fixtureModels.find((m) => m.id === 'fixture-b158-i2_s')!;

describe('model files', () => {
  const dir = scratchDir();

  it('a missing file is an io error naming the path', async () => {
    const path = join(dir, 'nope.gguf');
    await assert.rejects(native().loadModel(path), hasCode('io', /nope\.gguf/));
  });

  it('a directory is an io error', async () => {
    await assert.rejects(native().loadModel(dir), hasCode('io'));
  });

  it('a file that is not GGUF is a format error', async () => {
    const path = join(dir, 'text.gguf');
    writeFileSync(path, 'this is not a model\n'.repeat(100));
    await assert.rejects(native().loadModel(path), hasCode('format'));
  });

  it('a model truncated anywhere is a format error', async () => {
    const bytes = readFileSync(modelPath(i2s));
    const cuts = [
      0,
      4,
      8,
      16,
      24,
      100,
      1000,
      4000,
      bytes.length >> 2,
      bytes.length >> 1,
      bytes.length - 4096,
      bytes.length - 1,
    ];
    for (const cut of cuts) {
      const path = join(dir, `cut-${cut}.gguf`);
      writeFileSync(path, bytes.subarray(0, cut));
      await assert.rejects(native().loadModel(path), hasCode('format'), `truncated at ${cut}`);
    }
  });
});

describe('arguments', () => {
  let model: NativeModel;
  before(async () => {
    model = await native().loadModel(modelPath(i2s));
  });
  after(async () => {
    await model.dispose();
  });

  it('loadModel checks its options', async () => {
    const b = native();
    await assert.rejects(b.loadModel(42 as unknown as string), hasCode('argument', /path must be a string/));
    await assert.rejects(b.loadModel(''), hasCode('argument'));
    await assert.rejects(
      b.loadModel(modelPath(i2s), { thread: 2 } as never),
      hasCode('argument', /unknown key "thread"/),
    );
    await assert.rejects(b.loadModel(modelPath(i2s), { threads: -1 }), hasCode('argument', /threads/));
    await assert.rejects(b.loadModel(modelPath(i2s), { threads: 1.5 }), hasCode('argument', /threads/));
    await assert.rejects(b.loadModel(modelPath(i2s), { lmHead: 'q4' as never }), hasCode('argument', /lmHead/));
    await assert.rejects(b.loadModel(modelPath(i2s), { kernels: 'no-such' }), hasCode('argument', /kernels/));
    // A well-formed but unknown kernel table name gets through the TS check and is refused by the engine.
    await assert.rejects(b.loadModel(modelPath(i2s), { kernels: 'nosuchisa' }), hasCode('argument'));
  });

  it('complete checks the request before anything runs', () => {
    const ok = { slot: '', prompt: prompt('p7') };
    const bad: [unknown, RegExp][] = [
      [{ ...ok, prompt: [] }, /at least 1/],
      [{ ...ok, prompt: [1, 2.5] }, /integer token id/],
      [{ ...ok, prompt: [1, 509] }, /not a token id/],
      [{ ...ok, prompt: new Int32Array([-1]) }, /not a token id/],
      [{ ...ok, prompt: 'text' }, /Int32Array or an array/],
      [{ ...ok, prompt: new Array(513).fill(1) }, /context holds 512/],
      [{ ...ok, slot: 7 }, /slot must be a string/],
      [{ ...ok, maxTokens: -1 }, /maxTokens/],
      [{ ...ok, sampling: { temperature: Number.NaN } }, /temperature/],
      [{ ...ok, sampling: { topP: 0 } }, /topP/],
      [{ ...ok, sampling: { seed: 2 ** 60 } }, /seed/],
      [{ ...ok, sampling: { top_k: 5 } }, /unknown key "top_k"/],
      [{ ...ok, stop: [''] }, /must not be empty/],
      [{ ...ok, stop: 'x' }, /stop must be an array/],
      [{ ...ok, max_tokens: 5 }, /unknown key "max_tokens"/],
      [null, /request must be an object/],
    ];
    for (const [request, pattern] of bad) {
      assert.throws(() => model.complete(request as never), hasCode('argument', pattern), JSON.stringify(request));
    }
    assert.throws(() => model.complete(ok, 'not a function' as never), hasCode('argument', /onText/));
    assert.throws(() => model.detokenize([1, -3]), hasCode('argument'));
    assert.throws(() => model.tokenize(undefined as never), hasCode('argument'));
    assert.throws(() => model.tokenize('x', { addBOS: true } as never), hasCode('argument', /addBOS/));
    assert.throws(() => native().memoryReadBandwidth(1, 0), hasCode('argument'));
  });
});

describe('addon loader', () => {
  const tag = 'linux-x64';

  it('uses TRIT_ADDON alone when it is set', () => {
    assert.deepEqual(addonCandidates('/x/dist', { TRIT_ADDON: '/opt/trit.node' }, tag), ['/opt/trit.node']);
    const candidates = addonCandidates('/ext/dist', {}, tag);
    assert.ok(candidates.includes('/ext/dist/native/linux-x64/trit.node'));
    assert.ok(candidates.includes('/ext/native/build/Release/trit.node'));
  });

  it('says which package to install when the addon is for another platform', () => {
    const dist = join(scratchDir(), 'dist');
    mkdirSync(join(dist, 'native', 'darwin-arm64'), { recursive: true });
    writeFileSync(join(dist, 'native', 'darwin-arm64', 'trit.node'), '');
    const e = missingAddonError(dist, addonCandidates(dist, {}, tag), {}, tag);
    assert.equal(e.code, 'unsupported');
    assert.match(
      e.message,
      /This Trit package is for darwin-arm64 but VS Code runs on linux-x64: install the Trit \.vsix built for linux-x64/,
    );
  });

  it('says how to build the addon in a checkout without one', () => {
    const e = missingAddonError(scratchDir(), ['/a/trit.node'], {}, tag);
    assert.equal(e.code, 'io');
    assert.match(e.message, /npm run build:native/);
    assert.match(
      missingAddonError('/x', [], { TRIT_ADDON: '/y/trit.node' }, tag).message,
      /TRIT_ADDON is set to \/y\/trit\.node/,
    );
  });

  it('classifies load failures', () => {
    assert.match(
      explainLoadFailure('/p/trit.node', new Error('/p/trit.node: wrong ELF class: ELFCLASS32'), tag).message,
      /built for another platform or CPU architecture \(this system is linux-x64\)/,
    );
    assert.match(
      explainLoadFailure('/p/trit.node', new Error("version `GLIBC_2.38' not found"), tag).message,
      /newer C\/C\+\+ runtime library \(GLIBC_2\.38\)/,
    );
    assert.equal(explainLoadFailure('/p/trit.node', new Error('permission denied'), tag).code, 'io');
  });

  it('explains a real dlopen failure of a file that is not a library for this system', () => {
    const path = join(scratchDir(), 'trit.node');
    writeFileSync(path, Buffer.alloc(4096, 0x41));
    const saved = process.env.TRIT_ADDON;
    process.env.TRIT_ADDON = path;
    try {
      assert.throws(() => loadNative(), hasCode('unsupported', /another platform or CPU architecture/));
    } finally {
      if (saved === undefined) delete process.env.TRIT_ADDON;
      else process.env.TRIT_ADDON = saved;
    }
  });
});
