// The trigger policy for inline completions (the language client's middleware decides whether and when a request
// goes to the server) and the accept-next-word / accept-next-line commands.
import * as vscode from 'vscode';
import { languageEnabled, type CompletionSettings, type CompletionStatsParams } from '../../protocol/src/index';
import { countsForDebounce, debounceDelay, LatencyTracker, TypingSpeed } from './debounce';

type Log = Pick<vscode.LogOutputChannel, 'debug' | 'warn' | 'error'>;

/** The language client's own request for inline completions (its middleware signature, not exported by it). */
type Next = (
  document: vscode.TextDocument,
  position: vscode.Position,
  context: vscode.InlineCompletionContext,
  token: vscode.CancellationToken,
) => vscode.ProviderResult<vscode.InlineCompletionItem[] | vscode.InlineCompletionList>;

/** Waits `ms` unless the token is cancelled first; resolves whether the wait completed. */
function wait(ms: number, token: vscode.CancellationToken): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(!token.isCancellationRequested);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      sub.dispose();
      resolve(!token.isCancellationRequested);
    }, ms);
    const sub = token.onCancellationRequested(() => {
      clearTimeout(timer);
      sub.dispose();
      resolve(false);
    });
  });
}

/** Text right of the cursor that makes an automatic suggestion unlikely to help (a word, not just closers). */
function busyLineSuffix(document: vscode.TextDocument, position: vscode.Position): boolean {
  const rest = document.lineAt(position.line).text.slice(position.character);
  return /[\p{L}\p{N}_]/u.test(rest);
}

export class InlinePolicy implements vscode.Disposable {
  private readonly typing = new TypingSpeed();
  private readonly latency = new LatencyTracker();
  private readonly disposables: vscode.Disposable[] = [];
  /** The items most recently returned for the active editor, for the accept commands' fallback. */
  private lastItems: { uri: string; version: number; position: vscode.Position; items: vscode.InlineCompletionItem[] } | undefined;
  /**
   * Our re-trigger after a partial answer: the document version it is for. VS Code may not call the provider for
   * it (the text changed, the editor closed), so it only applies to the next request, and only for that same
   * version: a stale mark must not let a later automatic request skip the user's settings.
   */
  private refreshing: { uri: string; version: number } | undefined;

  constructor(
    private readonly settings: () => CompletionSettings,
    private readonly log: Log,
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document === vscode.window.activeTextEditor?.document && e.contentChanges.length > 0) this.typing.keystroke(Date.now());
      }),
    );
  }

  /**
   * Per-request statistics from the server tune the adaptive debounce. The statistics of a partial answer arrive
   * when its generation has ended: if the document has not changed since, ask again to show the whole suggestion
   * (the server has it in its cache by then).
   */
  completed(stats: CompletionStatsParams): void {
    if (countsForDebounce(stats)) this.latency.add(stats.latencyMs);
    const editor = vscode.window.activeTextEditor;
    if (stats.partial && stats.outcome === 'items' && editor?.document.uri.toString() === stats.uri && editor.document.version === stats.version) {
      this.refreshing = { uri: stats.uri, version: stats.version };
      void vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
    }
  }

  readonly middleware = async (
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
    next: Next,
  ): Promise<vscode.InlineCompletionItem[] | vscode.InlineCompletionList | null | undefined> => {
    const s = this.settings();
    const refresh = this.refreshing;
    this.refreshing = undefined;
    if (refresh && refresh.uri === document.uri.toString() && refresh.version === document.version) {
      // Our own re-trigger after a partial answer: an automatic request, answered from the server's cache.
      context = { ...context, triggerKind: vscode.InlineCompletionTriggerKind.Automatic };
      return this.forward(document, position, context, token, next);
    }
    const invoked = context.triggerKind === vscode.InlineCompletionTriggerKind.Invoke;
    if (!invoked) {
      // Automatic requests follow the user's settings; an explicit Alt+\ always goes through.
      if (!s.enabled || s.trigger === 'manual' || !languageEnabled(s, document.languageId)) return null;
      const editor = vscode.window.activeTextEditor;
      if (editor?.document === document && (editor.selections.length > 1 || !editor.selection.isEmpty)) return null;
      if (!context.selectedCompletionInfo && busyLineSuffix(document, position)) return null;
      const delay = debounceDelay({
        minMs: s.debounceMs, adaptive: s.adaptiveDebounce, typingGapMs: this.typing.medianGapMs(), latencyMs: this.latency.medianMs(),
      });
      if (!(await wait(delay, token))) return null;
    }
    return this.forward(document, position, context, token, next);
  };

  private async forward(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
    next: Next,
  ): Promise<vscode.InlineCompletionItem[] | vscode.InlineCompletionList | null | undefined> {
    try {
      const result = await next(document, position, context, token);
      if (token.isCancellationRequested) return null;
      const items = Array.isArray(result) ? result : (result?.items ?? []);
      this.lastItems = { uri: document.uri.toString(), version: document.version, position, items };
      return result;
    } catch (e) {
      // Quiet while typing: a failed request is logged, never shown.
      this.log.warn(`Inline completion request failed: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    }
  }

  /**
   * Accepts the next word or line of the suggestion on screen with VS Code's own command when it has one, or else
   * by inserting that part of the last suggestion returned for this position.
   */
  async acceptPart(part: 'word' | 'line'): Promise<void> {
    const builtin = part === 'word' ? 'editor.action.inlineSuggest.acceptNextWord' : 'editor.action.inlineSuggest.acceptNextLine';
    const commands = await vscode.commands.getCommands(true);
    if (commands.includes(builtin)) {
      await vscode.commands.executeCommand(builtin);
      return;
    }
    const editor = vscode.window.activeTextEditor;
    const last = this.lastItems;
    if (!editor || !last || last.uri !== editor.document.uri.toString() || last.version !== editor.document.version) return;
    const item = last.items[0];
    if (!item || typeof item.insertText !== 'string' || !item.range) return;
    const typed = editor.document.getText(new vscode.Range(item.range.start, editor.selection.active));
    if (!item.insertText.startsWith(typed)) return;
    const rest = item.insertText.slice(typed.length);
    const m = part === 'word' ? /^\s*[\p{L}\p{N}_]+|^\s*[^\p{L}\p{N}_\s]+|^\s+/u.exec(rest) : /^\n?[^\n]*/.exec(rest);
    const piece = m?.[0] ?? '';
    if (piece === '') return;
    await editor.insertSnippet(new vscode.SnippetString().appendText(piece), editor.selection.active);
    await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
  }
}
