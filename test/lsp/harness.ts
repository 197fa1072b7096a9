// Starts the real language server (dist/server.js) as a child process and speaks JSON-RPC to it over stdio, the
// way an editor does. Nothing is mocked: the server loads a real model with the native engine.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  CancellationTokenSource,
  createProtocolConnection,
  InlineCompletionRequest,
  StreamMessageReader,
  StreamMessageWriter,
  type InlineCompletionList,
  type ProtocolConnection,
  type Range,
  type TextDocumentContentChangeEvent,
} from 'vscode-languageserver-protocol/node';
import type { CompletionStatsParams, ServerInfo, StatusParams } from '../../protocol/src/index';

export const ROOT = join(__dirname, '..', '..');
export const SERVER = join(ROOT, 'dist', 'server.js');
export const SHIPPED = join(ROOT, 'models', 'trit-code.gguf');
export const FIXTURE = join(ROOT, 'test', 'fixtures', 'bitnet', 'models', 'fixture-bitnet-tq2_0.gguf');

/**
 * The model the tests run: TRIT_TEST_MODEL when set, else the shipped model when it is in the checkout, else the
 * engine's small fixture model (random weights).
 */
export function testModel(): { path: string; shipped: boolean } {
  const chosen = process.env['TRIT_TEST_MODEL'];
  if (chosen) return { path: chosen, shipped: chosen.endsWith('trit-code.gguf') };
  return existsSync(SHIPPED) ? { path: SHIPPED, shipped: true } : { path: FIXTURE, shipped: false };
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/** Builds dist/server.js when it is missing or older than the server or protocol sources. */
export function ensureBuilt(): void {
  const stale = !existsSync(SERVER) || statSync(SERVER).mtimeMs < Math.max(newestMtime(join(ROOT, 'server', 'src')), newestMtime(join(ROOT, 'protocol', 'src')));
  if (!stale) return;
  const r = spawnSync(process.execPath, [join(ROOT, 'esbuild.mjs')], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed: ${r.stderr}`);
}

export interface StartOptions {
  modelPath?: string;
  settings?: unknown;
  /** Answer workspace/configuration with this `trit` section (as VS Code does) instead of initializationOptions. */
  configuration?: unknown;
  /** A command that runs the server, e.g. ['unshare', '--net', '--'] (it must exec the server, keeping its PID). */
  wrap?: string[];
  /** Node options for the server process (test instrumentation, e.g. ['--expose-gc']). */
  execArgv?: string[];
  /** The command that runs Node (default: this process's Node), e.g. an emulator followed by another CPU's Node. */
  node?: string[];
  /** The server bundle (default: the checkout's dist/server.js, built when stale), e.g. one from a package. */
  server?: string;
}

export class Server {
  readonly statuses: StatusParams[] = [];
  readonly stats: CompletionStatsParams[] = [];
  readonly logs: string[] = [];
  private readonly waiters: (() => void)[] = [];
  private versions = new Map<string, number>();
  configuration: unknown;

  private constructor(readonly proc: ChildProcess, readonly conn: ProtocolConnection) {}

  static async start(options: StartOptions = {}): Promise<Server> {
    if (options.server === undefined) ensureBuilt();
    const node = options.node ?? [process.execPath];
    const [cmd, ...args] = [...(options.wrap ?? []), ...node, ...(options.execArgv ?? []), options.server ?? SERVER, '--stdio'];
    const proc = spawn(cmd as string, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    const stderr: string[] = [];
    proc.stderr?.on('data', (d: Buffer) => stderr.push(d.toString()));
    const conn = createProtocolConnection(new StreamMessageReader(proc.stdout!), new StreamMessageWriter(proc.stdin!));
    const server = new Server(proc, conn);
    server.configuration = options.configuration;
    conn.onNotification('trit/status', (s: StatusParams) => server.push(() => server.statuses.push(s)));
    conn.onNotification('trit/completionStats', (s: CompletionStatsParams) => server.push(() => server.stats.push(s)));
    conn.onNotification('window/logMessage', (m: { message: string }) => server.push(() => server.logs.push(m.message)));
    conn.onRequest('workspace/configuration', (p: { items: { section?: string }[] }) => p.items.map((i) => (i.section === 'trit' ? server.configuration ?? null : null)));
    conn.onRequest('client/registerCapability', () => null);
    conn.listen();
    await conn.sendRequest('initialize', {
      processId: process.pid,
      rootUri: null,
      capabilities: options.configuration !== undefined
        ? { workspace: { configuration: true, didChangeConfiguration: { dynamicRegistration: true } } }
        : {},
      initializationOptions: { modelPath: options.modelPath, settings: options.settings },
    });
    await conn.sendNotification('initialized', {});
    return server;
  }

  private push(f: () => void): void {
    f();
    for (const w of this.waiters.splice(0)) w();
  }

  /** Resolves when `predicate` holds (checked after each notification), or rejects after `timeoutMs`. */
  async until<T>(what: string, predicate: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = predicate();
      if (v) return v;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; statuses: ${JSON.stringify(this.statuses.map((s) => s.state))}; logs: ${this.logs.slice(-5).join(' | ')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  ready(timeoutMs?: number): Promise<StatusParams> {
    return this.until('a ready or error status', () => this.statuses.find((s) => s.state === 'ready' || s.state === 'error'), timeoutMs);
  }

  async open(uri: string, text: string, languageId = 'typescript'): Promise<void> {
    this.versions.set(uri, 1);
    await this.conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
  }

  /** Sends one incremental change, as an editor does for a keystroke. */
  async edit(uri: string, range: Range, text: string): Promise<void> {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    const change: TextDocumentContentChangeEvent = { range, text };
    await this.conn.sendNotification('textDocument/didChange', { textDocument: { uri, version }, contentChanges: [change] });
  }

  /** Types `text` at `pos`, one character per didChange; returns the position after it. */
  async type(uri: string, pos: { line: number; character: number }, text: string): Promise<{ line: number; character: number }> {
    let p = pos;
    for (const ch of text) {
      await this.edit(uri, { start: p, end: p }, ch);
      p = ch === '\n' ? { line: p.line + 1, character: 0 } : { line: p.line, character: p.character + 1 };
    }
    return p;
  }

  async close(uri: string): Promise<void> {
    await this.conn.sendNotification('textDocument/didClose', { textDocument: { uri } });
  }

  /** One inline completion request, cancellable with `cancel`; resolves with the answer and the server's statistics. */
  async complete(
    uri: string,
    position: { line: number; character: number },
    options: { invoked?: boolean; selected?: { range: Range; text: string }; cancel?: CancellationTokenSource } = {},
  ): Promise<{ list: InlineCompletionList | null; stats: CompletionStatsParams; ms: number; cancelledFirst: boolean }> {
    const before = this.stats.length;
    const version = this.versions.get(uri) ?? 1;
    const t0 = performance.now();
    const result = await this.conn.sendRequest(InlineCompletionRequest.type, {
      textDocument: { uri },
      position,
      context: { triggerKind: options.invoked ? 1 : 2, ...(options.selected ? { selectedCompletionInfo: options.selected } : {}) },
    }, options.cancel?.token).catch((e: unknown) => {
      if (options.cancel?.token.isCancellationRequested) return null;
      throw e;
    });
    const ms = performance.now() - t0;
    // Whether the caller had cancelled before the answer came (the statistics may arrive later).
    const cancelledFirst = options.cancel?.token.isCancellationRequested ?? false;
    // The server sends a request's statistics just before its answer, and messages arrive in order: the last
    // matching statistics received by now are this request's.
    const mine = (): CompletionStatsParams | undefined => this.stats.slice(before).filter((s) => s.uri === uri && s.version === version).pop();
    const stats = await this.until('completion stats', mine);
    const list = Array.isArray(result) ? { items: result } : (result ?? null);
    return { list, stats, ms, cancelledFirst };
  }

  info(): Promise<ServerInfo> {
    return this.conn.sendRequest('trit/serverInfo', {});
  }

  async stop(): Promise<void> {
    try {
      await Promise.race([this.conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 5000))]);
      await this.conn.sendNotification('exit');
    } catch {
      // The process may be gone already.
    }
    await new Promise<void>((resolve) => {
      if (this.proc.exitCode !== null) return resolve();
      const t = setTimeout(() => {
        this.proc.kill('SIGKILL');
        resolve();
      }, 5000);
      this.proc.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
    this.conn.dispose();
  }
}
