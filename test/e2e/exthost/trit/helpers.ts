// Helpers for the extension-host tests: the extension's API, the server's state through `trit/serverInfo`, and
// driving inline completions through VS Code's own commands (the same path as Alt+\ and Tab).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ServerInfoRequest, type ServerInfo } from '../../../../protocol/src/index';

export const EXTENSION_ID = 'trit.trit';

/** The part of the extension's exported API these tests use (client/src/extension.ts, TritApi). */
interface TritApi {
  ctx: { languageClient: { sendRequest<R>(method: string, params: unknown): Promise<R> } | undefined };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `probe` until it returns something other than undefined; fails with `what` after `ms`. */
export async function eventually<T>(what: string, ms: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} (within ${ms / 1000} s)${last ? `: ${last instanceof Error ? last.message : String(last)}` : ''}`);
    }
    await sleep(200);
  }
}

export async function api(): Promise<TritApi> {
  const ext = vscode.extensions.getExtension<TritApi>(EXTENSION_ID);
  assert.ok(ext, `extension ${EXTENSION_ID} is not installed`);
  return ext.activate();
}

export async function serverInfo(): Promise<ServerInfo> {
  const client = (await api()).ctx.languageClient;
  if (!client) throw new Error('the language client is not running');
  return client.sendRequest<ServerInfo>(ServerInfoRequest.method, {});
}

/** Waits until the server reports `state` and returns its info. */
export async function serverState(state: ServerInfo['state'], ms = 60_000): Promise<ServerInfo> {
  let seen = '';
  return eventually(`the server never reached the state "${state}" (last: ${seen || 'none'})`, ms, async () => {
    const info = await serverInfo();
    seen = info.state;
    return info.state === state ? info : undefined;
  });
}

export function workspaceFile(relative: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'no workspace folder is open');
  return vscode.Uri.joinPath(folder.uri, relative);
}

/** Opens a document in an editor with the cursor at its end, after appending `typed`. */
export async function editAtEnd(doc: vscode.TextDocument, typed: string): Promise<vscode.TextEditor> {
  const editor = await vscode.window.showTextDocument(doc);
  const end = doc.lineAt(doc.lineCount - 1).range.end;
  await editor.edit((b) => b.insert(end, typed));
  const cursor = doc.lineAt(doc.lineCount - 1).range.end;
  editor.selection = new vscode.Selection(cursor, cursor);
  return editor;
}

/**
 * Asks for an inline completion at the cursor (editor.action.inlineSuggest.trigger, as Alt+\ does) and accepts it
 * (…commit, as Tab does); returns the text it inserted, or "" if none came within `ms`.
 */
export async function triggerAndAccept(editor: vscode.TextEditor, ms: number): Promise<string> {
  const doc = editor.document;
  const before = doc.getText();
  await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    await sleep(150);
    await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
    if (doc.getText() !== before) break;
  }
  const after = doc.getText();
  if (after === before) return '';
  assert.ok(after.startsWith(before), `the completion changed text before the cursor:\n${after}`);
  return after.slice(before.length);
}

/** Closes every editor without saving (each test starts from a clean window). */
export async function closeAll(): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
}
