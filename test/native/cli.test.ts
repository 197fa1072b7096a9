// bin/trit.mjs as people and scripts use it: spawned as a process, its output checked against the addon's own
// answers on the fixture models.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';

import type { NativeModel } from '../../server/src/engine/native-types';
import {
  fixtureModels,
  greedyGolden,
  modelPath,
  native,
  prompt,
  promptText,
  repoRoot,
  scratchDir,
  stepsToMatch,
} from './addon-fixtures';

const run = promisify(execFile);
const cli = join(repoRoot, 'bin', 'trit.mjs');

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

async function trit(...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [cli, ...args], { cwd: repoRoot, maxBuffer: 64 << 20 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' };
  }
}

const tq2 = fixtureModels.find((m) => m.id === 'fixture-bitnet-tq2_0')!;
const file = modelPath(tq2);

describe('trit CLI', () => {
  let model: NativeModel;
  before(async () => {
    model = await native().loadModel(file, { threads: 2 });
  });
  after(async () => {
    await model.dispose();
  });

  it('prints usage with --help', async () => {
    const r = await trit('--help');
    assert.equal(r.code, 0);
    for (const command of ['info', 'tokenize', 'generate', 'logits', 'bench'])
      assert.match(r.stdout, new RegExp(`^  ${command} `, 'm'));
  });

  it('info --json describes the model', async () => {
    const r = await trit('info', '--model', file, '--json');
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout) as Record<string, unknown>;
    assert.equal(info.arch, 'bitnet');
    assert.equal(info.weightType, 'TQ2_0');
    assert.equal(info.nVocab, 509);
    assert.ok(Array.isArray(info.availableKernels));
  });

  it("tokenize --json gives the addon's ids", async () => {
    const text = promptText('p94');
    const r = await trit('tokenize', '--model', file, '--text', text, '--json');
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { tokens: number[]; pieces: string[]; n_tokens: number };
    assert.deepEqual(out.tokens, prompt('p94'));
    assert.equal(out.n_tokens, out.tokens.length);
    assert.equal(out.pieces.length, out.tokens.length);
  });

  it('generate --json continues a prompt greedily, like the addon and the reference', async () => {
    const ids = prompt('p438');
    const r = await trit(
      'generate',
      '--model',
      file,
      '--tokens',
      ids.join(','),
      '--n',
      '32',
      '--threads',
      '2',
      '--json',
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      prompt_tokens: number[];
      tokens: number[];
      text: string;
      reused: number;
      timings: Record<string, number>;
    };
    assert.deepEqual(out.prompt_tokens, ids);
    const expected = await model.complete({ slot: '', prompt: ids, maxTokens: 32 }).done;
    assert.deepEqual(out.tokens, expected.tokens);
    assert.equal(out.text, expected.text);
    assert.equal(out.reused, 0);
    const golden = greedyGolden(tq2, 'p438');
    const k = Math.min(stepsToMatch(golden, tq2.marginGuard), out.tokens.length);
    assert.deepEqual(out.tokens.slice(0, k), golden.generated.slice(0, k));
    for (const key of ['prefill_ms', 'decode_ms', 'total_ms']) assert.ok(out.timings[key]! >= 0, key);
  });

  it('generate streams text to stdout', async () => {
    const r = await trit('generate', '--model', file, '--prompt', promptText('p7'), '--n', '12');
    assert.equal(r.code, 0, r.stderr);
    const expected = await model.complete({
      slot: '',
      prompt: Array.from(model.tokenize(promptText('p7'))),
      maxTokens: 12,
    }).done;
    assert.equal(r.stdout, `${expected.text}\n`);
    assert.match(r.stderr, /prompt tokens .* generated/);
  });

  it("logits writes float32 [n_tokens x n_vocab] equal to the addon's", async () => {
    const ids = prompt('p94');
    const out = join(scratchDir(), 'logits.bin');
    const r = await trit('logits', '--model', file, '--tokens', ids.join(','), '--out', out, '--threads', '2');
    assert.equal(r.code, 0, r.stderr);
    const bytes = readFileSync(out);
    assert.equal(bytes.length, ids.length * 509 * 4);
    const fromCli = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.length / 4);
    const expected = await model.complete({ slot: '', prompt: ids, maxTokens: 0, logitsAll: true }).done;
    assert.deepEqual(fromCli, expected.logits);
  });

  it('bench --json reports speed, bandwidth and roofline', async () => {
    const r = await trit('bench', '--model', file, '--pp', '64', '--tg', '8', '--threads', '1', '--json');
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Record<string, number | string>;
    for (const key of ['pp_tps', 'tg_tps', 'bandwidth_gbs', 'roofline_tg_tps', 'rss_mb']) {
      assert.ok(typeof out[key] === 'number' && (out[key] as number) > 0, `${key} = ${out[key]}`);
    }
    assert.equal(out.threads, 1);
    assert.ok(
      native()
        .availableKernels()
        .includes(out.kernels as string),
    );
  });

  it('bench --ttft times the edited re-prompt against a budget measured in the same rounds', async () => {
    const r = await trit(
      'bench', '--model', file, '--pp', '16', '--tg', '4', '--ttft', '48', '--long-reps', '3', '--threads', '1', '--json',
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Record<string, number>;
    assert.equal(out.ttft_tokens, 48);
    assert.equal(out.ttft_reps, 3);
    // The token at 46 of 48 changed: the slot keeps 46 and evaluates the last 2; the last token changed: 1.
    assert.equal(out.ttft_edit_evaluated, 2);
    assert.equal(out.ttft_edit_last_evaluated, 1);
    for (const key of ['ttft_cold_ms', 'ttft_edit_ms', 'ttft_edit_last_ms', 'ttft_edit_budget_ms', 'ttft_tg_tps'])
      assert.ok(Number.isFinite(out[key]) && out[key] > 0, `${key} = ${out[key]}`);
    for (const key of ['ttft_edit_margin_ms', 'ttft_edit_last_margin_ms']) assert.ok(Number.isFinite(out[key]), key);
    for (const key of ['ttft_edit_within', 'ttft_edit_last_within'])
      assert.ok(Number.isInteger(out[key]) && out[key] >= 0 && out[key] <= 3, `${key} = ${out[key]}`);
    // A 2-token re-prompt is far cheaper than the cold 48-token prompt.
    assert.ok(out.ttft_edit_ms < out.ttft_cold_ms, `${out.ttft_edit_ms} vs ${out.ttft_cold_ms}`);
  });

  it('fails with exit status 2 and a hint on bad usage', async () => {
    for (const args of [
      ['frobnicate'],
      ['generate', '--model', file],
      ['generate', '--model', file, '--tokens', '1,x'],
      ['generate', '--model', file, '--prompt', 'a', '--text', 'b'],
      ['info', '--model', file, '--n', '3'],
      ['bench', '--model', file, '--pp', '0'],
    ]) {
      const r = await trit(...args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, /^trit: .*\n\(node bin\/trit\.mjs --help for usage\)\n$/);
    }
  });

  it("fails with exit status 1 and the engine's message for a bad model or token", async () => {
    const notModel = join(scratchDir(), 'x.gguf');
    writeFileSync(notModel, 'not a model');
    let r = await trit('info', '--model', notModel);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^trit: error \[format\]: /);
    r = await trit('generate', '--model', file, '--tokens', '1,99999');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^trit: error \[argument\]: .*99999/);
    r = await trit('info', '--model', join(scratchDir(), 'missing.gguf'));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no such model file/);
  });
});
