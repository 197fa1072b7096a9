// The workspace-trust rule for trit.model.path (client/src/trust.ts): a path from workspace or folder settings is
// used only in a trusted workspace, and the user is told when one is ignored.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { decideModelPath, ignoredMessage, type ModelPathValues } from '../../client/src/trust';

const HOSTILE = '/home/u/repo/.vscode/crafted.gguf';

describe('workspace trust and trit.model.path', () => {
  const cases: { name: string; values: ModelPathValues; trusted: boolean; path: string; source: string; ignored?: string }[] = [
    { name: 'nothing set: the shipped model', values: {}, trusted: true, path: '', source: 'shipped' },
    { name: 'nothing set, untrusted: the shipped model', values: {}, trusted: false, path: '', source: 'shipped' },
    { name: 'user setting, trusted', values: { user: '/m/user.gguf' }, trusted: true, path: '/m/user.gguf', source: 'user' },
    { name: 'user setting, untrusted: still the user\'s', values: { user: '/m/user.gguf' }, trusted: false, path: '/m/user.gguf', source: 'user' },
    { name: 'workspace setting, trusted: honoured', values: { workspace: HOSTILE }, trusted: true, path: HOSTILE, source: 'workspace' },
    { name: 'workspace setting, untrusted: ignored for the shipped model', values: { workspace: HOSTILE }, trusted: false, path: '', source: 'shipped', ignored: HOSTILE },
    { name: 'workspace over user, trusted', values: { user: '/m/user.gguf', workspace: '/w/ws.gguf' }, trusted: true, path: '/w/ws.gguf', source: 'workspace' },
    { name: 'workspace over user, untrusted: the user\'s', values: { user: '/m/user.gguf', workspace: HOSTILE }, trusted: false, path: '/m/user.gguf', source: 'user', ignored: HOSTILE },
    { name: 'folder over workspace, trusted', values: { workspace: '/w/ws.gguf', folder: '/w/folder.gguf' }, trusted: true, path: '/w/folder.gguf', source: 'folder' },
    { name: 'folder setting, untrusted: ignored', values: { folder: HOSTILE }, trusted: false, path: '', source: 'shipped', ignored: HOSTILE },
    { name: 'relative workspace path, untrusted: ignored', values: { workspace: 'models/x.gguf' }, trusted: false, path: '', source: 'shipped', ignored: 'models/x.gguf' },
    { name: '${workspaceFolder} path, untrusted: ignored', values: { workspace: '${workspaceFolder}/x.gguf' }, trusted: false, path: '', source: 'shipped', ignored: '${workspaceFolder}/x.gguf' },
    { name: 'blank workspace value is no value', values: { user: '/m/user.gguf', workspace: '   ' }, trusted: false, path: '/m/user.gguf', source: 'user' },
    { name: 'whitespace is trimmed', values: { user: '  /m/user.gguf ' }, trusted: true, path: '/m/user.gguf', source: 'user' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = decideModelPath(c.values, c.trusted);
      assert.equal(d.path, c.path);
      assert.equal(d.source, c.source);
      assert.equal(d.ignored?.path, c.ignored);
      // Whatever the workspace sets, an untrusted workspace never gets its path loaded.
      if (!c.trusted) assert.notEqual(d.path, c.values.workspace?.trim() || undefined);
      if (!c.trusted) assert.notEqual(d.path, c.values.folder?.trim() || undefined);
    });
  }

  it('the user is told which path was ignored, why, and what is used instead', () => {
    const shipped = ignoredMessage(decideModelPath({ workspace: HOSTILE }, false)) ?? '';
    assert.match(shipped, /not trusted/);
    assert.ok(shipped.includes(HOSTILE));
    assert.match(shipped, /uses the shipped model/);
    const user = ignoredMessage(decideModelPath({ user: '/m/user.gguf', folder: HOSTILE }, false)) ?? '';
    assert.match(user, /folder settings/);
    assert.match(user, /your own trit\.model\.path \(\/m\/user\.gguf\)/);
    assert.equal(ignoredMessage(decideModelPath({ workspace: HOSTILE }, true)), undefined, 'nothing to say when trusted');
    assert.equal(ignoredMessage(decideModelPath({ user: '/m/user.gguf' }, false)), undefined, 'nothing was ignored');
  });

  it('package.json declares trit.model.path restricted in untrusted workspaces', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      capabilities: { untrustedWorkspaces: { supported: unknown; restrictedConfigurations: string[] } };
    };
    assert.equal(pkg.capabilities.untrustedWorkspaces.supported, 'limited');
    assert.ok(pkg.capabilities.untrustedWorkspaces.restrictedConfigurations.includes('trit.model.path'));
  });
});
