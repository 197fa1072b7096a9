// Debian's Chromium, headless, driven by playwright-core. The browser process carries the run marker too, so the
// process cleanup finds it even if `close()` never runs.
import { createWriteStream, existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { within } from './deadline.js';
import { RUN_MARKER, onCleanup } from './processes.js';

const chromiumPath = process.env.TRIT_E2E_CHROMIUM ?? '/usr/bin/chromium';

export interface BrowserSession {
  browser: Browser;
  page: Page;
  close(): Promise<void>;
}

/** Launches Chromium and opens one page; the page's console goes to `consoleLog`. */
export async function openBrowser(runId: string, consoleLog: string): Promise<BrowserSession> {
  if (!existsSync(chromiumPath)) {
    throw new Error(`Chromium not found at ${chromiumPath}: run test/e2e/install.sh (or set TRIT_E2E_CHROMIUM)`);
  }
  const browser = await within(chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    env: { ...process.env, [RUN_MARKER]: runId },
    timeout: 30_000,
  }), 40_000, `Chromium (${chromiumPath}) did not start`);
  let closed = false;
  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    unregister();
    await within(browser.close(), 10_000, 'Chromium did not close').catch(() => undefined);
  };
  const unregister = onCleanup(close);
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(30_000);
    const log = createWriteStream(consoleLog, { flags: 'a' });
    page.on('console', (msg) => log.write(`[${msg.type()}] ${msg.text()}\n`));
    page.on('pageerror', (err) => log.write(`[pageerror] ${err.message}\n`));
    browser.on('disconnected', () => log.end());
    return { browser, page, close };
  } catch (err) {
    await close();
    throw err;
  }
}
