import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { describeLoadError, findShippedModel, missingModelError, resolveModelSource } from '../../server/src/engine/models';

describe('model resolution', () => {
  const shipped = '/opt/trit/models/trit-code.gguf';
  const rows: { name: string; setting: string; init?: string; root?: string; want: { path: string; shipped: boolean } | undefined }[] = [
    { name: 'nothing set: the shipped model', setting: '', want: { path: shipped, shipped: true } },
    { name: 'the setting wins', setting: '/m/a.gguf', init: '/m/b.gguf', want: { path: '/m/a.gguf', shipped: false } },
    { name: 'initializationOptions.modelPath', setting: '  ', init: '/m/b.gguf', want: { path: '/m/b.gguf', shipped: false } },
    { name: 'home folder', setting: '~/models/x.gguf', want: { path: join(homedir(), 'models/x.gguf'), shipped: false } },
    { name: 'relative to the workspace', setting: 'models/y.gguf', root: '/work/proj', want: { path: '/work/proj/models/y.gguf', shipped: false } },
    { name: 'the shipped file named explicitly is still the shipped model', setting: shipped, want: { path: shipped, shipped: true } },
  ];
  for (const r of rows) it(r.name, () => assert.deepEqual(resolveModelSource(r.setting, r.init, shipped, r.root), r.want));
  it('no shipped model and nothing set', () => assert.equal(resolveModelSource('', undefined, undefined, undefined), undefined));

  it('finds models/trit-code.gguf in an ancestor folder', () => {
    const dir = mkdtempSync(join(tmpdir(), 'trit-models-'));
    mkdirSync(join(dir, 'models'));
    mkdirSync(join(dir, 'dist', 'deep'), { recursive: true });
    writeFileSync(join(dir, 'models', 'trit-code.gguf'), 'x');
    assert.equal(findShippedModel(join(dir, 'dist', 'deep')), join(dir, 'models', 'trit-code.gguf'));
    assert.equal(findShippedModel(tmpdir()), undefined);
  });
});

describe('load errors: one message, one fix, actions', () => {
  const user = { path: '/m/broken.gguf', shipped: false };
  const err = (code: string, message: string) => Object.assign(new Error(message), { code });
  const rows: { code: string; kind: string; fix: RegExp; message?: string }[] = [
    { code: 'format', kind: 'model-invalid', fix: /corrupt|another BitNet/, message: 'broken.gguf is not a supported BitNet GGUF: ' },
    { code: 'unsupported', kind: 'model-unsupported', fix: /BitNet b1\.58 model in GGUF/, message: 'broken.gguf is not a supported BitNet GGUF: ' },
    { code: 'io', kind: 'model-io', fix: /readable/ },
    { code: 'memory', kind: 'out-of-memory', fix: /contextLength|smaller model/ },
    { code: 'internal', kind: 'internal', fix: /Restart/ },
  ];
  for (const r of rows) {
    it(r.code, () => {
      const e = describeLoadError(err(r.code, 'tensor blk.0.attn_q.weight has type 12 (Q4_K)'), user);
      assert.equal(e.kind, r.kind);
      assert.match(e.fix, r.fix);
      assert.ok(e.message.includes('broken.gguf') && e.message.includes('Q4_K'), e.message);
      if (r.message !== undefined) assert.ok(e.message.startsWith(r.message), e.message);
      assert.equal(e.path, user.path);
    });
  }
  it('a user file offers the shipped model; the shipped model does not offer itself', () => {
    assert.ok(describeLoadError(err('format', 'x'), user).actions.includes('useShippedModel'));
    assert.ok(!describeLoadError(err('format', 'x'), { path: '/s.gguf', shipped: true }).actions.includes('useShippedModel'));
  });
  it('missing files', () => {
    assert.equal(missingModelError(user).kind, 'model-missing');
    assert.match(missingModelError(user).fix, /clear trit\.model\.path/);
    assert.match(missingModelError({ path: '/s.gguf', shipped: true }).fix, /Reinstall/);
    assert.deepEqual(missingModelError(undefined).actions, ['selectModel']);
  });
});
