// The UI suite against the installed Trit package, as a user works with it: ghost text from the shipped model,
// Tab, accept-next-word, the file on disk; a crash of the language server and the recovery; the chat view. Each
// step leaves a screenshot in shots/. The harness settings turn auto-indent and auto-closing off, so the text the
// test types reaches the document unchanged and the file on disk can be checked exactly.
import * as assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { CodeServer } from './code-server.js';
import { pollUntil } from './deadline.js';
import { Steps, type RunContext } from './report.js';
import { runChatSteps, type ChatModel } from './trit-chat.js';
import { bigPythonFile, killDuringCompletion, runResilienceSteps } from './trit-resilience.js';
import { statusLabel, waitForState } from './trit-status.js';
import { Workbench } from './workbench.js';

export interface TritUiOptions {
  /** A model that can chat; without one the suite checks that the shipped model says it cannot. */
  chatModel: ChatModel | undefined;
}

const FILE = 'geometry.py';

/** The editor renders spaces as non-breaking spaces and control characters as their pictures (U+2400-U+241F). */
function plain(text: string): string {
  return text.replace(/\u00a0/g, ' ').replace(/[\u2400-\u241f]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0x2400));
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

export async function runTritUi(ctx: RunContext, server: CodeServer, page: Page, workspace: string,
  options: TritUiOptions): Promise<void> {
  const wb = new Workbench(page, join(ctx.runDir, 'shots'), server.dirs.log);
  const steps = new Steps(ctx.report, 'ui', async (name) => {
    await wb.screenshot(`FAILED-${name.replace(/\W+/g, '-').slice(0, 60)}`);
  });
  const file = join(workspace, 'src', FILE);
  /** The file's text on disk as the test expects it so far. */
  let expected = readFileSync(file, 'utf8');
  const disk = (): string => readFileSync(file, 'utf8');

  /** Types at the end of the document. */
  async function typeAtEnd(text: string): Promise<void> {
    await page.keyboard.press('Control+End');
    await page.keyboard.type(text, { delay: 35 });
    expected += text;
  }

  /** Waits for ghost text, asking explicitly (Alt+\) if typing alone did not bring any; returns it. */
  async function ghostText(): Promise<string> {
    try {
      await wb.expect(wb.ghost(), 'no ghost text after typing', 8_000);
    } catch {
      await page.keyboard.press('Alt+Backslash');
      await wb.expect(wb.ghost(), 'no ghost text, neither while typing nor after Alt+\\ (trigger completion)', 30_000);
    }
    // A slow suggestion is first shown as its first whole words and then replaced by the finished one (the
    // server's early partial answers), so wait until the ghost text has stopped changing before using it.
    let last = '';
    let since = Date.now();
    return pollUntil(async () => {
      const t = plain(await wb.ghostText());
      if (t !== last) {
        last = t;
        since = Date.now();
        return undefined;
      }
      return t.trim() !== '' && Date.now() - since >= 1_500 ? t : undefined;
    }, 20_000, 'the ghost text stayed empty or never settled');
  }

  /** Saves, and checks that the file is what was expected plus an accepted suggestion; returns that suggestion. */
  async function saveAndReadAccepted(what: string): Promise<string> {
    await wb.save();
    const text = disk();
    assert.ok(text.startsWith(expected), `${what}: the file on disk lost or changed text typed before:\n${text}`);
    const accepted = text.slice(expected.length);
    expected = text;
    return accepted;
  }

  // Written before the workbench opens, so that Quick Open lists it.
  const bigFile = join(workspace, 'src', 'helpers.py');
  const original = bigPythonFile();
  writeFileSync(bigFile, original);

  await steps.step('the extension activates and loads the shipped model', async () => {
    await wb.open(server.folderUrl(workspace), 'src');
    await waitForState(wb, 'ready', 90_000);
    assert.match(await statusLabel(wb), /\(shipped\)/, 'the status bar does not name the shipped model');
    await wb.screenshot('ready');
  });

  let ghost = '';
  await steps.step('typing shows ghost text produced by the shipped model', async () => {
    await wb.openFile(FILE);
    await wb.editorLines().click();
    await typeAtEnd('\n\ndef centroid(points: list[Point]) -> Point:\n    ');
    ghost = await ghostText();
    await wb.screenshot('ghost-text');
  });

  await steps.step('Tab accepts the suggestion into the file', async () => {
    await page.keyboard.press('Tab');
    await wb.expect(wb.ghost(), 'the ghost text stayed after Tab', 10_000, 'detached');
    await wb.screenshot('accepted');
    const accepted = await saveAndReadAccepted('Tab');
    assert.equal(firstLine(accepted), firstLine(ghost), 'the text accepted with Tab is not the suggestion shown');
    if (!ghost.includes('\n')) assert.equal(accepted, ghost);
  });

  await steps.step('"Accept Next Word" takes only the next word of the suggestion', async () => {
    await typeAtEnd('\n\n\ndef farthest(origin: Point, points: list[Point]) -> Point:\n    return ');
    const before = firstLine(await ghostText());
    await wb.screenshot('ghost-before-word');
    await page.keyboard.press('Control+ArrowRight');
    const after = await pollUntil(async () => {
      const now = firstLine(plain(await wb.ghostText()));
      return now !== before ? now : undefined;
    }, 10_000, 'the ghost text did not change after Accept Next Word');
    await wb.screenshot('accepted-word');
    await page.keyboard.press('Escape');
    const word = await saveAndReadAccepted('Accept Next Word');
    assert.ok(word.length > 0, 'Accept Next Word inserted nothing');
    assert.ok(before.startsWith(word), `the inserted "${word}" is not the start of the suggestion "${before}"`);
    assert.doesNotMatch(word.trim(), /\s/, `"${word}" is more than one word`);
    if (/\S\s+\S/.test(before)) assert.ok(word.length < before.length, 'the whole suggestion was accepted');
    assert.equal(after, before.slice(word.length), 'the rest of the suggestion is not what remained on screen');
  });

  await steps.step('a language server killed in the middle of an inline completion is restarted, the text is intact, completions work again', async () => {
    // A long file not opened before: its first completion evaluates a long prompt, which leaves time to kill the
    // server during it.
    await wb.openFile('helpers.py');
    await wb.editorLines().click();
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Escape');
    const lastDef = original.lastIndexOf('\n', original.lastIndexOf('\n') - 1) + 1;
    const inserted = await killDuringCompletion(ctx, wb, original.slice(lastDef).split('\n')[0] as string);
    await page.keyboard.press('Escape');
    assert.equal(await wb.visibleText(), inserted.visible, 'the editor text changed across the server crash');
    assert.equal(readFileSync(bigFile, 'utf8'), original, 'the file on disk changed across the server crash');
    // Typing on: the next suggestion comes from the new server.
    await wb.editorLines().click();
    await page.keyboard.press('Control+End');
    await page.keyboard.type('sum(', { delay: 35 });
    // Lines a retry inserted go in at the top and above the last function (its two lines).
    const typed = `${inserted.head}${original.slice(0, lastDef)}${inserted.tail}${original.slice(lastDef)}sum(`;
    const after = await ghostText();
    await wb.screenshot('ghost-after-restart');
    await page.keyboard.press('Tab');
    await wb.expect(wb.ghost(), 'the ghost text stayed after Tab', 10_000, 'detached');
    await wb.save();
    const saved = readFileSync(bigFile, 'utf8');
    assert.ok(saved.startsWith(typed), 'the file lost or changed text across the crash and the accepted suggestion');
    assert.equal(firstLine(saved.slice(typed.length)), firstLine(after), 'the text accepted after the restart is not the suggestion shown');
    await wb.screenshot('recovered');
  });

  await runChatSteps(steps, wb, workspace, options.chatModel);
  if (options.chatModel) await runResilienceSteps(ctx, steps, wb, workspace);
  await runWalkthroughStep(steps, wb);
}

/** The Getting started walkthrough: listed by VS Code, its steps shown, the 2B4T page rendered from the package. */
export async function runWalkthroughStep(steps: Steps, wb: Workbench): Promise<void> {
  await steps.step('the Getting started walkthrough explains how to use the official 2B4T model', async () => {
    await wb.focusEditorArea();
    await wb.runCommand('Welcome: Open Walkthrough...');
    const entry = wb.page.locator('.quick-input-list .monaco-list-row', { hasText: 'Get Started with Trit' });
    await wb.expect(entry, 'VS Code does not list the Trit walkthrough');
    await entry.first().click();
    const step = wb.page.locator('.getting-started-step', { hasText: 'BitNet b1.58 2B4T' });
    await wb.expect(step, 'the walkthrough has no step about the 2B4T model');
    await step.first().click();
    // The step's page is the package's media/walkthrough/model.md, rendered in a webview frame.
    const text = await pollUntil(async () => {
      for (const frame of wb.page.frames()) {
        if (frame === wb.page.mainFrame()) continue;
        const body = await frame.evaluate(() => document.body?.innerText ?? '').catch(() => '');
        if (body.includes('ggml-model-i2_s.gguf')) return body;
      }
      return undefined;
    }, 20_000, 'the walkthrough page about the 2B4T model did not render');
    assert.match(text, /microsoft\/bitnet-b1\.58-2B-4T-gguf/);
    assert.match(text, /trit\.model\.path/);
    assert.match(text, /Select Model File/);
    await wb.screenshot('walkthrough');
  });
}
