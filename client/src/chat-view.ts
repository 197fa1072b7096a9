// The chat view: a webview view in Trit's own activity-bar container. It shows the workspace's ChatSession and
// forwards what the user does. The webview is an untrusted sandbox as far as the host is concerned: every message
// from it is validated, and it can only ask for a closed set of actions.
//
// Security: CSP `default-src 'none'`, the one script by nonce, the stylesheet from the extension's dist/media folder
// (the only local resource root), no images, fonts, frames or connections, `form-action 'none'`, `base-uri 'none'`.
// Model output is rendered by the webview through markdown-it + DOMPurify (media/src/markdown.ts).
//
// Lifetime: no `retainContextWhenHidden` (it keeps a hidden browser page alive). The transcript lives in the
// session, the draft in the webview's own state (getState/setState); a hidden view is rebuilt from both when shown.
// An answer keeps streaming while the view is hidden; it stops when the view is closed (disposed).

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { ChatInfo, EditorState, HostToWebview, ViewCommand } from '../../protocol/src/chat';
import { checkWebviewToHost } from '../../protocol/src/chat-validate';
import type { ChatSession } from './chat-session';

export const CHAT_VIEW_ID = 'trit.chatView';

/** What the view needs from the rest of the extension. */
export interface ChatViewHost {
  session: ChatSession;
  log: vscode.LogOutputChannel;
  /** Sends a message typed in the view, with the automatic context (see chat-commands.ts). */
  send(text: string): void;
  /** The editor to insert into: the active one, or the last one that was. */
  targetEditor(): vscode.TextEditor | undefined;
  /** Chat ability of the loaded model (null while unknown). */
  chatInfo(): Promise<ChatInfo | null>;
  /** Commands behind the banner's buttons. */
  runCommand(command: ViewCommand): void;
}

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private info: ChatInfo | null = null;
  private readonly disposables: vscode.Disposable[] = [];
  private viewDisposables: vscode.Disposable[] = [];
  /** A focus request that came before the view existed. */
  private pendingFocus: { draft?: string } | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly host: ChatViewHost,
  ) {
    this.disposables.push(
      host.session.onDidChange((m) => this.post(m)),
      host.session.onDidReset(() => this.postState()),
      vscode.window.onDidChangeActiveTextEditor(() => this.postEditor()),
      vscode.window.onDidChangeTextEditorSelection(() => this.postEditor()),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    // A view moved to another container is resolved again: the newest one is ours.
    for (const d of this.viewDisposables.splice(0)) d.dispose();
    this.view = view;
    const mediaRoot = vscode.Uri.joinPath(this.extensionUri, 'dist', 'media');
    view.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [mediaRoot] };
    view.webview.html = this.html(view.webview, mediaRoot);
    const own: vscode.Disposable[] = [
      view.webview.onDidReceiveMessage((raw: unknown) => {
        if (this.view === view) this.receive(raw);
      }),
      view.onDidDispose(() => {
        for (const d of own) d.dispose();
        if (this.view !== view) return;
        // Closing the view stops the answer; hiding it does not.
        this.host.session.stop();
        this.view = undefined;
        this.viewDisposables = [];
      }),
    ];
    this.viewDisposables = own;
  }

  /** Shows the view and puts the cursor in its input (optionally with a draft message). */
  async reveal(draft?: string): Promise<void> {
    this.pendingFocus = draft === undefined ? {} : { draft };
    await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
    if (this.view?.visible === true) this.flushFocus();
  }

  /** The model changed: ask the server again whether it can chat. */
  async refreshInfo(): Promise<void> {
    try {
      this.info = await this.host.chatInfo();
    } catch (e) {
      this.host.log.warn(`chat: trit/chatInfo failed: ${String(e)}`);
      this.info = null;
    }
    this.post({ type: 'info', info: this.info });
  }

  dispose(): void {
    for (const d of [...this.disposables, ...this.viewDisposables]) d.dispose();
  }

  private receive(raw: unknown): void {
    const checked = checkWebviewToHost(raw);
    if (!checked.ok) {
      this.host.log.warn(`chat: ignored a malformed message from the view: ${checked.error}`);
      return;
    }
    const m = checked.value;
    switch (m.type) {
      case 'ready':
        this.postState();
        this.flushFocus();
        void this.refreshInfo();
        break;
      case 'send':
        this.host.send(m.text);
        break;
      case 'stop':
        this.host.session.stop();
        break;
      case 'copy':
        void vscode.env.clipboard.writeText(m.code);
        break;
      case 'insert':
        void this.insert(m.code);
        break;
      case 'removeContext':
        this.host.session.detach(m.index);
        break;
      case 'clear':
        this.host.session.clear();
        break;
      case 'openLink':
        void this.openLink(m.href);
        break;
      case 'command':
        this.host.runCommand(m.command);
        break;
    }
  }

  /** A link in an answer opens in the browser only when the user says so: the model wrote it, not the user. */
  private async openLink(href: string): Promise<void> {
    const open = 'Open in Browser';
    const picked = await vscode.window.showWarningMessage(`The answer links to ${href}. Open it in your browser? This leaves the offline editor.`, { modal: true }, open);
    if (picked === open) await vscode.env.openExternal(vscode.Uri.parse(href, true));
  }

  private async insert(code: string): Promise<void> {
    const editor = this.host.targetEditor();
    if (editor === undefined) {
      void vscode.window.showInformationMessage('Open a file to insert the code into.');
      return;
    }
    const ok = await editor.edit((edit) => {
      for (const selection of editor.selections) edit.replace(selection, code);
    });
    if (!ok) {
      void vscode.window.showWarningMessage('The code could not be inserted (the file changed or is read-only).');
      return;
    }
    await vscode.window.showTextDocument(editor.document, { viewColumn: editor.viewColumn, preserveFocus: false });
  }

  private postState(): void {
    const s = this.host.session;
    this.post({ type: 'state', turns: s.viewTurns(), pending: s.pendingLabels(), info: this.info, busy: s.busy, editor: this.editorState() });
  }

  private postEditor(): void {
    this.post({ type: 'editor', editor: this.editorState() });
  }

  private editorState(): EditorState {
    const editor = this.host.targetEditor();
    return { hasEditor: editor !== undefined, hasSelection: editor?.selections.some((s) => !s.isEmpty) ?? false };
  }

  private flushFocus(): void {
    if (this.pendingFocus === undefined || this.view === undefined) return;
    this.post({ type: 'focus', ...this.pendingFocus });
    this.pendingFocus = undefined;
  }

  private post(m: HostToWebview): void {
    // A hidden view has no page to receive messages; it asks for the whole state when it is shown again.
    if (this.view?.visible === true) void this.view.webview.postMessage(m);
  }

  private html(webview: vscode.Webview, mediaRoot: vscode.Uri): string {
    const nonce = randomBytes(18).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(mediaRoot, 'chat.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(mediaRoot, 'chat.css'));
    const csp = [
      "default-src 'none'",
      `script-src 'nonce-${nonce}'`,
      `style-src ${webview.cspSource}`,
      "form-action 'none'",
      "base-uri 'none'",
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style.toString()}">
<title>Trit Chat</title>
</head>
<body>
<div id="app"></div>
<script nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
  }
}
