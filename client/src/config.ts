// A typed view of the `trit.*` settings for the extension host, with the workspace-trust rule for the model path.
import * as vscode from 'vscode';
import { normalizeSettings, type TritSettings } from '../../protocol/src/index';
import { decideModelPath, type ModelPathDecision } from './trust';

export const SECTION = 'trit';
export const MODEL_PATH = 'model.path';

/** The model-path decision for this workspace (client/src/trust.ts has the rule). */
export function modelPathDecision(config = vscode.workspace.getConfiguration(SECTION)): ModelPathDecision {
  const v = config.inspect<string>(MODEL_PATH);
  return decideModelPath({ user: v?.globalValue, workspace: v?.workspaceValue, folder: v?.workspaceFolderValue },
    vscode.workspace.isTrusted);
}

/**
 * The model path to use. A path set in workspace or folder settings is honoured only in a trusted workspace:
 * otherwise a cloned repository could make the engine parse a file of its choosing. Untrusted workspaces get the
 * user's own (global) value, or "" for the shipped model.
 */
export function trustedModelPath(config = vscode.workspace.getConfiguration(SECTION)): string {
  return expand(modelPathDecision(config).path);
}

/** `${workspaceFolder}` and `${userHome}` in a path; the server resolves "~" and relative paths. */
function expand(p: string): string {
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  let out = p.trim();
  if (folder) out = out.replace(/\$\{workspaceFolder\}/g, folder);
  const home = process.env['HOME'] ?? process.env['USERPROFILE'];
  if (home) out = out.replace(/\$\{userHome\}/g, home);
  return out;
}

/** All settings, normalized, with the trusted model path. */
export function readSettings(): TritSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  const s = normalizeSettings({ model: config.get('model'), completion: config.get('completion'), context: config.get('context') });
  s.model.path = trustedModelPath(config);
  return s;
}

/** Updates a setting in the user's settings (never the workspace's). */
export async function setGlobal(key: string, value: unknown): Promise<void> {
  await vscode.workspace.getConfiguration(SECTION).update(key, value, vscode.ConfigurationTarget.Global);
}
