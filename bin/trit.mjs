#!/usr/bin/env node
// The Trit command line: inspect a model, tokenize, generate, dump logits, benchmark. It drives the same native
// engine and loader as the language server. Exit status: 0 ok, 1 the engine or a file failed, 2 bad usage.
import { existsSync, writeFileSync } from 'node:fs';
import { endianness } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';

import { loadNativeModule, repoRoot } from './load-native.mjs';
import { bench } from './trit-bench.mjs';

const shippedModel = join(repoRoot, 'models', 'trit-code.gguf');

const usage = `Usage: node bin/trit.mjs <command> [options]

Commands:
  info      --model FILE [--json]                      model metadata, kernels, special tokens
  tokenize  --model FILE --text T [--json]             token ids of a text
  generate  --model FILE (--prompt T | --tokens 1,2,3) [--n 32] [--temp 0] [--top-k K] [--top-p P]
            [--seed S] [--stop S]... [--json]          continue a prompt; streams text unless --json
  logits    --model FILE --tokens 1,2,3 --out FILE.bin float32 LE [n_tokens x n_vocab], one batch
  bench     --model FILE [--pp 128[,1024]] [--tg 32] [--reps 1] [--ttft 2048] [--long-reps N] [--cold-reps N]
            [--ctx-rss 4096] [--keystroke 256] [--json]
                                                       prefill/decode speed, bandwidth roofline, memory

Options for every command:
  --model FILE     a BitNet GGUF (default: the shipped model, models/trit-code.gguf)
  --threads N      engine threads (default: physical cores)
  --kernels NAME   force a kernel table (ref, avx2, avx512vnni, ...; default: the best for this CPU)
  --ctx N          context length per slot (default: min(model context, 4096))
  --lm-head MODE   auto (default), file (the embedding's own type) or q8 (LM head repacked to 8 bits)
  --json           one JSON object on stdout
  --special        (tokenize, generate --prompt) turn special-token text like <|eot_id|> into its id
  -h, --help       this text`;

const optionSpec = {
  model: { type: 'string' },
  threads: { type: 'string' },
  kernels: { type: 'string' },
  ctx: { type: 'string' },
  'lm-head': { type: 'string' },
  json: { type: 'boolean', default: false },
  special: { type: 'boolean', default: false },
  text: { type: 'string' },
  prompt: { type: 'string' },
  tokens: { type: 'string' },
  n: { type: 'string' },
  temp: { type: 'string' },
  'top-k': { type: 'string' },
  'top-p': { type: 'string' },
  seed: { type: 'string' },
  stop: { type: 'string', multiple: true },
  out: { type: 'string' },
  pp: { type: 'string' },
  tg: { type: 'string' },
  reps: { type: 'string' },
  ttft: { type: 'string' },
  'long-reps': { type: 'string' },
  'cold-reps': { type: 'string' },
  'ctx-rss': { type: 'string' },
  keystroke: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
};

// Which options each command accepts besides the common ones.
const commandOptions = {
  info: [],
  tokenize: ['text', 'special'],
  generate: ['prompt', 'tokens', 'n', 'temp', 'top-k', 'top-p', 'seed', 'stop', 'special'],
  logits: ['tokens', 'out'],
  bench: ['pp', 'tg', 'reps', 'long-reps', 'cold-reps', 'ttft', 'ctx-rss', 'keystroke'],
};
const commonOptions = ['model', 'threads', 'kernels', 'ctx', 'lm-head', 'json', 'help'];

export class UsageError extends Error {}

export function intOption(value, name, min, max, fallback) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be an integer in [${min}, ${max}], got "${value}"`);
  }
  return n;
}

function numberOption(value, name, min, max, fallback) {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a number in [${min}, ${max}], got "${value}"`);
  }
  return n;
}

function tokenList(value, name) {
  const parts = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (parts.length === 0) throw new UsageError(`--${name} needs a comma-separated list of token ids`);
  return parts.map((p) => intOption(p, name, 0, 2 ** 31 - 1));
}

function parse(argv) {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help')
    return { command: 'help' };
  if (!(command in commandOptions)) throw new UsageError(`unknown command "${command}"`);
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: optionSpec, strict: true, allowPositionals: false });
  } catch (e) {
    throw new UsageError(e.message);
  }
  const allowed = new Set([...commonOptions, ...commandOptions[command]]);
  for (const key of Object.keys(parsed.values)) {
    const given = parsed.values[key] !== optionSpec[key].default;
    if (given && !allowed.has(key)) throw new UsageError(`${command} does not take --${key}`);
  }
  return { command, options: parsed.values };
}

async function openModel(options) {
  const path = options.model ?? shippedModel;
  if (!existsSync(path)) {
    if (options.model === undefined) {
      throw new UsageError(
        `the shipped model ${relative(process.cwd(), shippedModel)} is not in this checkout yet; ` +
          'pass --model FILE (any BitNet b1.58 GGUF)',
      );
    }
    throw new UsageError(`no such model file: ${path}`);
  }
  const loadOptions = {};
  const threads = intOption(options.threads, 'threads', 0, 1024);
  if (threads !== undefined) loadOptions.threads = threads;
  const ctx = intOption(options.ctx, 'ctx', 0, 1 << 24);
  if (ctx !== undefined) loadOptions.contextLength = ctx;
  if (options.kernels !== undefined) loadOptions.kernels = options.kernels;
  if (options['lm-head'] !== undefined) {
    if (!['auto', 'file', 'q8'].includes(options['lm-head']))
      throw new UsageError(`--lm-head must be auto, file or q8, got "${options['lm-head']}"`);
    loadOptions.lmHead = options['lm-head'];
  }
  const { native } = await loadNativeModule();
  const t0 = performance.now();
  const model = await native.loadModel(path, loadOptions);
  return { native, model, loadMs: performance.now() - t0 };
}

function print(json) {
  process.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
}

async function info(options) {
  const { native, model, loadMs } = await openModel(options);
  const info = { ...model.info, availableKernels: native.availableKernels(), addon: native.version, loadMs };
  await model.dispose();
  if (options.json) return print(info);
  const { special, meta, chatTemplate, ...plain } = info;
  for (const [key, value] of Object.entries(plain)) process.stdout.write(`${key.padEnd(16)} ${value}\n`);
  process.stdout.write(`${'special'.padEnd(16)} ${JSON.stringify(special)}\n`);
  process.stdout.write(
    `${'chatTemplate'.padEnd(16)} ${chatTemplate ? `${chatTemplate.length} characters` : '(none)'}\n`,
  );
  for (const [key, value] of Object.entries(meta)) process.stdout.write(`${key.padEnd(16)} ${value}\n`);
}

async function tokenize(options) {
  if (options.text === undefined) throw new UsageError('tokenize needs --text T');
  const { model } = await openModel(options);
  const tokens = Array.from(model.tokenize(options.text, { parseSpecial: options.special }));
  const pieces = tokens.map((id) => model.detokenize([id], { renderSpecial: true }));
  await model.dispose();
  if (options.json) return print({ tokens, pieces, n_tokens: tokens.length });
  for (let i = 0; i < tokens.length; i++)
    process.stdout.write(`${String(tokens[i]).padStart(7)}  ${JSON.stringify(pieces[i])}\n`);
  process.stderr.write(`${tokens.length} tokens\n`);
}

async function generate(options) {
  if ((options.prompt === undefined) === (options.tokens === undefined)) {
    throw new UsageError('generate needs exactly one of --prompt T or --tokens 1,2,3');
  }
  const request = {
    slot: '',
    prompt: [],
    maxTokens: intOption(options.n, 'n', 0, 1 << 20, 32),
    sampling: {
      temperature: numberOption(options.temp, 'temp', 0, 100, 0),
      topK: intOption(options['top-k'], 'top-k', 0, 2 ** 31 - 1, 0),
      topP: numberOption(options['top-p'], 'top-p', 0, 1, 1),
      seed: intOption(options.seed, 'seed', 0, Number.MAX_SAFE_INTEGER, 0),
    },
    stop: options.stop ?? [],
  };
  const tokens = options.tokens === undefined ? undefined : tokenList(options.tokens, 'tokens');
  const { model } = await openModel(options);
  try {
    request.prompt = tokens ?? Array.from(model.tokenize(options.prompt, { parseSpecial: options.special }));
    const job = model.complete(request, options.json ? undefined : (piece) => process.stdout.write(piece));
    let interrupted = false;
    const onSigint = () => {
      interrupted = true;
      job.cancel();
    };
    process.once('SIGINT', onSigint);
    const r = await job.done;
    process.removeListener('SIGINT', onSigint);
    const timings = {
      prefill_ms: r.prefillMs,
      decode_ms: r.decodeMs,
      total_ms: r.totalMs,
      prefill_tps: r.prefillMs > 0 ? r.evaluatedTokens / (r.prefillMs / 1000) : null,
      decode_tps: r.decodeMs > 0 ? r.generatedTokens / (r.decodeMs / 1000) : null,
    };
    if (options.json) {
      print({
        prompt_tokens: Array.from(request.prompt),
        tokens: r.tokens,
        text: r.text,
        stop_reason: r.stopReason,
        reused: r.reusedTokens,
        evaluated: r.evaluatedTokens,
        timings,
      });
    } else {
      const tps = (x) => (x === null ? '-' : x.toFixed(1));
      process.stdout.write('\n');
      process.stderr.write(
        `[${r.promptTokens} prompt tokens (${r.reusedTokens} reused), ${r.generatedTokens} generated, ` +
          `stop: ${r.stopReason}; prefill ${tps(timings.prefill_tps)} tok/s, decode ${tps(timings.decode_tps)} tok/s]\n`,
      );
    }
    if (interrupted) process.exitCode = 130;
  } finally {
    await model.dispose();
  }
}

async function logits(options) {
  if (options.tokens === undefined || options.out === undefined)
    throw new UsageError('logits needs --tokens 1,2,3 and --out FILE.bin');
  const prompt = tokenList(options.tokens, 'tokens');
  const { model } = await openModel(options);
  try {
    const r = await model.complete({ slot: '', prompt, maxTokens: 0, logitsAll: true }).done;
    const nVocab = model.info.nVocab;
    if (r.logits === undefined || r.logits.length !== prompt.length * nVocab) {
      throw new Error(`the engine returned ${r.logits?.length ?? 0} logits, expected ${prompt.length} x ${nVocab}`);
    }
    const bytes = Buffer.alloc(r.logits.length * 4);
    if (endianness() === 'LE') {
      Buffer.from(r.logits.buffer, r.logits.byteOffset, r.logits.byteLength).copy(bytes);
    } else {
      r.logits.forEach((x, i) => bytes.writeFloatLE(x, i * 4));
    }
    writeFileSync(options.out, bytes);
    process.stderr.write(`wrote ${prompt.length} x ${nVocab} float32 logits to ${options.out}\n`);
  } finally {
    await model.dispose();
  }
}

const commands = {
  info,
  tokenize,
  generate,
  logits,
  bench: async (options) => {
    const opened = await openModel(options);
    try {
      await bench(opened, options, { intOption, print });
    } finally {
      await opened.model.dispose();
    }
  },
};

async function main(argv) {
  let parsed;
  try {
    parsed = parse(argv);
    if (parsed.command === 'help' || parsed.options.help) {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    await commands[parsed.command](parsed.options);
    return process.exitCode ?? 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`trit: ${e.message}\n(node bin/trit.mjs --help for usage)\n`);
      return 2;
    }
    const code = typeof e?.code === 'string' ? ` [${e.code}]` : '';
    process.stderr.write(`trit: error${code}: ${e?.message ?? e}\n`);
    return 1;
  }
}

// A closed pipe (`trit tokenize ... | head`) is not an error.
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw e;
});
process.exitCode = await main(process.argv.slice(2));
