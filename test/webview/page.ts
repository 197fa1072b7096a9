// Runs the chat webview bundle in headless Chromium, as VS Code would host it: the same CSP (default-src 'none',
// script by nonce, style from the page's own origin), a stand-in for `acquireVsCodeApi`, and a driver script that
// plays the extension host's messages and records what the page does. The page is served from 127.0.0.1 by a
// server that logs every request, so a test can prove the page loaded nothing else.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import type { Readable, Writable } from 'node:stream';
import { join } from 'node:path';
import * as esbuild from 'esbuild';

const ROOT = join(__dirname, '..', '..');

/** Theme variables as VS Code's Dark Modern theme sets them (a subset: those chat.css uses). */
const THEME = `
  --vscode-font-family: system-ui, sans-serif; --vscode-font-size: 13px; --vscode-editor-font-family: monospace;
  --vscode-editor-font-size: 13px; --vscode-foreground: #cccccc; --vscode-sideBar-background: #181818;
  --vscode-descriptionForeground: #9d9d9d; --vscode-errorForeground: #f85149; --vscode-focusBorder: #0078d4;
  --vscode-button-background: #0078d4; --vscode-button-foreground: #ffffff; --vscode-button-hoverBackground: #026ec1;
  --vscode-button-secondaryBackground: #313131; --vscode-button-secondaryForeground: #cccccc;
  --vscode-button-secondaryHoverBackground: #3c3c3c; --vscode-input-background: #313131;
  --vscode-input-foreground: #cccccc; --vscode-input-border: #3c3c3c; --vscode-input-placeholderForeground: #989898;
  --vscode-panel-border: #2b2b2b; --vscode-widget-border: #313131; --vscode-textCodeBlock-background: #2b2b2b;
  --vscode-textLink-foreground: #4daafc; --vscode-textPreformat-foreground: #d0d0d0;
  --vscode-textBlockQuote-background: #2b2b2b; --vscode-textBlockQuote-border: #616161;
  --vscode-badge-background: #616161; --vscode-badge-foreground: #f8f8f8; --vscode-editor-foreground: #cccccc;
  --vscode-inputValidation-warningBackground: #352a05; --vscode-inputValidation-warningBorder: #b89500;
  --vscode-debugTokenExpression-boolean: #4e94ce; --vscode-debugTokenExpression-string: #ce9178;
  --vscode-debugTokenExpression-number: #b5cea8; --vscode-debugTokenExpression-name: #c586c0;
  --vscode-symbolIcon-functionForeground: #b180d7; --vscode-symbolIcon-classForeground: #ee9d28;
  --vscode-symbolIcon-variableForeground: #75beff; --vscode-toolbar-hoverBackground: #5a5d5e50;`;

export interface PageRun {
  /** The DOM when the driver finished. */
  dom: string;
  /** What the driver script passed to done(). */
  results: unknown;
  /** Every path the page asked the server for. */
  requests: string[];
}

let bundle: string | undefined;

function chatBundle(): string {
  bundle ??= esbuild.buildSync({
    entryPoints: [join(ROOT, 'media', 'src', 'chat.ts')],
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
  }).outputFiles[0].text;
  return bundle;
}

/** A value as a JavaScript literal that is safe inside an inline <script> (no "</script>" can end it early). */
export function js(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

export function chromiumPath(): string | undefined {
  return ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'].find((p) => existsSync(p));
}

/**
 * Loads the chat page with `driver` (a script body run after chat.js; it must end by calling `done(results)`),
 * and returns the DOM, the results and the requests. `stub` runs before chat.js (defines acquireVsCodeApi).
 */
export async function runPage(
  driver: string,
  opts: { screenshot?: string; width?: number; height?: number; savedState?: unknown } = {},
): Promise<PageRun> {
  const chromium = chromiumPath();
  if (chromium === undefined) throw new Error('chromium not found');
  const nonce = randomBytes(16).toString('base64');
  const requests: string[] = [];
  const css = readFileSync(join(ROOT, 'media', 'chat.css'), 'utf8');
  const html = `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-${nonce}'; style-src 'self'; form-action 'none'; base-uri 'none'">
<link rel="stylesheet" href="/chat.css"><title>Trit Chat</title></head>
<body><div id="app"></div>
<script nonce="${nonce}">
document.documentElement.style.cssText = ${JSON.stringify(THEME.replace(/\s+/g, ' '))};
window.__posted = []; window.__hits = []; window.__violations = [];
window.hit = (i) => window.__hits.push(i);
document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.violatedDirective + ' ' + e.blockedURI));
let state = ${JSON.stringify(opts.savedState ?? null)} ?? undefined;
window.acquireVsCodeApi = () => ({
  postMessage: (m) => { window.__posted.push(m); window.dispatchEvent(new CustomEvent('posted', { detail: m })); },
  getState: () => state, setState: (s) => { state = s; },
});
window.host = (m) => window.dispatchEvent(new MessageEvent('message', { data: m }));
window.__done = new Promise((r) => { window.done = r; });
window.frames2 = () => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
</script>
<script nonce="${nonce}" src="/chat.js"></script>
<script nonce="${nonce}">(async () => { ${driver} })().catch((e) => done({ error: String(e && e.stack || e) }));</script>
</body></html>`;
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const body = req.url === '/' ? html : req.url === '/chat.js' ? chatBundle() : req.url === '/chat.css' ? css : undefined;
    const type = req.url === '/' ? 'text/html' : req.url === '/chat.js' ? 'text/javascript' : 'text/css';
    if (body === undefined) res.writeHead(404).end();
    else res.writeHead(200, { 'content-type': `${type}; charset=utf-8` }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const profile = mkdtempSync(join(tmpdir(), 'trit-webview-'));
  const args = [
    '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--disable-default-apps', '--disable-extensions',
    '--remote-debugging-pipe', `--user-data-dir=${profile}`, `--window-size=${opts.width ?? 420},${opts.height ?? 900}`,
    'about:blank',
  ];
  // Its own process group, so that the browser's helper processes are ended with it.
  const child = spawn(chromium, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'], detached: true });
  const killGroup = (): void => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // The group is gone already.
    }
  };
  const cdp = new Cdp(child.stdio[3] as Writable, child.stdio[4] as Readable);
  const timer = setTimeout(killGroup, 90_000);
  try {
    const { targetInfos } = (await cdp.send('Target.getTargets')) as { targetInfos: { targetId: string; type: string }[] };
    const page = targetInfos.find((t) => t.type === 'page');
    if (page === undefined) throw new Error('chromium opened no page');
    const { sessionId } = (await cdp.send('Target.attachToTarget', { targetId: page.targetId, flatten: true })) as { sessionId: string };
    await cdp.send('Page.enable', {}, sessionId);
    const loaded = cdp.once('Page.loadEventFired', sessionId);
    await cdp.send('Page.navigate', { url: `http://127.0.0.1:${port}/` }, sessionId);
    await loaded;
    const evaluated = (await cdp.send('Runtime.evaluate', { expression: 'window.__done', awaitPromise: true, returnByValue: true }, sessionId)) as {
      result: { value?: unknown };
      exceptionDetails?: { text: string };
    };
    if (evaluated.exceptionDetails !== undefined) throw new Error(`page: ${evaluated.exceptionDetails.text}`);
    if (opts.screenshot !== undefined) {
      const shot = (await cdp.send('Page.captureScreenshot', { format: 'png' }, sessionId)) as { data: string };
      writeFileSync(opts.screenshot, Buffer.from(shot.data, 'base64'));
    }
    const dom = (await cdp.send('Runtime.evaluate', { expression: 'document.documentElement.outerHTML', returnByValue: true }, sessionId)) as {
      result: { value: string };
    };
    await cdp.send('Browser.close').catch(() => undefined);
    return { dom: dom.result.value, results: evaluated.result.value, requests };
  } finally {
    clearTimeout(timer);
    const exited = child.exitCode === null ? new Promise((r) => child.once('exit', r)) : Promise.resolve();
    killGroup();
    await exited;
    server.close();
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  }
}

/** A minimal Chrome DevTools Protocol client over --remote-debugging-pipe (NUL-separated JSON on fds 3 and 4). */
class Cdp {
  private nextId = 0;
  private buffer = '';
  private readonly calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private readonly waiters: { method: string; sessionId: string | undefined; resolve: (v: unknown) => void }[] = [];

  constructor(private readonly out: Writable, input: Readable) {
    input.on('data', (d: Buffer) => {
      this.buffer += d.toString('utf8');
      let end: number;
      while ((end = this.buffer.indexOf('\0')) >= 0) {
        this.dispatch(JSON.parse(this.buffer.slice(0, end)) as CdpMessage);
        this.buffer = this.buffer.slice(end + 1);
      }
    });
  }

  send(method: string, params: object = {}, sessionId?: string): Promise<unknown> {
    const id = ++this.nextId;
    this.out.write(`${JSON.stringify({ id, method, params, ...(sessionId !== undefined ? { sessionId } : {}) })}\0`);
    return new Promise((resolve, reject) => this.calls.set(id, { resolve, reject }));
  }

  once(method: string, sessionId?: string): Promise<unknown> {
    return new Promise((resolve) => this.waiters.push({ method, sessionId, resolve }));
  }

  private dispatch(m: CdpMessage): void {
    if (m.id !== undefined) {
      const call = this.calls.get(m.id);
      this.calls.delete(m.id);
      if (m.error !== undefined) call?.reject(new Error(`${m.error.message}`));
      else call?.resolve(m.result);
      return;
    }
    const i = this.waiters.findIndex((w) => w.method === m.method && w.sessionId === m.sessionId);
    if (i >= 0) this.waiters.splice(i, 1)[0].resolve(m.params);
  }
}

interface CdpMessage {
  id?: number;
  method?: string;
  sessionId?: string;
  params?: unknown;
  result?: unknown;
  error?: { message: string };
}
