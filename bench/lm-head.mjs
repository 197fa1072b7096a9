// Top-1 agreement of the 8-bit LM head with the file's F16 head, at every prompt position.
//
//   node bench/lm-head.mjs [--fixtures DIR] [--synth FILE] [--synth-tokens 256]
//
// For each model the same prompts are evaluated with lm_head "file" (the reference), "q8-plain" (Q8_0 head
// alone) and "q8" (Q8_0 head + the top logits recomputed from the F16 head, what "auto" uses for big heads).
// Prints the share of positions whose argmax equals the reference's and the largest logit difference,
// relative to the row's largest magnitude.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

import { loadNativeModule, repoRoot } from '../bin/load-native.mjs';
import { benchTokens } from '../bin/trit-bench.mjs';

const { values: opts } = parseArgs({
  options: {
    fixtures: { type: 'string', default: '/work/shared/fixtures/bitnet' },
    synth: { type: 'string' },
    'synth-tokens': { type: 'string', default: '256' },
  },
});

const { native } = await loadNativeModule();

function argmax(row) {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

async function logitsOf(file, lmHead, prompts) {
  const model = await native.loadModel(file, { lmHead, contextLength: 4096 });
  try {
    const out = [];
    for (const prompt of prompts) {
      const r = await model.complete({ slot: '', prompt, maxTokens: 0, logitsAll: true }).done;
      out.push(r.logits);
    }
    return { logits: out, nVocab: model.info.nVocab, head: model.info.lmHeadType };
  } finally {
    await model.dispose();
  }
}

async function compare(label, file, prompts) {
  const ref = await logitsOf(file, 'file', prompts);
  const rows = [];
  for (const mode of ['q8-plain', 'q8']) {
    const got = await logitsOf(file, mode, prompts);
    let agree = 0;
    let total = 0;
    let maxRel = 0;
    for (let p = 0; p < prompts.length; p++) {
      const n = ref.nVocab;
      for (let t = 0; t < prompts[p].length; t++) {
        const a = ref.logits[p].subarray(t * n, (t + 1) * n);
        const b = got.logits[p].subarray(t * n, (t + 1) * n);
        if (argmax(a) === argmax(b)) agree++;
        total++;
        let mag = 0;
        let diff = 0;
        for (let i = 0; i < n; i++) {
          mag = Math.max(mag, Math.abs(a[i]));
          diff = Math.max(diff, Math.abs(a[i] - b[i]));
        }
        maxRel = Math.max(maxRel, diff / (mag || 1));
      }
    }
    rows.push({ label, mode, head: got.head, positions: total, top1: agree / total, maxRel });
  }
  return rows;
}

const results = [];
const promptDir = path.join(opts.fixtures, 'prompts');
const prompts = readdirSync(promptDir)
  .filter((f) => f.endsWith('.ids.json'))
  .sort()
  .map((f) => JSON.parse(readFileSync(path.join(promptDir, f), 'utf8')));
for (const name of ['fixture-b158-i2_s.gguf', 'fixture-bitnet-tq2_0.gguf', 'fixture-bitnet-tq1_0.gguf']) {
  const file = path.join(opts.fixtures, 'models', name);
  if (existsSync(file)) results.push(...(await compare(name, file, prompts)));
}
const synth = opts.synth ?? path.join(process.env.TRIT_BENCH_CACHE ?? path.join(homedir(), '.cache', 'trit-bench'), 'synth-2b4t-i2s-seed1.gguf');
if (existsSync(synth)) {
  const model = await native.loadModel(synth, { lmHead: 'file', contextLength: 4096 });
  const n = Number(opts['synth-tokens']);
  const synthPrompts = [benchTokens(model.info, n)];
  await model.dispose();
  results.push(...(await compare('2B4T-shaped (random weights)', synth, synthPrompts)));
}

process.stdout.write('| model | head | positions | top-1 agreement with F16 head | max |Δlogit| / max |logit| |\n|---|---|---|---|---|\n');
for (const r of results) {
  const head = r.mode === 'q8' ? 'Q8_0 + top-32 from F16' : 'Q8_0 alone';
  process.stdout.write(
    `| ${r.label} | ${head} | ${r.positions} | ${(100 * r.top1).toFixed(2)} % | ${r.maxRel.toExponential(2)} |\n`,
  );
}
void repoRoot;
