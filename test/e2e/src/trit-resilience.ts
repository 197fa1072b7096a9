// Crash recovery, offline evidence and the chat view's safety, in the real editor:
// - the language server killed (SIGKILL) in the middle of an inline completion and in the middle of a chat answer:
//   the status bar says it restarts, the editor text is untouched, the chat shows the cut answer as interrupted,
//   and the next completion and the next question work;
// - "Trit: Verify Offline Mode" shows the server's own evidence with a clear verdict;
// - an answer full of hostile HTML and Markdown runs nothing and is shown as text.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dialog } from 'playwright-core';
import { pollUntil } from './deadline.js';
import type { RunContext, Steps } from './report.js';
import { chattyShippedModel, HOSTILE_ANSWER, scriptedModel } from './test-models.js';
import { selectModelFile } from './trit-chat.js';
import { findServerPid, killServer, STATUS_ID, statusLabel, waitForState } from './trit-status.js';
import type { Workbench } from './workbench.js';

/**
 * Waits until the status bar shows the spinner of a request that is being generated (shown after 300 ms). The page
 * checks on every animation frame: a locator's polling (up to 500 ms apart) can miss a request that is generated in
 * less than a second.
 */
async function waitForGenerating(wb: Workbench, timeoutMs: number): Promise<void> {
  try {
    await wb.page.waitForFunction((id) => document.getElementById(id)?.querySelector('.codicon-loading') != null,
      STATUS_ID, { polling: 'raf', timeout: timeoutMs });
  } catch (err) {
    if (err instanceof Error && err.name === 'TimeoutError') {
      throw new Error(`the status bar never showed a completion being generated (within ${Math.round(timeoutMs / 1000)} s)`);
    }
    throw err;
  }
}

/** Switches the model with "Trit: Select Model File…" and waits until the chat view can be used with it. */
async function switchModel(wb: Workbench, path: string, name: RegExp): Promise<void> {
  await selectModelFile(wb, path);
  await showChatView(wb);
  await pollUntil(async () => (name.test(await statusLabel(wb)) ? true : undefined), 90_000,
    `the status bar never named the model ${name.source}`);
  await waitForState(wb, 'ready', 60_000);
  const view = wb.webview();
  await wb.expect(view.locator('#banner'), 'the chat view still says the model cannot chat', 60_000, 'hidden');
  await pollUntil(async () => ((await view.locator('#input').isDisabled()) ? undefined : true), 30_000, 'the chat input stayed disabled');
}

/** Shows the chat view (a click on the activity bar icon of a container already shown would hide it). */
async function showChatView(wb: Workbench): Promise<void> {
  const input = wb.webview().locator('#input');
  if (await input.isVisible({ timeout: 2000 }).catch(() => false)) return;
  await wb.openViewContainer('Trit');
  await wb.expect(input, 'the chat view did not open', 30_000);
}

/** Types a question into the chat view and sends it; returns the locator of the answer it starts. */
async function ask(wb: Workbench, question: string): Promise<ReturnType<ReturnType<Workbench['webview']>['locator']>> {
  const view = wb.webview();
  const before = await view.locator('.turn.assistant').count();
  await view.locator('#input').click();
  await wb.page.keyboard.type(question);
  await wb.page.keyboard.press('Enter');
  await pollUntil(async () => ((await view.locator('.turn.assistant').count()) > before ? true : undefined), 30_000, 'no answer appeared');
  return view.locator('.turn.assistant').nth(before);
}

/**
 * A Python file long enough that the first completion in it evaluates a prompt of several hundred tokens, which
 * takes a few seconds on the test machine: a window in which to kill the server during a completion.
 */
export function bigPythonFile(): string {
  const defs = Array.from({ length: 300 }, (_, i) =>
    `def helper_${i}(values: list[float]) -> float:\n    return sum(v * ${i} for v in values) / max(1, len(values))\n`);
  return `${defs.join('\n')}\n\ndef total(values: list[float]) -> float:\n    return `;
}

/** Lines killDuringCompletion inserted (at the top of the file, and above its last function), and the view. */
export interface Inserted {
  head: string;
  tail: string;
  /** The editor's lines in view just before the request that was caught. */
  visible: string;
}

/** The editor's lines in view once they show `line` and stay put (it scrolls after a key press has returned). */
export async function settledView(wb: Workbench, line: string): Promise<string> {
  return pollUntil(async () => {
    const first = await wb.visibleText();
    await new Promise((resolve) => setTimeout(resolve, 250));
    return first.includes(line) && (await wb.visibleText()) === first ? first : undefined;
  }, 10_000, `the editor did not settle with "${line}" in view`);
}

/**
 * Kills the server in the middle of an inline completion: asks for one (Alt+\\) where the prompt is new and long,
 * and kills once the status bar shows the request generating (it does after 300 ms). Waits for the new server.
 * The harness runs the engine on one thread (settings.json: "trit.model.threads": 1): with two, the first
 * completion of the long file took barely longer than those 300 ms on a 2-core machine, too short to be seen.
 * Where the completion still ends before the spinner is seen (a faster engine or machine), comment lines go in at
 * the top of the file and above its last function, and the request is repeated. Returns the lines so inserted
 * (empty when the first request was caught) and the lines in view (which show `lastDefLine`) before that request.
 */
export async function killDuringCompletion(ctx: RunContext, wb: Workbench, lastDefLine: string): Promise<Inserted> {
  const pid = findServerPid(ctx.runId);
  let inserted = '';
  let tail = '';
  let visible = '';
  for (let attempt = 1; ; attempt++) {
    visible = await settledView(wb, lastDefLine);
    await wb.page.keyboard.press('Alt+Backslash');
    try {
      await waitForGenerating(wb, attempt < 5 ? 5_000 : 15_000);
      break;
    } catch (err) {
      if (attempt >= 5) throw err;
    }
    // A new first line (the next prompt is evaluated from its start again) and a new line above the last
    // function (the text around the cursor differs, so the suggestion cache does not answer).
    const line = `# request ${attempt}\n`;
    await wb.page.keyboard.press('Escape');
    await wb.page.keyboard.press('Control+Home');
    await wb.page.keyboard.insertText(line);
    await wb.page.keyboard.press('Escape');
    await wb.page.keyboard.press('Control+End');
    await wb.page.keyboard.press('ArrowUp');
    await wb.page.keyboard.press('End');
    await wb.page.keyboard.press('Home');
    await wb.page.keyboard.press('Home');
    await wb.page.keyboard.insertText(line);
    await wb.page.keyboard.press('Escape');
    await wb.page.keyboard.press('Control+End');
    inserted = line + inserted;
    tail += line;
  }
  killServer(pid);
  await waitForState(wb, 'restarting', 15_000);
  assert.match(await statusLabel(wb), /stopped unexpectedly; restarting/i, 'the status bar does not say that the server is restarting');
  await wb.screenshot('server-killed-mid-completion');
  await waitForState(wb, 'ready', 90_000);
  assert.notEqual(findServerPid(ctx.runId), pid, 'no new language server process');
  return { head: inserted, tail, visible };
}

export async function runResilienceSteps(ctx: RunContext, steps: Steps, wb: Workbench,
  workspace: string): Promise<void> {
  const view = wb.webview();
  const models = join(ctx.runDir, 'models');

  await steps.step('"Trit: Verify Offline Mode" shows the server\'s evidence and the verdict OFFLINE', async () => {
    await wb.focusEditorArea();
    await wb.runCommand('Trit: Verify Offline Mode');
    const toast = await wb.notification(/VERDICT: OFFLINE/, 'no notification with the verdict OFFLINE', 30_000);
    assert.match(toast, /no network socket/);
    const output = wb.page.locator('.part.panel .monaco-editor .view-lines');
    // The panel shows the report's end (the editor renders only the lines in view; the verdict line is first and
    // is in the notification above).
    await wb.expect(output.filter({ hasText: 'Sockets by kind' }), 'the report did not open in the output panel', 15_000);
    const text = (await output.filter({ hasText: 'Sockets by kind' }).first().innerText()).replace(/\u00a0/g, ' ');
    assert.match(text, /network \(tcp, udp, raw, v4 or v6\): 0/);
    assert.match(text, /Network interfaces visible to the server: lo/);
    assert.match(text, /Model file it loaded: .*\.gguf/);
    await wb.screenshot('verify-offline');
  });

  await steps.step('a server killed in the middle of a chat answer: the answer is marked interrupted, a new question works', async () => {
    const model = await chattyShippedModel(join(models, 'trit-code-chat.gguf'));
    await switchModel(wb, model, /trit-code(?! \(shipped\))/);
    const editorText = readFileSync(join(workspace, 'src', 'geometry.py'), 'utf8');
    const pid = findServerPid(ctx.runId);
    const answer = await ask(wb, 'Write a function that returns the area of a rectangle.');
    // Wait until the answer is really streaming, with some text already shown, then kill the server.
    await pollUntil(async () => {
      const cls = (await answer.getAttribute('class')) ?? '';
      const text = (await answer.locator('.body').innerText().catch(() => '')).trim();
      if (!/\bstreaming\b/.test(cls)) throw new Error(`the answer ended before it could be interrupted (${cls})`);
      return text.length >= 20 ? true : undefined;
    }, 60_000, 'the answer never started streaming');
    const partial = (await answer.locator('.body').innerText()).trim();
    killServer(pid);
    await wb.expect(view.locator('.turn.assistant.error .note', { hasText: 'stopped while writing this answer' }),
      'the chat did not mark the answer as interrupted by the server stopping', 30_000);
    assert.ok((await answer.locator('.body').innerText()).trim().startsWith(partial.slice(0, 20)),
      'the text streamed before the crash was not kept');
    await waitForState(wb, 'restarting', 15_000);
    await wb.screenshot('chat-interrupted');
    await waitForState(wb, 'ready', 90_000);
    assert.notEqual(findServerPid(ctx.runId), pid, 'no new language server process');
    assert.equal(readFileSync(join(workspace, 'src', 'geometry.py'), 'utf8'), editorText, 'a file changed on disk');
    await pollUntil(async () => ((await view.locator('#input').isDisabled()) ? undefined : true), 60_000, 'the chat input stayed disabled after the restart');
    const next = await ask(wb, 'And its perimeter?');
    await pollUntil(async () => {
      const cls = (await next.getAttribute('class')) ?? '';
      if (/\berror\b/.test(cls)) throw new Error(`the question after the restart failed: ${await next.innerText()}`);
      return /\bdone\b/.test(cls) ? true : undefined;
    }, 120_000, 'the question after the restart was not answered');
    assert.ok((await next.locator('.body').innerText()).trim().length > 0, 'the answer after the restart is empty');
    await wb.screenshot('chat-after-restart');
  });

  await steps.step('hostile HTML and Markdown in an answer run nothing and are shown as text', async () => {
    const model = await scriptedModel(HOSTILE_ANSWER, join(models, 'hostile-chat.gguf'));
    const dialogs: string[] = [];
    const onDialog = (d: Dialog): void => {
      dialogs.push(d.message());
      void d.dismiss().catch(() => undefined);
    };
    wb.page.on('dialog', onDialog);
    try {
      await switchModel(wb, model, /trit-scripted-chat/);
      const answer = await ask(wb, 'Show me something.');
      await pollUntil(async () => (/\bdone\b/.test((await answer.getAttribute('class')) ?? '') ? true : undefined), 60_000,
        'the hostile answer did not finish');
      const body = answer.locator('.body');
      const text = (await body.innerText()).replace(/\u00a0/g, ' ');
      // Every payload is visible as text ...
      for (const literal of ['<script>window.__tritXss=1;alert(1)</script>', '<img src=x onerror="window.__tritXss=2;alert(2)">',
        '<svg onload=', '<iframe src="javascript:', '<style>body{display:none!important}</style>', 'ontoggle=',
        '<object data="javascript:', 'End of the hostile answer.']) {
        assert.ok(text.includes(literal), `the answer does not show "${literal}" as text:\n${text.slice(0, 2000)}`);
      }
      // ... and none became an element.
      const dangerous = await body.locator('script, iframe, svg, style, math, object, embed, form, img, [onerror], [onload], [ontoggle], a[href^="javascript" i]').count();
      assert.equal(dangerous, 0, 'the answer holds active elements');
      // Let anything that might run later (image errors, toggles) have its chance, then look for its effects.
      await wb.page.waitForTimeout(1500);
      const flags = await view.locator('body').evaluate(() => {
        const w = window as unknown as { __tritXss?: number; parent: { __tritXss?: number } };
        let parent: number | undefined;
        try {
          parent = w.parent.__tritXss;
        } catch {
          parent = undefined;
        }
        return { own: w.__tritXss, parent };
      });
      assert.deepEqual(flags, { own: undefined, parent: undefined }, 'a payload ran in the chat view');
      assert.deepEqual(dialogs, [], 'a payload opened a dialog');
      assert.equal(await wb.page.evaluate(() => (window as unknown as { __tritXss?: number }).__tritXss), undefined);
      await wb.expect(view.locator('#input'), 'the style payload hid the chat view', 5_000);
      await wb.screenshot('chat-hostile-answer');
    } finally {
      wb.page.off('dialog', onDialog);
    }
  });
}
