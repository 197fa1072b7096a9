// Trit's status bar item as the UI shows it, and the language-server process behind it.
import { readFileSync } from 'node:fs';
import type { Locator } from 'playwright-core';
import { markedPids } from './processes.js';
import type { Workbench } from './workbench.js';

/** The item's DOM id: `<extension id>.<item id>` (client/src/status-bar.ts creates 'trit.status'). */
export const STATUS_ID = 'trit.trit.trit.status';

/** The codicon the item shows in each state (client/src/status-bar.ts). */
const STATE_ICONS = {
  ready: 'sparkle',
  restarting: 'debug-restart',
  error: 'error',
  loading: 'loading',
} as const;

export type UiState = keyof typeof STATE_ICONS;

export function statusItem(wb: Workbench): Locator {
  return wb.page.locator(`[id="${STATUS_ID}"]`);
}

/** Waits until the status bar item shows `state`; returns its text (the model name and last latency when ready). */
export async function waitForState(wb: Workbench, state: UiState, timeoutMs: number): Promise<string> {
  const item = statusItem(wb);
  await wb.expect(item.locator(`.codicon-${STATE_ICONS[state]}`),
    `the Trit status bar item never showed the ${state} state`, timeoutMs);
  return (await item.innerText()).trim();
}

/** The status bar item's accessible label (its text and tooltip). */
export async function statusLabel(wb: Workbench): Promise<string> {
  return (await statusItem(wb).getAttribute('aria-label')) ?? '';
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
  } catch {
    return '';
  }
}

/** The PID of the Trit language server of this run (a Node process running the extension's dist/server.js). */
export function findServerPid(runId: string): number {
  const servers = markedPids(runId).filter((pid) => /trit\.trit-[^ ]*\/dist\/server\.js/.test(cmdline(pid)));
  if (servers.length !== 1) {
    throw new Error(`expected one Trit language server process, found ${servers.length}: ${servers.join(', ')}`);
  }
  return servers[0] ?? 0;
}

/** Kills the language server the way a crash would (SIGKILL: no chance to clean up). */
export function killServer(pid: number): void {
  process.kill(pid, 'SIGKILL');
}
