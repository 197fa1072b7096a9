// Shared set-up of the addon tests: the fixture models (test/fixtures/bitnet/, copied from the reference-engine
// fixture set), their prompts and greedy goldens, and the binding loaded through the product's own loader.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { gunzipSync } from 'node:zlib';

import { loadNative } from '../../server/src/engine/native';
import type { NativeBinding } from '../../server/src/engine/native-types';

export const repoRoot = join(__dirname, '..', '..');
export const fixturesDir = join(repoRoot, 'test', 'fixtures');

export interface FixtureModel {
  id: string;
  file: string; // under test/fixtures/bitnet/models/; .gz files are unpacked to a temp dir
  arch: string;
  weightType: string;
  embdType: string;
  golden: 'bitnetcpp' | 'llamacpp'; // the reference whose `seq` run uses the engine's F16 rounding convention
  marginGuard: number; // greedy tokens must match up to the first step with a smaller top-1/top-2 margin
}

export const fixtureModels: readonly FixtureModel[] = [
  {
    id: 'fixture-b158-f32',
    file: 'fixture-b158-f32.gguf.gz',
    arch: 'bitnet-b1.58',
    weightType: 'F32',
    embdType: 'F32',
    golden: 'bitnetcpp',
    marginGuard: 0.02,
  },
  {
    id: 'fixture-b158-i2_s',
    file: 'fixture-b158-i2_s.gguf',
    arch: 'bitnet-b1.58',
    weightType: 'I2_S',
    embdType: 'F16',
    golden: 'bitnetcpp',
    marginGuard: 0.5,
  },
  {
    id: 'fixture-bitnet-f32',
    file: 'fixture-bitnet-f32.gguf.gz',
    arch: 'bitnet',
    weightType: 'F32',
    embdType: 'F32',
    golden: 'llamacpp',
    marginGuard: 0.02,
  },
  {
    id: 'fixture-bitnet-tq2_0',
    file: 'fixture-bitnet-tq2_0.gguf',
    arch: 'bitnet',
    weightType: 'TQ2_0',
    embdType: 'F16',
    golden: 'llamacpp',
    marginGuard: 0.5,
  },
  {
    id: 'fixture-bitnet-tq1_0',
    file: 'fixture-bitnet-tq1_0.gguf',
    arch: 'bitnet',
    weightType: 'TQ1_0',
    embdType: 'F16',
    golden: 'llamacpp',
    marginGuard: 0.5,
  },
];

export const fixtureShape = {
  nVocab: 509,
  nEmbd: 256,
  nLayer: 2,
  nHead: 4,
  nHeadKv: 2,
  nFf: 512,
  nCtxTrain: 512,
  bos: 506,
  eos: 507,
  eot: 508,
};

export const promptIds = ['p7', 'p94', 'p438'] as const;
export type PromptId = (typeof promptIds)[number];

let tempDir: string | undefined;

/** A loadable path of the model: the file itself, or its unpacked copy in a temp dir removed at exit. */
export function modelPath(model: FixtureModel): string {
  const packed = join(fixturesDir, 'bitnet', 'models', model.file);
  if (!model.file.endsWith('.gz')) return packed;
  if (tempDir === undefined) {
    const dir = mkdtempSync(join(tmpdir(), 'trit-addon-test-'));
    tempDir = dir;
    process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const out = join(tempDir, model.file.replace(/\.gz$/, ''));
  if (!existsSync(out)) writeFileSync(out, gunzipSync(readFileSync(packed)));
  return out;
}

/** A scratch directory for files a test writes (removed at exit). */
export function scratchDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'trit-addon-scratch-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export function prompt(id: PromptId): number[] {
  return JSON.parse(readFileSync(join(fixturesDir, 'tokenizer', 'prompts', `${id}.ids.json`), 'utf8')) as number[];
}

export function promptText(id: PromptId): string {
  return readFileSync(join(fixturesDir, 'tokenizer', 'prompts', `${id}.txt`), 'utf8');
}

export interface GreedyGolden {
  generated: number[];
  gen_top2_margin: number[];
}

export function greedyGolden(model: FixtureModel, id: PromptId): GreedyGolden {
  const file = join(fixturesDir, 'bitnet', 'golden', `${model.id}.${model.golden}.${id}.seq.json`);
  return JSON.parse(readFileSync(file, 'utf8')) as GreedyGolden;
}

/** Number of leading greedy steps that must match: up to (not including) the first low-margin step. */
export function stepsToMatch(golden: GreedyGolden, guard: number): number {
  const k = golden.gen_top2_margin.findIndex((m) => m < guard);
  return k < 0 ? golden.generated.length : k;
}

let binding: NativeBinding | undefined;

export function native(): NativeBinding {
  binding ??= loadNative();
  return binding;
}

/** The garbage collector, without needing --expose-gc on the command line. */
export function gc(): void {
  setFlagsFromString('--expose-gc');
  (runInNewContext('gc') as () => void)();
}
