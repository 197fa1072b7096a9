// Trit inside a real VS Code extension host: activation, contributions, the inline completion provider, and the
// settings that change what it does. The extension under test is the installed package (or, under
// @vscode/test-electron, the repository), with the shipped model.
import * as assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { OfflineReport } from '../../../../protocol/src/index';
import { join } from 'node:path';
import * as vscode from 'vscode';
import {
  api, closeAll, editAtEnd, EXTENSION_ID, eventually, serverInfo, serverState, sleep, triggerAndAccept, workspaceFile,
} from './helpers';

interface Contributes {
  commands?: { command: string; title: string }[];
  keybindings?: { command: string; key: string }[];
  walkthroughs?: { id: string; steps: { id: string; media: { markdown?: string; image?: unknown } }[] }[];
}

function contributes(): Contributes {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(ext);
  return (ext.packageJSON as { contributes?: Contributes }).contributes ?? {};
}

const config = (): vscode.WorkspaceConfiguration => vscode.workspace.getConfiguration('trit');

async function setting(key: string, value: unknown): Promise<void> {
  await config().update(key, value, vscode.ConfigurationTarget.Global);
}

/** Types into the active editor the way the keyboard does, so VS Code requests completions automatically. */
async function typeText(text: string): Promise<void> {
  for (const ch of text) {
    await vscode.commands.executeCommand('type', { text: ch });
    await sleep(30);
  }
}

/** Waits `ms`, accepting whatever inline suggestion shows up; returns what was inserted. */
async function acceptWithin(doc: vscode.TextDocument, ms: number): Promise<string> {
  const before = doc.getText();
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    await sleep(200);
    await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
    if (doc.getText() !== before) break;
  }
  return doc.getText().slice(before.length);
}

suite('activation', () => {
  test('activates, starts its language server in another process and loads the shipped model', async () => {
    const trit = await api();
    assert.ok(trit.ctx, 'activate() returned no API');
    const info = await serverState('ready', 90_000);
    assert.ok(info.model, 'no model loaded');
    assert.equal(info.model.shipped, true, `not the shipped model: ${info.model.path}`);
    assert.match(info.model.path.replace(/\\/g, '/'), /\/models\/trit-code\.gguf$/);
    assert.notEqual(info.pid, process.pid, 'the server runs inside the extension host');
    assert.ok(info.model.nParams > 0 && info.model.fileBytes > 0);
  });
});

suite('contributions', () => {
  test('every contributed command is registered', async () => {
    const contributed = (contributes().commands ?? []).map((c) => c.command);
    for (const id of ['trit.toggleCompletions', 'trit.triggerCompletion', 'trit.acceptNextWord', 'trit.acceptNextLine',
      'trit.selectModelFile', 'trit.restartServer', 'trit.showLogs', 'trit.chat.askAboutSelection', 'trit.verifyOffline']) {
      assert.ok(contributed.includes(id), `package.json does not contribute ${id}`);
    }
    const registered = new Set(await vscode.commands.getCommands(true));
    const missing = contributed.filter((id) => !registered.has(id));
    assert.deepEqual(missing, [], `contributed but not registered: ${missing.join(', ')}`);
  });

  test('every keybinding runs a registered command', async () => {
    const registered = new Set(await vscode.commands.getCommands(true));
    const bindings = contributes().keybindings ?? [];
    assert.ok(bindings.length > 0, 'no keybindings contributed');
    for (const b of bindings) assert.ok(registered.has(b.command), `${b.key} runs ${b.command}, which is not registered`);
  });

  test('the Getting started walkthrough has its pages in the package', () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    const walkthrough = contributes().walkthroughs?.[0];
    assert.ok(walkthrough, 'no walkthrough contributed');
    assert.ok(walkthrough.steps.length >= 4, 'the walkthrough has fewer than 4 steps');
    for (const step of walkthrough.steps) {
      const md = step.media.markdown;
      assert.ok(md === undefined || existsSync(join(ext.extensionPath, md)), `${step.id}: ${md} is not in the package`);
    }
  });
});

suite('inline completions', () => {
  teardown(closeAll);

  test('the inline provider returns an item for a Python file (Alt+\\, then Tab)', async () => {
    await serverState('ready');
    const doc = await vscode.workspace.openTextDocument(workspaceFile('src/geometry.py'));
    const editor = await editAtEnd(doc, '\n\ndef perimeter(r: Rect) -> float:\n    return ');
    const inserted = await triggerAndAccept(editor, 30_000);
    assert.ok(inserted.trim().length > 0, 'no completion was inserted');
  });

  test('automatic completions follow trit.completion.enabled', async () => {
    await serverState('ready');
    const doc = await vscode.workspace.openTextDocument(workspaceFile('src/geometry.py'));
    await editAtEnd(doc, '\n\n');
    try {
      await setting('completion.enabled', false);
      await typeText('def mirror(p: Point) -> Point:\n    return ');
      assert.equal(await acceptWithin(doc, 3000), '', 'a completion came while completions were off');
      await setting('completion.enabled', true);
      await typeText('P');
      const inserted = await acceptWithin(doc, 30_000);
      assert.ok(inserted.trim().length > 0, 'no automatic completion after turning completions on again');
    } finally {
      await setting('completion.enabled', undefined);
    }
  });

  test('automatic completions follow trit.completion.languages', async () => {
    await serverState('ready');
    const doc = await vscode.workspace.openTextDocument(workspaceFile('src/geometry.py'));
    await editAtEnd(doc, '\n\n');
    try {
      await setting('completion.languages', { python: false });
      await typeText('def flip(p: Point) -> Point:\n    return ');
      assert.equal(await acceptWithin(doc, 3000), '', 'a completion came for a language turned off');
    } finally {
      await setting('completion.languages', undefined);
    }
    await typeText('P');
    assert.ok((await acceptWithin(doc, 30_000)).trim().length > 0, 'no completion after turning the language on again');
  });
});

suite('model settings', () => {
  test('trit.model.path naming a missing file gives an error with the fix, and clearing it recovers', async () => {
    await serverState('ready');
    const missing = join(vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '/', 'no-such-model.gguf');
    try {
      await setting('model.path', missing);
      const info = await serverState('error', 30_000);
      assert.ok(info.error, 'no error reported');
      assert.equal(info.error.kind, 'model-missing');
      assert.ok(`${info.error.message} ${info.error.path ?? ''}`.includes('no-such-model.gguf'), info.error.message);
      assert.ok(info.error.fix.length > 0 && info.error.actions.includes('selectModel'), 'the error offers no fix');
    } finally {
      await setting('model.path', undefined);
    }
    const info = await serverState('ready', 60_000);
    assert.equal(info.model?.shipped, true);
  });

  test('trit.model.threads reaches the engine', async () => {
    await serverState('ready');
    try {
      await setting('model.threads', 1);
      await eventually('the engine did not switch to 1 thread', 60_000, async () => {
        const info = await serverInfo();
        return info.state === 'ready' && info.model?.threads === 1 ? true : undefined;
      });
    } finally {
      await setting('model.threads', undefined);
    }
    await serverState('ready', 60_000);
  });
});

suite('offline', () => {
  test('"Trit: Verify Offline Mode" returns the server\'s evidence: only its IPC socket, the model file it mapped', async () => {
    // After the settings tests the model may be loading again: wait until it is loaded.
    const info = await eventually('the model was not loaded', 60_000, async () => {
      const i = await serverInfo();
      return i.state === 'ready' && i.model ? i : undefined;
    });
    const report = await vscode.commands.executeCommand<OfflineReport>('trit.verifyOffline');
    assert.ok(report, 'the command returned no report');
    assert.equal(report.pid, info.pid, 'the report is not from the language server');
    assert.equal(report.inspected, true);
    assert.equal(report.verdict, 'offline', JSON.stringify(report.sockets));
    assert.equal(report.inetSockets, 0);
    // The client starts the server with an IPC channel: a unix socket, and no other socket.
    assert.ok(report.sockets.length >= 1, 'no IPC socket listed');
    assert.deepEqual([...new Set(report.sockets.map((s) => s.kind))], ['unix'], JSON.stringify(report.sockets));
    assert.equal(report.modelPath, info.model?.path);
    assert.ok(report.mappedModelFiles.includes(report.modelPath ?? ''), `mapped: ${report.mappedModelFiles.join(', ')}`);
  });
});
