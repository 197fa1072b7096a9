// The chat part of the UI suite: the chat view in the activity bar, the shipped code model's "cannot chat" notice,
// then (with a chat-capable model set through trit.model.path) a question about selected code, the streamed
// answer, and inserting the answer's code block into the editor. Selectors follow media/src/view.ts.
import * as assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pollUntil } from './deadline.js';
import type { Steps } from './report.js';
import { statusLabel, waitForState } from './trit-status.js';
import type { Workbench } from './workbench.js';

export interface ChatModel {
  /** Absolute path of the GGUF file. */
  path: string;
  /** Whether its answers contain a fenced code block (then the suite inserts one). */
  answersWithCode: boolean;
}

export async function runChatSteps(steps: Steps, wb: Workbench, workspace: string,
  model: ChatModel | undefined): Promise<void> {
  const page = wb.page;
  const view = wb.webview();

  await steps.step('the chat view opens and says the shipped code model cannot chat', async () => {
    await wb.openViewContainer('Trit');
    await wb.expect(view.locator('#input'), 'the chat view did not load', 30_000);
    await wb.expect(view.locator('#banner .banner-title', { hasText: 'This model cannot chat' }),
      'the chat view did not say that the shipped model cannot chat', 30_000);
    assert.equal(await view.locator('#input').isDisabled(), true, 'the chat input is enabled for a model that cannot chat');
    await wb.screenshot('chat-cannot-chat');
  });
  if (!model) return;

  await steps.step('"Trit: Select Model File" switches to a chat model and the notice goes away', async () => {
    await selectModelFile(wb, model.path);
    await wb.expect(view.locator('#banner'), 'the "cannot chat" notice stayed after the model changed', 60_000, 'hidden');
    await waitForState(wb, 'ready', 60_000);
    assert.doesNotMatch(await statusLabel(wb), /\(shipped\)/, 'the status bar still names the shipped model');
    assert.equal(await view.locator('#input').isDisabled(), false, 'the chat input stayed disabled');
    await wb.screenshot('chat-model-loaded');
  });

  let codeShown = '';
  await steps.step('a question about selected code gets a streamed answer', async () => {
    // Select the body of Rect.contains (lines 36-37 of the fixture) and add it to the chat with Ctrl+L.
    await wb.openFile('geometry.py');
    await wb.editorLines().click();
    await page.keyboard.press('Control+G');
    await page.keyboard.type('36');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Home');
    await page.keyboard.press('Shift+ArrowDown');
    await page.keyboard.press('Shift+ArrowDown');
    await page.keyboard.press('Control+L');
    await wb.expect(view.locator('#chips .chip', { hasText: 'geometry.py:36' }),
      'Ctrl+L did not attach the selection to the chat', 15_000);
    await view.locator('#input').click();
    await page.keyboard.type('What does this method check?');
    await wb.screenshot('chat-question');
    // Streaming: an observer inside the webview records the answer's length at every change of the transcript
    // while the answer is marked as streaming; a streamed answer shows several growing lengths.
    await view.locator('#log').evaluate((log) => {
      const seen: number[] = [];
      (window as unknown as { tritLengths: number[] }).tritLengths = seen;
      new MutationObserver(() => {
        const turns = log.querySelectorAll('.turn.assistant');
        const last = turns[turns.length - 1];
        if (last?.classList.contains('streaming')) seen.push(last.querySelector('.body')?.textContent?.length ?? 0);
      }).observe(log, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    await page.keyboard.press('Enter');
    const answer = view.locator('.turn.assistant').last();
    await wb.expect(answer, 'no answer appeared', 30_000);
    // A picture of the answer half-way, if it is still streaming once its first words are there.
    await view.locator('.turn.assistant.streaming .body', { hasText: /\S/ }).first().waitFor({ timeout: 10_000 })
      .then(() => wb.screenshot('chat-streaming'), () => undefined);
    await wb.expect(view.locator('.turn.assistant.streaming'), 'the answer never finished', 120_000, 'detached');
    const lengths = await view.locator('#log').evaluate(() => (window as unknown as { tritLengths: number[] }).tritLengths);
    const growing = [...new Set(lengths.filter((n) => n > 0))];
    assert.ok(growing.length >= 2, `the answer was not streamed: its length while streaming was ${JSON.stringify(lengths.slice(0, 20))}`);
    const cls = (await answer.getAttribute('class')) ?? '';
    assert.match(cls, /\bdone\b/, `the answer ended as "${cls}"`);
    assert.ok((await answer.locator('.body').innerText()).trim().length > 0, 'the answer is empty');
    await wb.screenshot('chat-answer');
    if (model.answersWithCode) {
      codeShown = await answer.locator('.code-block pre > code').first().innerText({ timeout: 5000 });
      assert.ok(codeShown.trim().length > 0, 'the answer has no code block');
    }
  });
  if (!model.answersWithCode) return;

  await steps.step('"Insert at cursor" puts the code block into the file', async () => {
    const file = join(workspace, 'src', 'geometry.py');
    await wb.editorLines().click();
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Enter');
    const before = readFileSync(file, 'utf8');
    const insert = view.locator('.turn.assistant').last().locator('.code-block button[data-action="insert"]').first();
    await wb.expect(insert, 'the code block has no insert button');
    assert.equal((await insert.innerText()).trim(), 'Insert at cursor');
    await insert.click();
    await wb.focusEditorArea();
    await wb.save();
    const after = readFileSync(file, 'utf8');
    assert.ok(after.length > before.length, 'nothing was inserted');
    assert.ok(after.includes(codeShown.trimEnd()), 'the file does not hold the code block of the answer');
    await wb.screenshot('chat-inserted');
  });
}

/** Picks `path` with "Trit: Select Model File…" (code-server's file dialog is a quick input holding a server path). */
export async function selectModelFile(wb: Workbench, path: string): Promise<void> {
  const page = wb.page;
  await wb.focusEditorArea();
  await wb.runCommand('Trit: Select Model File…');
  // code-server's file dialog is a quick input holding a path on the server.
  const input = page.locator('.quick-input-widget input');
  await wb.expect(input, 'the model file dialog did not open');
  // The dialog first fills in where it starts (the workspace folder, or the current model file) and lists that
  // folder; only then does it take a typed path.
  await pollUntil(async () => (/(\/|\.gguf)$/.test(await input.inputValue()) ? true : undefined), 15_000,
    'the file dialog never showed its starting folder');
  await wb.expect(page.locator('.quick-input-list .monaco-list-row'), 'the file dialog listed nothing', 15_000);
  await input.fill(path);
  // Its list follows the typed path asynchronously; wait until the value has been stable for a moment.
  let stableSince = Date.now();
  await pollUntil(async () => {
    if ((await input.inputValue()) !== path) {
      await input.fill(path);
      stableSince = Date.now();
    }
    return Date.now() - stableSince > 700 ? true : undefined;
  }, 15_000, 'the file dialog did not keep the typed path', 100);
  await wb.screenshot('select-model-file');
  await page.keyboard.press('Enter');
  await wb.expect(page.locator('.quick-input-widget'), 'the file dialog did not accept the model file', 15_000, 'hidden');
}
