// The harness's self-test in the browser, with the probe extension (test/e2e/probe/): it proves that the workbench
// loads, that typing shows ghost text from an extension, that Tab accepts it and the file on disk changes, and that
// commands and notifications work — independently of Trit.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { CodeServer } from './code-server.js';
import { Steps, type RunContext } from './report.js';
import { Workbench } from './workbench.js';

export async function runProbeUi(ctx: RunContext, server: CodeServer, page: Page, workspace: string): Promise<void> {
  const wb = new Workbench(page, join(ctx.runDir, 'shots'), server.dirs.log, 'probe-');
  const steps = new Steps(ctx.report, 'ui probe', async (name) => {
    await wb.screenshot(`FAILED-${name.replace(/\W+/g, '-')}`);
  });

  await steps.step('the workbench loads the workspace and the extension activates', async () => {
    await wb.open(server.folderUrl(workspace), 'sample.txt');
    await wb.statusBar(/Harness probe ready/, 'the probe extension never showed its status bar item');
    await wb.screenshot('workbench');
  });
  await steps.step('typing shows ghost text, Tab accepts it, the file on disk has it', async () => {
    await wb.openFile('sample.txt');
    await wb.editorLines().click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('probe', { delay: 30 });
    await wb.expect(wb.ghost(), 'no ghost text appeared after typing', 15_000);
    assert.equal(await wb.ghostText(), '_completed();');
    await wb.screenshot('ghost-text');
    await page.keyboard.press('Tab');
    await wb.expect(wb.ghost(), 'the ghost text stayed after Tab', 10_000, 'detached');
    await wb.save();
    assert.equal(readFileSync(join(workspace, 'sample.txt'), 'utf8'), 'first line\nprobe_completed();');
    await wb.screenshot('accepted');
  });
  await steps.step('a command from the palette shows its notification', async () => {
    await wb.runCommand('Harness Probe: Ping');
    await wb.notification(/Harness probe: pong/, 'the probe command showed no notification');
    await wb.screenshot('notification');
  });
}
