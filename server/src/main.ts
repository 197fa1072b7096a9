// Trit's language server: the connection, its capabilities, and the wiring of documents, settings, the model and
// the handlers. Runs in its own process (IPC from VS Code, or `node dist/server.js --stdio` for other editors).
import { readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createConnection,
  ProposedFeatures,
  TextDocumentSyncKind,
  type InitializeParams,
  type InitializeResult,
} from 'vscode-languageserver/node';
import {
  CompletionStatsNotification,
  OfflineReportRequest,
  ServerInfoRequest,
  StatusNotification,
  type InitializationOptions,
  type ServerInfo,
  type StatusParams,
  type TritSettings,
} from '../../protocol/src/index';
import { findShippedModel, ModelHost, resolveModelSource, summarize } from './engine/models';
import { loadNative } from './engine/native';
import { ChatHandler } from './chat/handler';
import { offlineReport } from './diagnostics/offline';
import { Documents } from './documents';
import { CompletionCache } from './inline/cache';
import { InlineHandler } from './inline/handler';
import { resolvePromptMode } from './inline/prompt';
import { ExtraContextRing } from './inline/ring';
import { Settings } from './settings';

const connection = createConnection(ProposedFeatures.all);
const log = {
  info: (m: string): void => connection.console.info(m),
  warn: (m: string): void => connection.console.warn(m),
  error: (m: string): void => connection.console.error(m),
};

function packageVersion(): string {
  for (const dir of [join(__dirname, '..'), join(__dirname, '..', '..', '..')]) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'trit' && pkg.version) return pkg.version;
    } catch {
      // Not here; try the next candidate.
    }
  }
  return '0.0.0';
}

const version = packageVersion();
let root: string | undefined;
let initOptions: InitializationOptions = {};
let settings: Settings | undefined;
let status: StatusParams = { state: 'starting' };

function sendStatus(s: StatusParams): void {
  status = s;
  void connection.sendNotification(StatusNotification.method, s);
}

/** The path a model sees for a document: relative to the workspace when inside it. */
function displayPath(uri: string): string {
  if (!uri.startsWith('file:')) return uri.replace(/^[a-z-]+:/i, '');
  const file = fileURLToPath(uri);
  if (root) {
    const rel = relative(root, file);
    if (!rel.startsWith('..') && rel !== '') return rel.split(sep).join('/');
  }
  return file.split(sep).join('/');
}

const documents = new Documents({
  onOpen: (doc) => ring.noteOpen(doc),
  onEdit: (doc, line) => ring.noteEdit(doc.uri, line),
  onSave: (doc) => ring.noteSave(doc),
  onClose: (uri) => {
    ring.noteClose(uri);
    cache.clear(uri);
    inline.forget(uri);
    host.engine?.dropSlot(`doc:${uri}`);
  },
});
const ring = new ExtraContextRing((uri) => documents.get(uri), displayPath);
const cache = new CompletionCache();
const host = new ModelHost(loadNative, sendStatus, log);

function currentSettings(): TritSettings {
  if (!settings) throw new Error('settings read before initialize');
  return settings.value;
}

function modelSummary() {
  const engine = host.engine;
  const source = host.modelSource;
  if (!engine || !source) return undefined;
  return summarize(engine.info, source, resolvePromptMode(engine.info, currentSettings().completion.promptMode));
}

const inline = new InlineHandler({
  document: (uri) => documents.get(uri),
  engine: () => host.engine,
  modelKey: () => host.modelSource?.path ?? '',
  settings: currentSettings,
  extras: (uri) => ring.forRequest(uri),
  displayPath,
  cache,
  stats: (s) => void connection.sendNotification(CompletionStatsNotification.method, s),
  log,
});

async function loadModel(s: TritSettings): Promise<void> {
  const source = resolveModelSource(s.model.path, initOptions.modelPath, findShippedModel(__dirname), root);
  const req = { source, settings: s.model };
  if (!host.needsLoad(req)) return;
  cache.clear();
  const engine = await host.load(req);
  if (!engine) return;
  engine.onBusy((p) => {
    const model = modelSummary();
    sendStatus(p === undefined ? { state: 'ready', model } : { state: 'generating', model });
  });
  sendStatus({ state: 'ready', model: modelSummary() });
}

connection.onInitialize((params: InitializeParams): InitializeResult => {
  initOptions = (params.initializationOptions ?? {}) as InitializationOptions;
  const folder = params.workspaceFolders?.[0]?.uri ?? params.rootUri ?? undefined;
  root = folder?.startsWith('file:') ? fileURLToPath(folder) : undefined;
  settings = new Settings(connection, initOptions.settings);
  settings.configure(params.capabilities.workspace?.configuration === true);
  const canRegister = params.capabilities.workspace?.didChangeConfiguration?.dynamicRegistration === true;
  connection.onInitialized(() => {
    void (async () => {
      const s = settings as Settings;
      s.onChange((next) => {
        // Only model settings need a reload; the rest is read per request.
        void loadModel(next);
        cache.clear();
      });
      await s.start(canRegister);
      await loadModel(s.value);
    })().catch((e: unknown) => log.error(`Start-up failed: ${String(e)}`));
  });
  return {
    capabilities: {
      textDocumentSync: { openClose: true, change: TextDocumentSyncKind.Incremental, save: { includeText: false } },
      inlineCompletionProvider: true,
    },
    serverInfo: { name: 'trit', version },
  };
});

connection.languages.inlineCompletion.on((params, token) => inline.handle(params, token));

const chat = new ChatHandler({
  engine: () => host.engine,
  notReadyReason: () =>
    status.state === 'error' && status.error ? `${status.error.message} ${status.error.fix}` : 'The model is still loading; try again in a moment.',
  jinjaWorker: join(__dirname, 'jinja-worker.js'),
  log,
});
chat.register(connection);

connection.onRequest(ServerInfoRequest.method, (): ServerInfo => {
  const engine = host.engine;
  const stats = engine?.stats();
  return {
    version,
    addonVersion: host.addonVersion,
    pid: process.pid,
    state: status.state,
    model: modelSummary(),
    error: status.error,
    settings: currentSettings(),
    memory: (({ rss, heapUsed, heapTotal, external, arrayBuffers }) => ({ rss, heapUsed, heapTotal, external, arrayBuffers }))(process.memoryUsage()),
    engine: stats && {
      kvBytes: stats.kvBytes, kvBudgetBytes: stats.kvBudgetBytes,
      slots: stats.slots.map((x) => ({ name: x.name, tokens: x.tokens, kvBytes: x.kvBytes })),
      jobs: stats.counters.jobs, cancelled: stats.counters.cancelled, preempted: stats.counters.preempted,
      evaluatedTokens: stats.counters.evaluated, generatedTokens: stats.counters.generated,
    },
  };
});

connection.onRequest(OfflineReportRequest.method, () => offlineReport(host.modelSource?.path));

connection.onShutdown(async () => {
  await host.dispose();
});

process.on('unhandledRejection', (e) => log.error(`Unhandled rejection: ${String(e)}`));

documents.listen(connection);
connection.listen();
