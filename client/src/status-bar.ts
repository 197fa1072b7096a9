// The status-bar item: the model, what the server is doing, the last completion's latency. Click for the menu.
import * as vscode from 'vscode';
import type { CompletionStatsParams, ModelSummary, StatusParams } from '../../protocol/src/index';

export type ClientState =
  | { kind: 'starting' }
  | { kind: 'restarting'; inMs: number }
  | { kind: 'stopped'; message: string }
  | { kind: 'server'; status: StatusParams };

/** "Generating" shows only when a request lasts this long: most take less, and the item should not flicker. */
const GENERATING_AFTER_MS = 300;

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

export class StatusBar implements vscode.Disposable {
  private readonly item: vscode.StatusBarItem;
  private state: ClientState = { kind: 'starting' };
  private model: ModelSummary | undefined;
  private last: CompletionStatsParams | undefined;
  private enabled = true;
  private generatingTimer: NodeJS.Timeout | undefined;
  private showGenerating = false;

  constructor(command: string) {
    this.item = vscode.window.createStatusBarItem('trit.status', vscode.StatusBarAlignment.Right, 100);
    this.item.name = 'Trit';
    this.item.command = command;
    this.render();
    this.item.show();
  }

  set(state: ClientState): void {
    this.state = state;
    if (state.kind === 'server') {
      if (state.status.model) this.model = state.status.model;
      if (state.status.state === 'generating') {
        this.generatingTimer ??= setTimeout(() => {
          this.showGenerating = true;
          this.render();
        }, GENERATING_AFTER_MS);
        return;
      }
    }
    this.clearGenerating();
    this.render();
  }

  setEnabled(enabled: boolean): void {
    this.enabled = enabled;
    this.render();
  }

  completed(stats: CompletionStatsParams): void {
    if (stats.outcome === 'items' || stats.outcome === 'empty') {
      this.last = stats;
      this.render();
    }
  }

  get modelSummary(): ModelSummary | undefined {
    return this.model;
  }

  private clearGenerating(): void {
    if (this.generatingTimer) clearTimeout(this.generatingTimer);
    this.generatingTimer = undefined;
    this.showGenerating = false;
  }

  private render(): void {
    const s = this.state;
    const name = this.model?.name ?? 'Trit';
    this.item.backgroundColor = undefined;
    switch (s.kind) {
      case 'starting':
        this.item.text = '$(loading~spin) Trit';
        this.item.tooltip = 'Trit: starting the language server';
        return;
      case 'restarting':
        this.item.text = '$(debug-restart) Trit';
        this.item.tooltip = `Trit: the language server stopped unexpectedly; restarting in ${Math.ceil(s.inMs / 1000)} s`;
        this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.warningBackground');
        return;
      case 'stopped':
        this.item.text = '$(error) Trit';
        this.item.tooltip = `Trit: ${s.message}`;
        this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        return;
    }
    const st = s.status;
    switch (st.state) {
      case 'starting':
        this.item.text = '$(loading~spin) Trit';
        this.item.tooltip = 'Trit: starting';
        return;
      case 'loading':
        this.item.text = `$(loading~spin) Trit ${Math.round((st.progress ?? 0) * 100)}%`;
        this.item.tooltip = 'Trit: loading the model';
        return;
      case 'error':
        this.item.text = '$(error) Trit';
        this.item.tooltip = st.error ? `Trit: ${st.error.message}\n${st.error.fix}` : 'Trit: error';
        this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
        return;
    }
    const icon = !this.enabled ? '$(circle-slash)' : this.showGenerating ? '$(loading~spin)' : '$(sparkle)';
    // A suggestion served from the cache took no engine time: say where it came from rather than "0 ms".
    const last = this.enabled ? this.last : undefined;
    const latency = !last ? '' : last.source === 'cache' || last.source === 'typed-through' ? ' cached' : ` ${Math.round(last.latencyMs)} ms`;
    this.item.text = `${icon} ${name}${latency}`;
    this.item.tooltip = this.tooltip();
  }

  private tooltip(): vscode.MarkdownString {
    const md = new vscode.MarkdownString(undefined, true);
    const m = this.model;
    md.appendMarkdown(`**Trit** — inline completions ${this.enabled ? 'on' : 'off'}\n\n`);
    if (m) {
      md.appendMarkdown(`Model: ${m.name}${m.shipped ? ' (shipped)' : ''} — ${(m.nParams / 1e6).toFixed(0)}M parameters, ${m.weightType}, ${mb(m.fileBytes)}\n\n`);
      md.appendMarkdown(`Context ${m.nCtx} tokens · prompt ${m.promptMode.toUpperCase()} · kernels ${m.kernels} · ${m.threads} threads\n\n`);
    }
    const l = this.last;
    if (l) {
      const source =
        l.source === 'model'
          ? `${l.evaluatedTokens + l.prefillTokens} prompt tokens evaluated, ${l.reusedTokens} reused, ${l.generatedTokens} generated`
          : l.source === 'in-flight'
            ? 'from the generation already running'
            : 'from the cache';
      md.appendMarkdown(`Last completion: ${Math.round(l.latencyMs)} ms, ${source}\n\n`);
    }
    md.appendMarkdown('Click for options.');
    return md;
  }

  dispose(): void {
    this.clearGenerating();
    this.item.dispose();
  }
}
