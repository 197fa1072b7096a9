// Typing replay: re-types regions of a real source file into the language server at a steady speed, one
// didChange per keystroke, and asks for inline completions the way VS Code and Trit's client do (the client's
// debounce policy, the previous request cancelled by the next keystroke). Prints a table and writes
// bench/TYPING.md.
//
//   npm run bench:typing -- [--model PATH]... [--file PATH] [--cps 10] [--chars 900] [--modes spm,psm,prefix] [--threads N]
//
// Run with tsx (the npm script does): it reuses the test client (test/lsp/harness.ts) and the client's debounce
// policy (client/src/debounce.ts).
import { spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { createHash } from 'node:crypto';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { CancellationTokenSource } from 'vscode-languageserver-protocol/node';
// The TypeScript modules are CommonJS (loaded through tsx): import their namespaces.
import protocol from '../protocol/src/index.ts';
import debounce from '../client/src/debounce.ts';
import harness from '../test/lsp/harness.ts';

const { DEFAULT_SETTINGS } = protocol;
const { countsForDebounce, debounceDelay, LatencyTracker, TypingSpeed } = debounce;
const { ROOT, Server, testModel } = harness;

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', multiple: true },
    file: { type: 'string', default: join(ROOT, 'bench', 'fixtures', 'scheduler.ts.txt') },
    cps: { type: 'string', default: '10' },
    chars: { type: 'string', default: '900' },
    modes: { type: 'string' },
    out: { type: 'string', default: join(ROOT, 'bench', 'TYPING.md') },
    dump: { type: 'string' },
    threads: { type: 'string' },
  },
});

const models = args.model?.length ? args.model : [testModel().path];
const gapMs = 1000 / Number(args.cps);
const maxChars = Number(args.chars);
const source = readFileSync(args.file, 'utf8').replace(/\r\n/g, '\n');

/**
 * Regions to re-type: the bodies of the largest functions or blocks in the middle of the file (whole lines), so the
 * cursor has real code both before and after it.
 */
function regions(text, budget) {
  const lines = text.split('\n');
  const found = [];
  for (let i = Math.floor(lines.length * 0.15); i < lines.length - 2; i++) {
    if (!/[{:]\s*$/.test(lines[i])) continue;
    const indent = /^\s*/.exec(lines[i])[0].length;
    let j = i + 1;
    while (j < lines.length && (lines[j].trim() === '' || /^\s*/.exec(lines[j])[0].length > indent)) j++;
    if (j - i >= 4 && j - i <= 30) found.push({ start: i + 1, end: j });
    i = j - 1;
  }
  const picked = [];
  let total = 0;
  for (const r of found.sort((a, b) => b.end - b.start - (a.end - a.start))) {
    const n = lines.slice(r.start, r.end).join('\n').length + 1;
    if (total + n > budget) continue;
    if (picked.some((p) => r.start < p.end && p.start < r.end)) continue;
    picked.push(r);
    total += n;
  }
  return picked.sort((a, b) => a.start - b.start).map((r) => ({ ...r, text: lines.slice(r.start, r.end).join('\n') + '\n' }));
}

/** Keystrokes for `text`: one character each, except Enter, which brings the next line's indentation (auto-indent). */
function keystrokes(text) {
  const keys = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\n') {
      const indent = /^[ \t]*/.exec(text.slice(i + 1))[0];
      keys.push('\n' + indent);
      i += indent.length;
    } else keys.push(text[i]);
  }
  return keys;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const pct = (xs, q) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};
const mean = (xs) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

async function replay(modelPath, mode) {
  const settings = {
    completion: { ...DEFAULT_SETTINGS.completion, promptMode: mode },
    model: { ...DEFAULT_SETTINGS.model, threads: Number(args.threads ?? 0) },
  };
  const server = await Server.start({ modelPath, settings });
  const ready = await server.ready(120_000);
  if (ready.state !== 'ready') throw new Error(`model did not load: ${ready.error?.message}`);
  const modelInfo = ready.model;
  const uri = 'file:///bench/' + relative(ROOT, args.file).replace(/\\/g, '/');
  const picked = regions(source, maxChars);
  // Remove every region first: the replay types them back one after the other.
  const lines = source.split('\n');
  let doc = lines.filter((_, i) => !picked.some((r) => i >= r.start && i < r.end)).join('\n');
  await server.open(uri, doc);

  const typing = new TypingSpeed();
  const latency = new LatencyTracker();
  const requests = [];
  // Prompt tokens the engine has evaluated so far (every job: completions, prefills, cancelled ones), sampled at
  // each keystroke: the differences are the engine's prompt work per keystroke.
  const evaluatedAt = [];
  const engineEvaluated = async () => (await server.info()).engine?.evaluatedTokens ?? 0;
  let keys = 0;
  let debounced = 0;
  let removed = 0;
  for (const region of picked) {
    let pos = { line: region.start - removed, character: 0 };
    removed += region.end - region.start;
    let pending;
    const t0 = performance.now();
    let k = 0;
    for (const key of keystrokes(region.text)) {
      await sleep(t0 + k * gapMs - performance.now());
      k++;
      keys++;
      pending?.cts.cancel();
      evaluatedAt.push(await engineEvaluated());
      const now = performance.now();
      typing.keystroke(now);
      await server.edit(uri, { start: pos, end: pos }, key);
      pos = key.startsWith('\n') ? { line: pos.line + 1, character: key.length - 1 } : { line: pos.line, character: pos.character + key.length };
      const delay = debounceDelay({
        minMs: settings.completion.debounceMs, adaptive: settings.completion.adaptiveDebounce,
        typingGapMs: typing.medianGapMs(), latencyMs: latency.medianMs(),
      });
      const cts = new CancellationTokenSource();
      const at = { ...pos };
      const entry = { cts, key };
      pending = entry;
      entry.done = (async () => {
        await sleep(delay);
        if (cts.token.isCancellationRequested) {
          debounced++;
          return;
        }
        const r = await server.complete(uri, at, { cancel: cts });
        const rec = { key, ms: r.ms, stats: r.stats, cancelled: r.stats.outcome === 'cancelled' || r.cancelledFirst };
        requests.push(rec);
        if (countsForDebounce(rec.stats) && !rec.cancelled) latency.add(rec.ms);
      })();
    }
    await pending?.done;
    evaluatedAt.push(await engineEvaluated());
    evaluatedAt.push(NaN); // regions are not adjacent
  }
  await sleep(200);
  const info = await server.info();
  await server.stop();
  const perKey = [];
  for (let i = 1; i < evaluatedAt.length; i++) {
    const d = evaluatedAt[i] - evaluatedAt[i - 1];
    if (Number.isFinite(d)) perKey.push(d);
  }
  return { mode, modelInfo, keys, debounced, requests, info, regions: picked, perKey };
}

function summarize(run) {
  const done = run.requests.filter((r) => !r.cancelled);
  const cancelled = run.requests.filter((r) => r.cancelled);
  const modelRuns = run.requests.filter((r) => r.stats.source === 'model' && r.stats.engineRuns > 0);
  const hits = done.filter((r) => r.stats.source === 'cache' || r.stats.source === 'typed-through');
  const lat = done.map((r) => r.ms);
  const modelLat = done.filter((r) => r.stats.source === 'model').map((r) => r.ms);
  // Per keystroke: what the engine evaluated for that keystroke's request (0 when no model run happened).
  // Tokens a request cost the engine: its completion job's prompt tokens plus the stable-part prefill it started.
  const cost = (r) => r.stats.evaluatedTokens + r.stats.prefillTokens;
  return {
    mode: run.mode,
    keys: run.keys,
    sent: run.requests.length,
    debounced: run.debounced,
    cancelledShare: run.requests.length ? cancelled.length / run.requests.length : NaN,
    p50: pct(lat, 0.5),
    p95: pct(lat, 0.95),
    modelP50: pct(modelLat, 0.5),
    modelP95: pct(modelLat, 0.95),
    hitRate: done.length ? hits.length / done.length : NaN,
    typedThrough: done.filter((r) => r.stats.source === 'typed-through').length,
    items: done.filter((r) => r.stats.outcome === 'items').length,
    reusedMean: mean(modelRuns.map((r) => r.stats.reusedTokens)),
    promptMean: mean(modelRuns.map((r) => r.stats.promptTokens)),
    evalRunP50: pct(modelRuns.map(cost), 0.5),
    evalRunP95: pct(modelRuns.map(cost), 0.95),
    evalKeyP50: pct(run.perKey, 0.5),
    evalKeyP95: pct(run.perKey, 0.95),
    evalKeyMean: (run.info.engine?.evaluatedTokens ?? NaN) / run.keys,
    genMean: mean(modelRuns.map((r) => r.stats.generatedTokens)),
    prefillMean: mean(modelRuns.map((r) => r.stats.prefillMs)),
    decodeMean: mean(modelRuns.map((r) => r.stats.decodeMs)),
  };
}

/** A model file named so that it can be told apart: its path in the checkout (or its name), size and hash. */
function fileLabel(path) {
  const rel = relative(ROOT, path);
  const name = rel.startsWith('..') ? path.split(/[\\/]/).pop() : rel;
  const sha = createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 12);
  return `\`${name}\` (${statSync(path).size} bytes, sha256 ${sha}…)`;
}

/** What kind of model the figures are for: the trained one, or a stand-in whose text is noise. */
function describeModel(m) {
  if (m.shipped || m.name === 'trit-code') return 'The shipped model.';
  if (m.name === 'proxy-trit-code') {
    return '**Stand-in model** (`node bench/proxy-model.mjs`): the shipped model\'s shape, tokenizer size, FIM tokens and metadata with random ternary weights. Its text is noise, so suggestions are never typed through and cache hits are rare; latency and KV reuse are those of the real shape.';
  }
  if (m.name === 'trit-fixture') return '**Fixture model** (1.3M parameters, random weights, no FIM tokens): prefix-only prompts; a check of the pipeline, not of speed.';
  return 'A user-supplied model.';
}

const f0 = (x) => (Number.isFinite(x) ? x.toFixed(0) : '–');
const f1 = (x) => (Number.isFinite(x) ? x.toFixed(1) : '–');
const pc = (x) => (Number.isFinite(x) ? `${(100 * x).toFixed(0)} %` : '–');

function table(rows) {
  const head = ['prompt', 'keys', 'requests sent', 'cancelled', 'latency p50 / p95 ms', 'model runs p50 / p95 ms', 'cache hits', 'tokens reused / prompt (mean)', 'evaluated per model run p50 / p95', 'engine prompt tokens per keystroke p50 / p95 (mean)', 'generated (mean)', 'prefill / decode ms (mean)'];
  const out = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const s of rows) {
    out.push(`| ${s.mode} | ${s.keys} | ${s.sent} (${s.debounced} held back by the debounce) | ${pc(s.cancelledShare)} | ${f0(s.p50)} / ${f0(s.p95)} | ${f0(s.modelP50)} / ${f0(s.modelP95)} | ${pc(s.hitRate)} (${s.typedThrough} typed-through) | ${f0(s.reusedMean)} / ${f0(s.promptMean)} | ${f0(s.evalRunP50)} / ${f0(s.evalRunP95)} | ${f0(s.evalKeyP50)} / ${f0(s.evalKeyP95)} (${f1(s.evalKeyMean)}) | ${f1(s.genMean)} | ${f1(s.prefillMean)} / ${f1(s.decodeMean)} |`);
  }
  return out.join('\n');
}

/** The engine's own speed on this model right now (`trit bench`): prefill and decode tokens per second. */
function engineSpeed(modelPath) {
  const threads = args.threads ? ['--threads', args.threads] : [];
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'trit.mjs'), 'bench', '--model', modelPath, '--pp', '128', '--tg', '16', ...threads, '--json'], { encoding: 'utf8' });
  try {
    const j = JSON.parse(r.stdout);
    return `engine speed now (\`trit bench\`): prefill ${j.pp_tps.toFixed(0)} tokens/s, decode ${j.tg_tps.toFixed(0)} tokens/s`;
  } catch {
    return 'engine speed: `trit bench` failed';
  }
}

const loadBefore = loadavg()[0];
const sections = [];
const allRuns = [];
for (const modelPath of models) {
  const probe = await Server.start({ modelPath, settings: { model: { threads: Number(args.threads ?? 0) } } });
  const probeReady = await probe.ready(120_000);
  await probe.stop();
  if (probeReady.state !== 'ready') throw new Error(`model did not load: ${probeReady.error?.message}`);
  const fim = probeReady.model?.promptMode !== 'prefix';
  const modes = args.modes ? args.modes.split(',') : fim ? ['spm', 'psm', 'prefix'] : ['prefix'];
  const runs = [];
  for (const mode of modes) {
    process.stderr.write(`typing replay: ${relative(ROOT, modelPath)} ${mode} …\n`);
    runs.push(await replay(modelPath, mode));
  }
  allRuns.push(...runs);
  const m = runs[0].modelInfo;
  sections.push(`## ${m.name}

${describeModel(m)}
${fileLabel(m.path)}: ${(m.nParams / 1e6).toFixed(1)}M parameters, ${m.weightType}, context ${m.nCtx}, kernels ${m.kernels}, ${m.threads} threads; the model's own prompt mode: ${probeReady.model?.promptMode}; ${engineSpeed(modelPath)}.

${table(runs.map(summarize))}
`);
}
const loadAfter = loadavg()[0];
if (args.dump) {
  const lines = allRuns.flatMap((r) => r.requests.map((q) => JSON.stringify({ mode: r.mode, key: q.key, ms: Math.round(q.ms), cancelled: q.cancelled, ...q.stats })));
  writeFileSync(args.dump, lines.join('\n') + '\n');
}
const cpu = cpus()[0]?.model ?? 'unknown CPU';
const first = allRuns[0];
const typedChars = first.regions.reduce((n, r) => n + r.text.length, 0);
const md = `# Typing replay

\`npm run bench:typing\` — ${new Date().toISOString().slice(0, 10)}, ${cpu}, ${cpus().length} cores, Node ${process.version}; load average ${loadBefore.toFixed(1)} before and ${loadAfter.toFixed(1)} after the run (other work on the machine slows every figure).

Typed: ${first.regions.length} regions of \`${relative(ROOT, args.file)}\` (${typedChars} characters, lines ${first.regions.map((r) => `${r.start + 1}–${r.end}`).join(', ')}) deleted and typed back at ${args.cps} characters/s; Enter brings the next line's indentation as one keystroke (auto-indent). Each keystroke: one incremental didChange, then an automatic inline completion request after the client's debounce (default settings: ${DEFAULT_SETTINGS.completion.debounceMs} ms minimum, adaptive: while completions take more than twice the gap between keys, requests wait for a pause), cancelled by the next keystroke if still pending.

${sections.join('\n')}
- *requests sent*: requests that reached the server; the others were held back by the client's debounce until the next keystroke cancelled them.
- *latency*: from sending the request to its answer, over requests that were answered (not cancelled); *model runs*: the same for answers that ran the engine (not cache hits).
- *cancelled*: share of the requests sent that the next keystroke cancelled (the engine stops at the next token or layer).
- *evaluated per model run*: prompt tokens the engine evaluated for an answered request (not reused from the document's KV cache): its completion job plus the prefill of the prompt's stable part that it started, if any.
- *engine prompt tokens per keystroke*: every prompt token the engine evaluated between one keystroke and the next (completion jobs, prefills, cancelled jobs, the first prompt of each region), read from the engine's counter at each keystroke; in brackets, the mean.
- Targets (issue 8): latency p50 ≤ 80 ms and p95 ≤ 200 ms; prompt tokens evaluated per keystroke p50 ≤ 16 with the FIM prompt.
`;
writeFileSync(args.out, md);
process.stdout.write(md);
