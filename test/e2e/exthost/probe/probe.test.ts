// The harness's self-test, run inside the extension host with the probe extension (test/e2e/probe/).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

suite('harness probe', () => {
  test('runs in a Node extension host, not Electron', () => {
    assert.equal(process.versions.electron, undefined);
    assert.ok(process.versions.node);
  });

  test('the probe extension activates and its command answers', async () => {
    const ext = vscode.extensions.getExtension('trit-e2e.harness-probe');
    assert.ok(ext, 'probe extension not found');
    await ext.activate();
    const pid = await vscode.commands.executeCommand<number>('harnessProbe.ping');
    assert.equal(typeof pid, 'number');
  });

  test('an inline completion is committed into the document', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'no workspace folder');
    const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content: 'probe' });
    const editor = await vscode.window.showTextDocument(doc);
    editor.selection = new vscode.Selection(0, 5, 0, 5);
    await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
    for (let i = 0; i < 50 && doc.getText() === 'probe'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
    }
    assert.equal(doc.getText(), 'probe_completed();');
  });
});
