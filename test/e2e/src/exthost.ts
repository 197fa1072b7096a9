// Runs a test module (the @vscode/test-electron `run()` contract) inside the real Node extension host of code-server.
// The workbench's `payload` URL parameter names the extension under development and the test module; when `run()`
// settles, the workbench calls `window.codeAutomationExit(code)`, and it forwards the extension host's console
// through `window.codeAutomationLog(type, args)`. The test module prints one line `TRIT_E2E_RESULTS <json>` with the
// per-test results, which this runner turns into report entries.
import { createWriteStream } from 'node:fs';
import { format } from 'node:util';
import type { Page } from 'playwright-core';
import type { CodeServer } from './code-server.js';
import { DeadlineError, within } from './deadline.js';
import type { Report } from './report.js';

export const RESULTS_PREFIX = 'TRIT_E2E_RESULTS ';

export interface ExtHostRun {
  extensionPath: string;
  testsModule: string;
  workspace: string;
  log: string;
  timeoutMs: number;
}

interface TestResult {
  title: string;
  state: 'passed' | 'failed' | 'pending';
  ms: number;
  error?: string;
}

export async function runExtHostSuite(server: CodeServer, page: Page, run: ExtHostRun, report: Report,
  suite: string): Promise<void> {
  const log = createWriteStream(run.log, { flags: 'a' });
  let results: TestResult[] | undefined;
  let resolveExit: (code: number) => void = () => undefined;
  const exited = new Promise<number>((res) => (resolveExit = res));
  await page.exposeFunction('codeAutomationExit', (code: number) => resolveExit(code));
  await page.exposeFunction('codeAutomationLog', (_type: string, args: unknown[] | undefined) => {
    const line = format(...(args ?? []));
    if (line.startsWith(RESULTS_PREFIX)) results = JSON.parse(line.slice(RESULTS_PREFIX.length)) as TestResult[];
    log.write(`${line}\n`);
  });
  const payload = [
    ['extensionDevelopmentPath', server.remoteUri(run.extensionPath)],
    ['extensionTestsPath', server.remoteUri(run.testsModule)],
    ['skipWelcome', 'true'],
  ] as const;
  const start = Date.now();
  try {
    await page.goto(server.folderUrl(run.workspace, payload), { timeout: 60_000 });
    const code = await within(exited, run.timeoutMs,
      `the extension-host tests never finished: see ${run.log} and ${server.dirs.log}`);
    if (!results) {
      throw new Error(`the extension-host tests ended with code ${code} without reporting results: see ${run.log}`);
    }
    for (const r of results) {
      report.add({ suite, name: r.title, status: r.state === 'pending' ? 'skipped' : r.state, ms: r.ms,
        ...(r.error ? { error: shorten(r.error) } : {}) });
    }
    if (code !== 0 && results.every((r) => r.state !== 'failed')) {
      report.add({ suite, name: 'test module exit code', status: 'failed', ms: Date.now() - start,
        error: `run() failed with code ${code}: see ${run.log}` });
    }
  } catch (err) {
    const error = err instanceof DeadlineError || err instanceof Error ? err.message : String(err);
    report.add({ suite, name: 'run the extension-host suite', status: 'failed', ms: Date.now() - start, error });
  } finally {
    await new Promise<void>((res) => log.end(res));
  }
}

/** The message and the first frames of a stack: enough to find the line, short enough to read in a CI log. */
function shorten(error: string): string {
  const lines = error.split('\n');
  const firstFrame = lines.findIndex((l) => /^\s+at /.test(l));
  return (firstFrame < 0 ? lines.slice(0, 12) : lines.slice(0, Math.min(firstFrame + 2, 14))).join('\n');
}
