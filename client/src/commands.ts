// The extension's commands, one factory per command, registered from one table.
import * as vscode from 'vscode';
import { languageEnabled, OfflineReportRequest, ServerInfoRequest, type OfflineReport, type ServerInfo } from '../../protocol/src/index';
import { MODEL_PATH, readSettings, setGlobal, SECTION } from './config';
import type { Ctx } from './ctx';
import { formatOfflineReport, verdictLine } from './offline-report';

type Command = (...args: unknown[]) => unknown;

async function toggleCompletions(): Promise<void> {
  const enabled = !readSettings().completion.enabled;
  await setGlobal('completion.enabled', enabled);
  vscode.window.setStatusBarMessage(`Trit inline completions ${enabled ? 'on' : 'off'}`, 2000);
}

async function toggleLanguage(languageId: string): Promise<void> {
  const s = readSettings().completion;
  await setGlobal('completion.languages', { ...s.languages, [languageId]: !languageEnabled(s, languageId) });
}

async function selectModelFile(): Promise<void> {
  const current = readSettings().model.path;
  const picked = await vscode.window.showOpenDialog({
    canSelectMany: false,
    openLabel: 'Use This Model',
    title: 'Select a BitNet GGUF model file',
    filters: { 'GGUF models': ['gguf'], 'All files': ['*'] },
    ...(current ? { defaultUri: vscode.Uri.file(current) } : {}),
  });
  const file = picked?.[0];
  if (!file) return;
  await setGlobal(MODEL_PATH, file.fsPath);
  const v = vscode.workspace.getConfiguration(SECTION).inspect<string>(MODEL_PATH);
  if (vscode.workspace.isTrusted && (v?.workspaceValue || v?.workspaceFolderValue)) {
    void vscode.window.showWarningMessage('This workspace sets its own trit.model.path, which takes precedence over the model you selected.');
  }
}

async function showModelInfo(ctx: Ctx): Promise<void> {
  const client = ctx.languageClient;
  if (!client) {
    void vscode.window.showWarningMessage('The Trit server is not running.');
    return;
  }
  const info = await client.sendRequest<ServerInfo>(ServerInfoRequest.method, {});
  const m = info.model;
  const lines = m
    ? [
        `${m.name}${m.shipped ? ' (shipped)' : ''}: ${m.arch}, ${(m.nParams / 1e6).toFixed(1)}M parameters, ${m.weightType} weights, ${(m.fileBytes / 1e6).toFixed(1)} MB`,
        `Context ${m.nCtx} tokens, prompt ${m.promptMode.toUpperCase()}, kernels ${m.kernels}, ${m.threads} threads`,
        `File: ${m.path}`,
      ]
    : [info.error ? `${info.error.message} ${info.error.fix}` : `No model loaded (${info.state}).`];
  if (info.engine) {
    lines.push(`Engine: ${info.engine.jobs} jobs, ${info.engine.cancelled} cancelled, ${info.engine.preempted} pre-empted; KV ${(info.engine.kvBytes / 1e6).toFixed(1)} MB in ${info.engine.slots.length} slots`);
  }
  lines.push(`Server ${info.version}, process ${info.pid}`);
  for (const l of lines) ctx.log.info(l);
  void vscode.window.showInformationMessage(lines.join(' · '), { modal: false });
}

/**
 * Asks the language server for its evidence of offline operation and shows it in the "Trit: Offline Check" output
 * channel, with the verdict in a notification. Returns the report (for tests and scripts).
 */
async function verifyOffline(ctx: Ctx): Promise<OfflineReport | undefined> {
  const client = ctx.languageClient;
  if (!client) {
    void vscode.window.showWarningMessage('The Trit server is not running, so there is nothing to check.');
    return undefined;
  }
  const report = await client.sendRequest<OfflineReport>(OfflineReportRequest.method, {});
  const channel = ctx.offlineChannel();
  channel.clear();
  channel.appendLine(formatOfflineReport(report, new Date()));
  channel.show(true);
  const verdict = verdictLine(report);
  if (report.verdict === 'offline') void vscode.window.showInformationMessage(`Trit: ${verdict}`);
  else void vscode.window.showWarningMessage(`Trit: ${verdict}`);
  return report;
}

async function showMenu(ctx: Ctx): Promise<void> {
  const s = readSettings().completion;
  const lang = vscode.window.activeTextEditor?.document.languageId;
  type Item = vscode.QuickPickItem & { run: () => unknown };
  const items: Item[] = [
    { label: s.enabled ? '$(circle-slash) Turn Inline Completions Off' : '$(check) Turn Inline Completions On', run: toggleCompletions },
    ...(lang ? [{ label: `$(symbol-file) ${languageEnabled(s, lang) ? 'Disable' : 'Enable'} for ${lang}`, run: () => toggleLanguage(lang) }] : []),
    {
      label: s.trigger === 'automatic' ? '$(keyboard) Suggest Only on Alt+\\ (manual)' : '$(zap) Suggest While Typing (automatic)',
      run: () => setGlobal('completion.trigger', s.trigger === 'automatic' ? 'manual' : 'automatic'),
    },
    { label: '$(file) Select Model File…', detail: ctx.status.modelSummary?.path, run: selectModelFile },
    { label: '$(info) Model Information', run: () => showModelInfo(ctx) },
    { label: '$(output) Show Logs', run: () => ctx.log.show() },
    { label: '$(shield) Verify Offline Mode', run: () => verifyOffline(ctx) },
    { label: '$(debug-restart) Restart Server', run: () => ctx.restart() },
    { label: '$(settings-gear) Settings', run: () => vscode.commands.executeCommand('workbench.action.openSettings', '@ext:trit.trit') },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: 'Trit', placeHolder: 'Inline completions' });
  await picked?.run();
}

/** Every command of the extension; package.json `contributes.commands` lists the same ids. */
export function commands(ctx: Ctx): Record<string, Command> {
  return {
    'trit.toggleCompletions': toggleCompletions,
    'trit.triggerCompletion': () => vscode.commands.executeCommand('editor.action.inlineSuggest.trigger'),
    'trit.acceptNextWord': () => ctx.inline.acceptPart('word'),
    'trit.acceptNextLine': () => ctx.inline.acceptPart('line'),
    'trit.selectModelFile': selectModelFile,
    'trit.useShippedModel': () => setGlobal(MODEL_PATH, undefined),
    'trit.restartServer': () => ctx.restart(),
    'trit.showLogs': () => ctx.log.show(),
    'trit.showModelInfo': () => showModelInfo(ctx),
    'trit.showMenu': () => showMenu(ctx),
    'trit.verifyOffline': () => verifyOffline(ctx),
  };
}

export function registerCommands(ctx: Ctx): void {
  for (const [id, run] of Object.entries(commands(ctx))) {
    ctx.pushExt(
      vscode.commands.registerCommand(id, async (...args: unknown[]) => {
        try {
          return await run(...args);
        } catch (e) {
          const message = e instanceof Error ? e.message : String(e);
          ctx.log.error(`${id} failed: ${message}`);
          void vscode.window.showErrorMessage(`Trit: ${message}`);
        }
      }),
    );
  }
}
