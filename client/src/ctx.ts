// Ctx owns every lifetime in the extension host: the log, the status bar, the trigger policy, the commands (for
// the extension's lifetime) and the LanguageClient with what hangs on it (for the client's lifetime, which a
// restart ends and begins again).
import * as vscode from 'vscode';
import { State, type LanguageClient } from 'vscode-languageclient/node';
import {
  CompletionStatsNotification,
  StatusNotification,
  type CompletionStatsParams,
  type ErrorAction,
  type ServerError,
  type StatusParams,
} from '../../protocol/src/index';
import { createClient } from './client';
import { modelPathDecision, readSettings, SECTION } from './config';
import { ignoredMessage } from './trust';
import { InlinePolicy } from './inline';
import { StatusBar } from './status-bar';

const ACTION_LABELS: Record<ErrorAction, string> = {
  selectModel: 'Select Model File',
  useShippedModel: 'Use Shipped Model',
  showLogs: 'Show Logs',
  restartServer: 'Restart Server',
};

const ACTION_COMMANDS: Record<ErrorAction, string> = {
  selectModel: 'trit.selectModelFile',
  useShippedModel: 'trit.useShippedModel',
  showLogs: 'trit.showLogs',
  restartServer: 'trit.restartServer',
};

export class Ctx implements vscode.Disposable {
  readonly log: vscode.LogOutputChannel;
  readonly status: StatusBar;
  readonly inline: InlinePolicy;
  private client: LanguageClient | undefined;
  private readonly extDisposables: vscode.Disposable[] = [];
  private clientDisposables: vscode.Disposable[] = [];
  private lastError: string | undefined;
  private trustExplained = false;
  private offline: vscode.OutputChannel | undefined;
  private readonly serverStatus = new vscode.EventEmitter<StatusParams>();
  /** Fires with every status the server reports (the chat view listens too). */
  readonly onDidChangeServerStatus = this.serverStatus.event;

  constructor(readonly extension: vscode.ExtensionContext) {
    this.log = vscode.window.createOutputChannel('Trit', { log: true });
    this.status = new StatusBar('trit.showMenu');
    this.inline = new InlinePolicy(() => readSettings().completion, this.log);
    this.pushExt(this.log, this.status, this.inline, this.serverStatus);
    this.status.setEnabled(readSettings().completion.enabled);
    this.pushExt(
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration(`${SECTION}.completion.enabled`)) this.status.setEnabled(readSettings().completion.enabled);
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        // A model path in workspace settings becomes valid: let the server read the settings again.
        void this.client?.sendNotification('workspace/didChangeConfiguration', { settings: null });
      }),
    );
    // The chat view (client/src/chat-view.ts) registers its WebviewViewProvider with pushExt and sends trit/chat
    // requests through `languageClient`; it follows `onDidChangeServerStatus` for the model's state.
  }

  /** The output channel of "Trit: Verify Offline Mode", made on first use. */
  offlineChannel(): vscode.OutputChannel {
    if (!this.offline) {
      this.offline = vscode.window.createOutputChannel('Trit: Offline Check');
      this.pushExt(this.offline);
    }
    return this.offline;
  }

  /** Disposed when the extension deactivates. */
  pushExt(...d: vscode.Disposable[]): void {
    this.extDisposables.push(...d);
  }

  /** Disposed when the language client stops (and before a restart). */
  pushClient(...d: vscode.Disposable[]): void {
    this.clientDisposables.push(...d);
  }

  get languageClient(): LanguageClient | undefined {
    return this.client?.state === State.Running ? this.client : undefined;
  }

  async start(): Promise<void> {
    if (this.client) return;
    this.explainIgnoredModelPath();
    this.status.set({ kind: 'starting' });
    const client = createClient({
      extension: this.extension,
      log: this.log,
      inline: this.inline,
      restart: {
        restarting: (delayMs, crashes) => {
          this.log.warn(`The Trit server stopped unexpectedly (${crashes} in the last 3 minutes); restarting in ${delayMs} ms.`);
          this.status.set({ kind: 'restarting', inMs: delayMs });
        },
        gaveUp: (crashes) => {
          const message = `The Trit server crashed ${crashes} times in 3 minutes and was not restarted.`;
          this.log.error(message);
          this.status.set({ kind: 'stopped', message });
          void this.showError(`${message} The log has the details.`, ['showLogs', 'restartServer']);
        },
      },
    });
    this.client = client;
    this.pushClient(
      client.onNotification(StatusNotification.method, (s: StatusParams) => this.onStatus(s)),
      client.onNotification(CompletionStatsNotification.method, (s: CompletionStatsParams) => this.onStats(s)),
      client.onDidChangeState((e) => {
        if (e.newState === State.Starting) this.status.set({ kind: 'starting' });
      }),
    );
    try {
      await client.start();
    } catch (e) {
      const message = `The Trit server could not start: ${e instanceof Error ? e.message : String(e)}`;
      this.log.error(message);
      this.status.set({ kind: 'stopped', message });
      void this.showError(message, ['showLogs', 'restartServer']);
    }
  }

  /**
   * Tells the user, once per window, why a model path from the workspace's settings is not used (an untrusted
   * workspace); the log keeps it too.
   */
  private explainIgnoredModelPath(): void {
    const message = ignoredMessage(modelPathDecision());
    if (message === undefined || this.trustExplained) return;
    this.trustExplained = true;
    this.log.warn(message);
    void vscode.window.showWarningMessage(message, 'Manage Workspace Trust').then((picked) => {
      if (picked) void vscode.commands.executeCommand('workbench.trust.manage');
    });
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    for (const d of this.clientDisposables.splice(0)) d.dispose();
    if (client) {
      try {
        if (client.isRunning()) await client.stop(5000);
      } catch (e) {
        this.log.warn(`Stopping the server: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }

  async restart(): Promise<void> {
    this.log.info('Restarting the Trit server.');
    this.lastError = undefined;
    await this.stop();
    await this.start();
  }

  private onStatus(s: StatusParams): void {
    this.status.set({ kind: 'server', status: s });
    this.serverStatus.fire(s);
    if (s.state === 'error' && s.error) this.reportError(s.error);
    if (s.state === 'ready') this.lastError = undefined;
  }

  private onStats(s: CompletionStatsParams): void {
    this.status.completed(s);
    this.inline.completed(s);
    if (s.outcome === 'error') this.log.warn(`Completion failed: ${s.reason ?? 'unknown error'}`);
    this.log.trace(
      `completion ${s.outcome} (${s.source}) in ${s.latencyMs.toFixed(0)} ms: prompt ${s.promptTokens} (reused ${s.reusedTokens}, evaluated ${s.evaluatedTokens}), generated ${s.generatedTokens}`,
    );
  }

  /** Loud once: an error is shown when it first appears, not again while it persists. */
  private reportError(error: ServerError): void {
    if (this.lastError === error.message) return;
    this.lastError = error.message;
    void this.showError(`${error.message} ${error.fix}`, error.actions);
  }

  private async showError(message: string, actions: readonly ErrorAction[]): Promise<void> {
    const picked = await vscode.window.showErrorMessage(message, ...actions.map((a) => ACTION_LABELS[a]));
    const action = actions.find((a) => ACTION_LABELS[a] === picked);
    if (action) await vscode.commands.executeCommand(ACTION_COMMANDS[action]);
  }

  async dispose(): Promise<void> {
    await this.stop();
    for (const d of this.extDisposables.splice(0).reverse()) d.dispose();
  }
}
