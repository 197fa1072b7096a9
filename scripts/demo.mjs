#!/usr/bin/env node
// Trit's main job without an editor window: the language server the extension runs (dist/server.js, the shipped
// model, the native engine) driven over stdio exactly as VS Code drives it. A file is "typed" into the server one
// keystroke at a time and, where a developer pauses, an inline completion is asked for and shown as the ghost text
// the editor would draw, with its latency and how much of the prompt the engine reused from its cache.
//
//   node scripts/demo.mjs                          # the built-in sample, typed line by line
//   node scripts/demo.mjs --file src/x.py --line 12 # one completion in your own file, at the end of line 12 (1-based)
//   node scripts/demo.mjs --model other.gguf        # another BitNet GGUF model
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import {
  createProtocolConnection,
  InlineCompletionRequest,
  StreamMessageReader,
  StreamMessageWriter,
} from 'vscode-languageserver-protocol/node';

const ROOT = resolve(import.meta.dirname, '..');
const SERVER = join(ROOT, 'dist', 'server.js');
const LANGUAGES = { '.py': 'python', '.ts': 'typescript', '.js': 'javascript', '.go': 'go', '.rs': 'rust', '.c': 'c', '.cpp': 'cpp', '.java': 'java' };

// Typed in order; a completion is requested after each step, where the cursor then is.
const SAMPLE = [
  'import math\n\n\n',
  'def is_prime(n):\n    """Return True if n is a prime number."""\n    ',
  'if n < 2:\n        return False\n    ',
  'for i in range(2, int(math.sqrt(n)) + 1):\n        ',
  'if n % i == 0:\n            return False\n    return True\n\n\n',
  'def primes_below(limit):\n    ',
];

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' },
    file: { type: 'string' },
    line: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (args.help) {
  console.log('usage: node scripts/demo.mjs [--model FILE.gguf] [--file PATH --line N]');
  process.exit(0);
}
if (!existsSync(SERVER)) {
  console.error(`demo: ${SERVER} is missing; run "npm run build" (or bash scripts/setup.sh) first`);
  process.exit(1);
}
const modelPath = resolve(args.model ?? join(ROOT, 'models', 'trit-code.gguf'));
if (!existsSync(modelPath)) {
  console.error(`demo: no model at ${modelPath}; pass --model FILE.gguf`);
  process.exit(1);
}

const gray = (s) => (process.stdout.isTTY ? `\x1b[90m${s}\x1b[0m` : s);
const dim = (s) => (process.stdout.isTTY ? `\x1b[2m${s}\x1b[0m` : s);

const proc = spawn(process.execPath, [SERVER, '--stdio'], { stdio: ['pipe', 'pipe', 'inherit'] });
const conn = createProtocolConnection(new StreamMessageReader(proc.stdout), new StreamMessageWriter(proc.stdin));
let status;
let statusChanged = () => {};
let lastStats;
conn.onNotification('trit/status', (s) => {
  status = s;
  if (s.state === 'loading' && typeof s.progress === 'number' && process.stderr.isTTY) process.stderr.write(dim(`\r  loading the model… ${Math.round(s.progress * 100)} %`));
  statusChanged();
});
conn.onNotification('trit/completionStats', (s) => {
  lastStats = s;
});
conn.onNotification('window/logMessage', () => {});
conn.onRequest('workspace/configuration', (p) => p.items.map(() => null));
conn.onRequest('client/registerCapability', () => null);
conn.listen();

async function main() {
  await conn.sendRequest('initialize', { processId: process.pid, rootUri: null, capabilities: {}, initializationOptions: {
    modelPath,
    // The editor shows a suggestion's first words after 80 ms and the rest when ready; a printout shows it whole.
    settings: { completion: { partialAfterMs: 0 } },
  } });
  await conn.sendNotification('initialized', {});
  await new Promise((done) => {
    statusChanged = () => {
      if (status?.state === 'ready' || status?.state === 'error') done();
    };
    statusChanged();
  });
  if (status.state === 'error') {
    throw new Error(`${status.error?.message ?? 'the model did not load'}\n${status.error?.fix ?? ''}`);
  }
  const m = status.model;
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
  console.log(dim(`${m?.name ?? modelPath}: ${m?.arch}, ${m?.weightType}, ${((m?.nParams ?? 0) / 1e6).toFixed(0)}M parameters, kernels ${m?.kernels}, ${m?.threads} threads\n`));

  if (args.file !== undefined) return completeInFile(resolve(args.file), Number(args.line ?? '0'));

  const uri = 'file:///demo/primes.py';
  let text = '';
  let version = 1;
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId: 'python', version, text } });
  for (const step of SAMPLE) {
    // One didChange per character, as an editor sends while the developer types.
    for (const ch of step) {
      const pos = endOf(text);
      text += ch;
      version += 1;
      await conn.sendNotification('textDocument/didChange', {
        textDocument: { uri, version },
        contentChanges: [{ range: { start: pos, end: pos }, text: ch }],
      });
    }
    await showCompletion(uri, text, endOf(text));
  }
}

async function completeInFile(path, line) {
  const text = readFileSync(path, 'utf8');
  const lines = text.split('\n');
  if (!Number.isInteger(line) || line < 1 || line > lines.length) throw new Error(`--line must be between 1 and ${lines.length}`);
  const uri = pathToFileURL(path).href;
  const languageId = LANGUAGES[extname(path)] ?? 'plaintext';
  await conn.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
  const position = { line: line - 1, character: lines[line - 1].length };
  await showCompletion(uri, lines.slice(0, line).join('\n'), position);
}

async function showCompletion(uri, before, position) {
  lastStats = undefined;
  const t0 = performance.now();
  const result = await conn.sendRequest(InlineCompletionRequest.type, { textDocument: { uri }, position, context: { triggerKind: 2 } });
  const ms = performance.now() - t0;
  for (let waited = 0; lastStats === undefined && waited < 3000; waited += 10) await new Promise((r) => setTimeout(r, 10));
  const items = Array.isArray(result) ? result : (result?.items ?? []);
  const item = items[0];
  const ghost = item !== undefined && typeof item.insertText === 'string' ? item.insertText : '';
  // An item may replace a range that starts before the cursor (e.g. the line's indentation): show what it replaces.
  let shown = before;
  if (item?.range !== undefined && item.range.start.line === position.line) {
    shown = before.slice(0, before.length - (position.character - item.range.start.character));
  }
  const tail = shown.split('\n').slice(-4).join('\n');
  process.stdout.write(`${tail}${gray(ghost || '(no suggestion)')}\n`);
  const s = lastStats;
  const early = s?.partial === true ? ' (first words shown early, the rest was still being generated)' : '';
  const detail = s?.source !== undefined && s.source !== 'model' ? `, from ${s.source}` : s ? `, prompt ${s.promptTokens} tokens (${s.reusedTokens} reused from the cache), ${s.generatedTokens} generated` : '';
  console.log(dim(`  ── ${ms.toFixed(0)} ms${detail}${early}\n`));
}

function endOf(text) {
  const lines = text.split('\n');
  return { line: lines.length - 1, character: lines[lines.length - 1].length };
}

main()
  .then(() => {
    console.log(dim('Grey text is the suggestion. In VS Code: npm run package, then install the .vsix (README.md).'));
  })
  .catch((e) => {
    console.error(`demo: ${e instanceof Error ? e.message : String(e)}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    try {
      await Promise.race([conn.sendRequest('shutdown'), new Promise((r) => setTimeout(r, 3000))]);
      await conn.sendNotification('exit');
    } catch {
      // already gone
    }
    setTimeout(() => proc.kill('SIGKILL'), 2000).unref();
    conn.dispose();
  });
