// End-to-end tests of the packaged extension in a real VS Code (code-server 4.100.3 = VS Code 1.100.3, with a Node
// extension host), driven by Debian's Chromium through playwright-core.
//
//   node --import tsx test/e2e/src/main.ts --vsix trit-0.1.0-linux-x64.vsix [--offline] [--suites ui,exthost]
//   node --import tsx test/e2e/src/main.ts --probe        (the harness's self-test with a minimal extension)
//
// Everything of a run lands in test/e2e/.run/<time>/: code-server logs, the browser console, screenshots (shots/),
// results.json. The last line printed is the summary, e.g. "12 passed, 0 failed".
import { copyFileSync, cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { openBrowser, type BrowserSession } from './browser.js';
import { CodeServer, harnessDir, installExtension, prepareDirs } from './code-server.js';
import { runExtHostSuite } from './exthost.js';
import { assertNoNetwork, inOfflineNamespace, rerunOffline } from './offline.js';
import { installCleanupHandlers, runCleanups } from './processes.js';
import { runProbeUi } from './probe-ui.js';
import { Report, type RunContext } from './report.js';
import type { ChatModel } from './trit-chat.js';
import { foreignTag, makeMismatchedPackage, runMismatchUi } from './trit-mismatch.js';
import { runTritUi } from './trit-ui.js';

const { values: opts } = parseArgs({
  options: {
    vsix: { type: 'string' },
    probe: { type: 'boolean', default: false },
    offline: { type: 'boolean', default: false },
    suites: { type: 'string', default: 'ui,exthost,mismatch' },
    'chat-model': { type: 'string' },
    'chat-model-has-code': { type: 'boolean', default: false },
    'time-limit': { type: 'string', default: '480' },
    keep: { type: 'string', default: '5' },
  },
});

if (opts.offline && !inOfflineNamespace()) process.exit(await rerunOffline());

const runId = new Date().toISOString().replace(/[:.]/g, '-');
const runsDir = join(harnessDir, '.run');
const runDir = join(runsDir, runId);
const report = new Report();
const suites = new Set(opts.suites.split(',').map((s) => s.trim()));


async function main(): Promise<void> {
  installCleanupHandlers(runId);
  mkdirSync(runDir, { recursive: true });
  pruneOldRuns(Number(opts.keep));
  process.stdout.write(`e2e: run folder ${runDir}\n`);
  if (!opts.probe && !opts.vsix) throw new Error('give the package to test with --vsix <file> (or --probe)');

  if (inOfflineNamespace()) {
    const start = Date.now();
    try {
      const evidence = await assertNoNetwork();
      report.add({ suite: 'offline', name: `no network in this run (${evidence})`, status: 'passed', ms: Date.now() - start });
    } catch (err) {
      report.add({ suite: 'offline', name: 'no network in this run', status: 'failed', ms: Date.now() - start,
        error: String(err instanceof Error ? err.message : err) });
      return;
    }
  }

  const ctx: RunContext = { runId, runDir, report };
  if (opts.probe) await runProbe(ctx);
  else await runTrit(ctx, resolve(opts.vsix ?? ''));
}

/** Copies a workspace fixture into the run folder, so the tests edit a fresh copy. */
function freshWorkspace(fixture: string, name: string): string {
  const dir = join(runDir, name);
  cpSync(join(harnessDir, fixture), dir, { recursive: true });
  return dir;
}

async function runProbe(ctx: RunContext): Promise<void> {
  const probeDir = join(harnessDir, 'probe');
  const manifest = JSON.parse(readFileSync(join(probeDir, 'package.json'), 'utf8')) as { version: string };
  if (suites.has('ui')) {
    const dirs = prepareDirs(join(runDir, 'ui'));
    // An unpacked extension folder in the extensions directory is picked up like an installed one.
    cpSync(probeDir, join(dirs.extensions, `trit-e2e.harness-probe-${manifest.version}`), { recursive: true });
    await withServerAndBrowser(ctx, dirs, {}, async (server, session) => {
      await runProbeUi(ctx, server, session.page, freshWorkspace('fixtures/probe-workspace', 'ws-ui'));
    });
  }
  if (suites.has('exthost')) {
    await runExtHost(ctx, probeDir, 'probe', 'fixtures/probe-workspace');
  }
}

async function runTrit(ctx: RunContext, vsix: string): Promise<void> {
  const dirs = prepareDirs(join(runDir, 'ui'));
  const start = Date.now();
  let installed: string;
  try {
    await installExtension(dirs, vsix, runId);
    const found = readdirSync(dirs.extensions).filter((d) => d.startsWith('trit.trit-'));
    if (found.length !== 1) throw new Error(`expected one trit.trit-* folder in ${dirs.extensions}, found: ${found.join(', ')}`);
    installed = join(dirs.extensions, found[0] ?? '');
    report.add({ suite: 'install', name: `code-server --install-extension ${vsix.split('/').pop()}`, status: 'passed',
      ms: Date.now() - start });
  } catch (err) {
    report.add({ suite: 'install', name: 'code-server --install-extension', status: 'failed', ms: Date.now() - start,
      error: String(err instanceof Error ? err.message : err) });
    return;
  }
  if (suites.has('ui')) {
    await withServerAndBrowser(ctx, dirs, {}, async (server, session) => {
      await runTritUi(ctx, server, session.page, freshWorkspace('fixtures/workspace', 'ws-ui'), { chatModel: chatModel() });
    });
  }
  if (suites.has('exthost')) {
    // A second, fresh code-server with no installed extensions loads the installed folder as the extension under
    // development, so the tests run against exactly the files the .vsix installed.
    await runExtHost(ctx, installed, 'trit', 'fixtures/workspace');
  }
  if (suites.has('mismatch')) await runMismatch(ctx, vsix);
}

/** The same package rebuilt for another platform, installed into a third fresh code-server. */
async function runMismatch(ctx: RunContext, vsix: string): Promise<void> {
  const dirs = prepareDirs(join(runDir, 'mismatch'));
  const start = Date.now();
  try {
    const other = join(dirs.root, `trit-universal-only-${foreignTag()}.vsix`);
    makeMismatchedPackage(vsix, other);
    await installExtension(dirs, other, runId);
  } catch (err) {
    report.add({ suite: 'ui mismatch', name: 'install a package built for another platform', status: 'failed',
      ms: Date.now() - start, error: String(err instanceof Error ? err.message : err) });
    return;
  }
  await withServerAndBrowser(ctx, dirs, {}, async (server, session) => {
    await runMismatchUi(ctx, server, session.page, freshWorkspace('fixtures/workspace', 'ws-mismatch'));
  });
}

async function runExtHost(ctx: RunContext, extensionPath: string, suite: string, fixture: string): Promise<void> {
  const dirs = prepareDirs(join(runDir, 'exthost'));
  const workspace = freshWorkspace(fixture, 'ws-exthost');
  await withServerAndBrowser(ctx, dirs, { TRIT_E2E_SUITE: suite, TRIT_E2E_WORKSPACE: workspace }, async (server, session) => {
    await runExtHostSuite(server, session.page, {
      extensionPath,
      testsModule: join(harnessDir, 'out', 'exthost', 'index.js'),
      workspace,
      log: join(runDir, 'exthost-tests.log'),
      timeoutMs: 240_000,
    }, report, `exthost ${suite}`);
  });
}

async function withServerAndBrowser(ctx: RunContext, dirs: ReturnType<typeof prepareDirs>, env: Record<string, string>,
  body: (server: CodeServer, session: BrowserSession) => Promise<void>): Promise<void> {
  const start = Date.now();
  let server: CodeServer | undefined;
  let session: BrowserSession | undefined;
  try {
    try {
      server = await CodeServer.start(dirs, ctx.runId, env);
      session = await openBrowser(ctx.runId, join(dirs.root, 'browser-console.log'));
    } catch (err) {
      report.add({ suite: 'harness', name: `start code-server and Chromium in ${dirs.root}`, status: 'failed',
        ms: Date.now() - start, error: String(err instanceof Error ? err.message : err) });
      return;
    }
    try {
      await body(server, session);
    } catch (err) {
      report.add({ suite: 'harness', name: 'suite ended abnormally', status: 'failed', ms: Date.now() - start,
        error: String(err instanceof Error ? err.stack ?? err.message : err) });
    }
  } finally {
    await session?.close();
    await server?.stop();
  }
}

/**
 * The chat-capable model for the chat steps (--chat-model, else the committed chat fixture), copied into the run
 * folder as a user would keep a downloaded model: outside the workspace and the extension.
 */
function chatModel(): ChatModel | undefined {
  const source = opts['chat-model'] ? resolve(opts['chat-model']) : join(harnessDir, 'fixtures', 'models', 'chat-fixture.gguf');
  if (!existsSync(source)) return undefined;
  const path = join(runDir, 'models', basename(source));
  mkdirSync(dirname(path), { recursive: true });
  copyFileSync(source, path);
  return { path, answersWithCode: opts['chat-model'] ? opts['chat-model-has-code'] : true };
}

function pruneOldRuns(keep: number): void {
  const runs = readdirSync(runsDir).sort();
  for (const old of runs.slice(0, Math.max(0, runs.length - keep))) rmSync(join(runsDir, old), { recursive: true, force: true });
}

const limitMs = Number(opts['time-limit']) * 1000;
const watchdog = setTimeout(() => {
  process.stderr.write(`e2e: the run exceeded its limit of ${limitMs / 1000} s; stopping everything\n`);
  void runCleanups().finally(() => process.exit(1));
}, limitMs);

let exitCode = 1;
try {
  await main();
  exitCode = report.count('failed') === 0 && report.count('passed') > 0 ? 0 : 1;
} catch (err) {
  process.stderr.write(`e2e: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
} finally {
  await runCleanups();
  clearTimeout(watchdog);
  report.write(join(runDir, 'results.json'));
  process.stdout.write(`e2e: screenshots and logs in ${runDir}\n${report.summary()}\n`);
}
process.exit(exitCode);
