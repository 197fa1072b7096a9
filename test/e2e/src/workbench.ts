// The VS Code workbench in the page, as a user sees it: open a file, type, run a command from the palette, read
// the status bar and the ghost text, take screenshots. Selectors are those of VS Code 1.100 (code-server 4.100.3).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { DeadlineError } from './deadline.js';

/** The ghost text of an inline completion (the suffix on the cursor's line and the lines below it). */
const ghostSelector = '.monaco-editor .ghost-text-decoration, .monaco-editor .ghost-text-decoration-preview, '
  + '.monaco-editor .ghost-text';

export class Workbench {
  private shot = 0;

  /** `shotPrefix` keeps the pictures of different suites of one run apart in the same folder. */
  constructor(readonly page: Page, readonly shotsDir: string, readonly logHint: string, private readonly shotPrefix = '') {
    mkdirSync(shotsDir, { recursive: true });
  }

  /** Waits for `locator` with a limit; on timeout, fails with `what` and where to look. */
  async expect(locator: Locator, what: string, timeoutMs = 30_000,
    state: 'visible' | 'attached' | 'detached' | 'hidden' = 'visible'): Promise<void> {
    try {
      await locator.first().waitFor({ state, timeout: timeoutMs });
    } catch (err) {
      if (err instanceof Error && err.name === 'TimeoutError') {
        throw new DeadlineError(`${what} (within ${Math.round(timeoutMs / 1000)} s): see ${this.logHint}`);
      }
      throw err;
    }
  }

  /** Loads the workbench on `url` and waits until the explorer shows `expectFile` (the remote file system is up). */
  async open(url: string, expectFile: string, timeoutMs = 60_000): Promise<void> {
    await this.page.goto(url, { timeout: timeoutMs });
    await this.expect(this.page.locator('.monaco-workbench'), 'the editor never became ready', timeoutMs);
    await this.expect(this.page.locator('.explorer-folders-view .monaco-list-row', { hasText: expectFile }),
      `the explorer never listed ${expectFile}`, timeoutMs);
  }

  /** Saves a numbered PNG of the whole window; returns its path. */
  async screenshot(name: string): Promise<string> {
    this.shot += 1;
    const path = join(this.shotsDir, `${this.shotPrefix}${String(this.shot).padStart(2, '0')}-${name}.png`);
    await this.page.screenshot({ path, timeout: 15_000 });
    return path;
  }

  /** Opens a file of the workspace with Quick Open and waits for its tab. */
  async openFile(name: string): Promise<void> {
    await this.focusEditorArea();
    await this.quickInput('Control+P', name);
    const row = this.page.locator('.quick-input-list .monaco-list-row', { hasText: name });
    await this.expect(row, `Quick Open did not find ${name}`);
    await row.first().click();
    await this.expect(this.page.locator('.tab.active', { hasText: name }), `${name} did not open in an editor`);
  }

  /** The text area of the active editor. */
  editorLines(): Locator {
    return this.page.locator('.editor-group-container.active .monaco-editor .view-lines').first();
  }

  /** Moves focus to the active editor (out of a webview or panel) by clicking its tab: the cursor stays put. */
  async focusEditorArea(): Promise<void> {
    const tab = this.page.locator('.editor-group-container.active .tab.active');
    if (await tab.count() === 0) return;
    await tab.first().click();
    // Wait until the editor really has focus, so that it does not take it from what opens next.
    await this.page.locator('.editor-group-container.active .monaco-editor.focused').first()
      .waitFor({ timeout: 5000 }).catch(() => undefined);
  }

  /**
   * Opens a quick input with `key` and puts `value` in it. The text is filled into the input element, never typed,
   * so that nothing lands in the editor if focus moves; a quick input that closed at once (it closes when it loses
   * focus, e.g. to an editor still taking focus) is opened again.
   */
  private async quickInput(key: string, value: string): Promise<void> {
    const input = this.page.locator('.quick-input-widget input');
    for (let attempt = 1; ; attempt++) {
      await this.page.keyboard.press(key);
      try {
        await input.waitFor({ state: 'visible', timeout: 5000 });
        await input.fill(value, { timeout: 5000 });
        await this.page.waitForTimeout(150);
        if (await input.isVisible() && (await input.inputValue()) === value) return;
      } catch (err) {
        if (attempt >= 3) throw err;
      }
      if (attempt >= 3) throw new DeadlineError(`the quick input (${key}) kept closing: see ${this.logHint}`);
    }
  }

  /** Runs a command by its title from the command palette (F1), clicking the exact row. */
  async runCommand(title: string, timeoutMs = 15_000): Promise<void> {
    await this.quickInput('F1', `>${title}`);
    const row = this.page.locator('.quick-input-list .monaco-list-row', {
      has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRegExp(title)}$`) }),
    });
    await this.expect(row, `the command palette has no command "${title}"`, timeoutMs);
    await row.first().click();
  }

  /** Waits for a status bar item whose text matches `text`; returns its full text. */
  async statusBar(text: RegExp, what: string, timeoutMs = 60_000): Promise<string> {
    const item = this.page.locator('.statusbar-item', { hasText: text });
    await this.expect(item, what, timeoutMs);
    return (await item.first().innerText()).trim();
  }

  ghost(): Locator {
    return this.page.locator(ghostSelector);
  }

  /**
   * The ghost text on screen now ("" when none): the part on the cursor's line (several syntax-coloured spans),
   * then the lines below it, which VS Code renders as view lines in a zone of class "ghost-text".
   */
  async ghostText(): Promise<string> {
    return this.ghost().evaluateAll((elements) => {
      let inline = '';
      const below: string[] = [];
      for (const e of elements) {
        if (e.classList.contains('ghost-text')) {
          const lines = e.querySelectorAll('.view-line');
          if (lines.length > 0) lines.forEach((l) => below.push(l.textContent ?? ''));
          else below.push(...(e.textContent ?? '').split('\n'));
        } else if (e.closest('.ghost-text') === null) {
          inline += e.textContent ?? '';
        }
      }
      return [inline, ...below].join('\n').replace(/\u00a0/g, ' ');
    });
  }

  /** The text the editor shows (only the rendered lines), with non-breaking spaces turned into spaces. */
  async visibleText(): Promise<string> {
    return (await this.editorLines().innerText()).replace(/\u00a0/g, ' ');
  }

  /** Saves the active editor and waits until its tab is no longer dirty. */
  async save(): Promise<void> {
    await this.page.keyboard.press('Control+S');
    await this.expect(this.page.locator('.tab.active.dirty'), 'the file was not saved', 15_000, 'detached');
  }

  /** Opens a view container from the activity bar by its title. */
  async openViewContainer(title: string): Promise<void> {
    const icon = this.page.locator(`.activitybar .action-item a[aria-label^="${title}"]`);
    await this.expect(icon, `the activity bar has no "${title}" icon`);
    await icon.first().click();
  }

  /** The content frame of a webview view (VS Code nests it in two iframes). */
  webview(): FrameLocator {
    return this.page.frameLocator('iframe.webview.ready').frameLocator('iframe#active-frame');
  }

  /** Waits for a notification toast whose message matches `text`; returns the message. */
  async notification(text: RegExp, what: string, timeoutMs = 30_000): Promise<string> {
    const toast = this.page.locator('.notifications-toasts .notification-list-item-message', { hasText: text });
    await this.expect(toast, what, timeoutMs);
    return (await toast.first().innerText()).trim();
  }
}

export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
