// Chat wiring in the extension host: the session, the view, the commands, and the code context taken from the
// editor. `registerChat` is called once by Ctx with the language client; everything it creates is disposed with it.

import * as vscode from 'vscode';
import { ProgressType, type LanguageClient } from 'vscode-languageclient/node';
import {
  ChatInfoMethod,
  ChatLimits,
  ChatMethod,
  type ChatContext,
  type ChatInfo,
  type ChatPartialResult,
  type ChatResult,
  type ViewCommand,
} from '../../protocol/src/chat';
import { checkChatInfo } from '../../protocol/src/chat-validate';
import type { StatusParams } from '../../protocol/src/index';
import { ChatSession, type ChatBackend } from './chat-session';
import { CHAT_VIEW_ID, ChatViewProvider } from './chat-view';
import type { Ctx } from './ctx';

/** Lines above and below the cursor sent as "the current file" when nothing is selected. */
const FILE_WINDOW_LINES = 150;

/** Canned requests of the selection commands. */
export const QUICK_ACTIONS = {
  'trit.chat.explainSelection': 'Explain what this code does, step by step.',
  'trit.chat.fixSelection': 'Find the bugs in this code and show the fixed code.',
  'trit.chat.writeTests': 'Write unit tests for this code.',
  'trit.chat.documentSelection': 'Write documentation comments for this code and show the documented code.',
} as const;

export interface ChatWiring {
  /** The model may have changed (server restarted, model loaded): the view asks again whether it can chat. */
  modelChanged(): void;
}

const partialResult = new ProgressType<ChatPartialResult>();

/** Sets up chat for the extension's lifetime: the view and commands, fed by Ctx's language client and status. */
export function wireChat(ctx: Ctx): void {
  const chat = registerChat(ctx.extension, languageClientBackend(() => ctx.languageClient), ctx.log, {
    selectModel: () => void vscode.commands.executeCommand('trit.selectModelFile'),
    openSettings: () => void vscode.commands.executeCommand('workbench.action.openSettings', '@ext:trit.trit trit.model'),
    showLogs: () => ctx.log.show(),
  });
  // Ask the server again whether the model can chat when the model or the server's state changes (not on every
  // completion, which flips the state between ready and generating).
  let last = '';
  const onStatus = (s: StatusParams): void => {
    const key = `${s.state === 'generating' ? 'ready' : s.state}:${s.model?.path ?? ''}`;
    if (key === last) return;
    last = key;
    chat.modelChanged();
  };
  ctx.pushExt(chat, ctx.onDidChangeServerStatus(onStatus));
}

/** The note an answer gets when the server stops while it is being written. */
export const SERVER_LOST =
  'The Trit server stopped while writing this answer, so it is incomplete. The server is being restarted: ask again in a moment.';

/** vscode-jsonrpc rejects pending requests with these when the connection closes or is disposed. */
function isConnectionLost(e: unknown): boolean {
  const message = e instanceof Error ? e.message : String(e);
  return /connection (got disposed|is closed|has been closed)|pending response rejected|closed the connection/i.test(message);
}

/** A ChatBackend over the language client: `trit/chat` with a partial-result token, `trit/chatInfo`. */
export function languageClientBackend(client: () => LanguageClient | undefined): ChatBackend {
  let nextToken = 0;
  return {
    async chat(params, onPartial, token) {
      const c = client();
      if (c === undefined || !c.isRunning()) throw new Error('The Trit language server is not running. Run "Trit: Restart Server".');
      const partialResultToken = `trit-chat-${process.pid}-${++nextToken}`;
      const progress = c.onProgress(partialResult, partialResultToken, onPartial);
      try {
        return await c.sendRequest<ChatResult>(ChatMethod, { ...params, partialResultToken }, token);
      } catch (e) {
        // The connection closing under a running answer means the server process ended (a crash): say so plainly;
        // the client restarts the server by itself.
        if (!token.isCancellationRequested && (!c.isRunning() || isConnectionLost(e))) throw new Error(SERVER_LOST);
        throw e;
      } finally {
        progress.dispose();
      }
    },
    async info() {
      const c = client();
      if (c === undefined || !c.isRunning()) return null;
      const checked = checkChatInfo(await c.sendRequest<unknown>(ChatInfoMethod, {}));
      if (!checked.ok) throw new Error(`bad trit/chatInfo answer: ${checked.error}`);
      return checked.value;
    },
  };
}

export function registerChat(
  context: vscode.ExtensionContext,
  backend: ChatBackend,
  log: vscode.LogOutputChannel,
  commands: Record<ViewCommand, () => void>,
): ChatWiring & vscode.Disposable {
  const session = new ChatSession(context.workspaceState, backend, log);
  let lastEditor = vscode.window.activeTextEditor;
  const targetEditor = (): vscode.TextEditor | undefined => {
    const active = vscode.window.activeTextEditor;
    if (active !== undefined) return active;
    // Focus in the chat view leaves no active editor on some versions: use the last visible one.
    return lastEditor !== undefined && vscode.window.visibleTextEditors.includes(lastEditor) ? lastEditor : undefined;
  };
  const send = (text: string, fallback?: ChatContext[]): void => {
    void session.send(text, fallback ?? automaticContext(session, targetEditor()));
  };
  const provider = new ChatViewProvider(context.extensionUri, {
    session,
    log,
    send: (text) => send(text),
    targetEditor,
    chatInfo: (): Promise<ChatInfo | null> => backend.info(),
    runCommand: (command) => commands[command](),
  });

  const quick = Object.entries(QUICK_ACTIONS).map(([id, prompt]) =>
    vscode.commands.registerCommand(id, async () => {
      const editor = targetEditor();
      if (editor === undefined) {
        void vscode.window.showInformationMessage('Open a file and select some code first.');
        return;
      }
      await provider.reveal();
      if (session.busy) {
        void vscode.window.showInformationMessage('Trit is still answering. Stop the answer first (Esc in the chat).');
        return;
      }
      const ctx = selectionContext(editor) ?? fileContext(editor);
      session.attach(ctx);
      send(prompt);
    }),
  );

  const disposables: vscode.Disposable[] = [
    session,
    provider,
    vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, provider),
    vscode.window.onDidChangeActiveTextEditor((e) => {
      if (e !== undefined) lastEditor = e;
    }),
    vscode.commands.registerCommand('trit.chat.askAboutSelection', async () => {
      const editor = targetEditor();
      if (editor !== undefined) session.attach(selectionContext(editor) ?? fileContext(editor));
      await provider.reveal();
    }),
    vscode.commands.registerCommand('trit.chat.clearHistory', () => session.clear()),
    vscode.commands.registerCommand('trit.chat.stop', () => session.stop()),
    ...quick,
  ];
  return {
    modelChanged: () => void provider.refreshInfo(),
    dispose: () => {
      for (const d of disposables) d.dispose();
    },
  };
}

/** Without attached code: the selection, or the file around the cursor, unless the conversation already has it. */
function automaticContext(session: ChatSession, editor: vscode.TextEditor | undefined): ChatContext[] {
  if (editor === undefined) return [];
  const last = session.lastContext();
  const selected = selectionContext(editor);
  if (selected !== undefined) {
    // A follow-up question with the same code still selected: the conversation has it already.
    const same = last !== undefined && last.uri === selected.uri && last.startLine === selected.startLine && last.endLine === selected.endLine && last.text === selected.text;
    return same ? [] : [selected];
  }
  if (last !== undefined && last.uri === editor.document.uri.toString()) return [];
  return [fileContext(editor)];
}

function base(doc: vscode.TextDocument): Pick<ChatContext, 'uri' | 'path' | 'languageId'> {
  return { uri: doc.uri.toString(), path: vscode.workspace.asRelativePath(doc.uri, false), languageId: doc.languageId };
}

/** The selected lines (whole lines, so the model sees complete code), or undefined for an empty selection. */
export function selectionContext(editor: vscode.TextEditor): ChatContext | undefined {
  const sel = editor.selection;
  if (sel.isEmpty) return undefined;
  const doc = editor.document;
  const first = sel.start.line;
  // A selection that ends at column 0 does not include that line.
  const last = sel.end.character === 0 && sel.end.line > first ? sel.end.line - 1 : sel.end.line;
  return { kind: 'selection', ...base(doc), ...linesOf(doc, first, last) };
}

/** The file around the cursor. */
export function fileContext(editor: vscode.TextEditor): ChatContext {
  const doc = editor.document;
  const cursor = editor.selection.active.line;
  const first = Math.max(0, cursor - FILE_WINDOW_LINES);
  const last = Math.min(doc.lineCount - 1, cursor + FILE_WINDOW_LINES);
  return { kind: 'file', ...base(doc), ...linesOf(doc, first, last), cursorLine: cursor + 1 };
}

/** Text of lines [first, last] (0-based), cut at a line boundary to the protocol's size limit. */
function linesOf(doc: vscode.TextDocument, first: number, last: number): Pick<ChatContext, 'startLine' | 'endLine' | 'text'> {
  const lines: string[] = [];
  let chars = 0;
  for (let l = first; l <= last; l++) {
    const text = doc.lineAt(l).text;
    if (chars + text.length + 1 > ChatLimits.contextChars && lines.length > 0) break;
    lines.push(text.slice(0, ChatLimits.contextChars));
    chars += text.length + 1;
  }
  return { startLine: first + 1, endLine: first + lines.length, text: lines.join('\n') };
}
