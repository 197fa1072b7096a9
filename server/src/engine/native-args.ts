// Argument checks for the native binding: every value that crosses into the addon is validated and normalized
// here, on the JS side, so the C++ code receives exactly the shapes it expects and the caller gets an error that
// names the argument and the fix. Pure: no I/O, no addon.

import type { ErrorCode, EngineError } from './native-types';

/** Every error the binding throws or rejects with. */
export class TritError extends Error implements EngineError {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TritError';
    this.code = code;
  }
}

const errorCodes: ReadonlySet<string> = new Set<ErrorCode>([
  'io',
  'format',
  'unsupported',
  'argument',
  'memory',
  'internal',
]);

export function isEngineError(value: unknown): value is EngineError {
  if (!(value instanceof Error)) return false;
  const code: unknown = (value as Error & { code?: unknown }).code;
  return typeof code === 'string' && errorCodes.has(code);
}

/** Turns whatever the addon threw into a TritError, keeping its code (`internal` when it has none). */
export function toTritError(value: unknown): TritError {
  if (value instanceof TritError) return value;
  if (isEngineError(value)) return new TritError(value.code, value.message, { cause: value });
  const message = value instanceof Error ? value.message : String(value);
  return new TritError('internal', message, { cause: value });
}

function argumentError(message: string): TritError {
  return new TritError('argument', message);
}

const maxInt32 = 2 ** 31 - 1;

export function checkString(value: unknown, name: string, maxLength = Number.MAX_SAFE_INTEGER): string {
  if (typeof value !== 'string') throw argumentError(`${name} must be a string, got ${describe(value)}`);
  if (value.length > maxLength) throw argumentError(`${name} is too long (${value.length} > ${maxLength} characters)`);
  return value;
}

export function checkInteger(value: unknown, name: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw argumentError(`${name} must be an integer in [${min}, ${max}], got ${describe(value)}`);
  }
  return value;
}

function checkNumber(value: unknown, name: string, min: number, max: number, minExclusive = false): number {
  const low = minExclusive ? (value as number) <= min : (value as number) < min;
  if (typeof value !== 'number' || !Number.isFinite(value) || low || value > max) {
    const range = `${minExclusive ? '(' : '['}${min}, ${max}]`;
    throw argumentError(`${name} must be a number in ${range}, got ${describe(value)}`);
  }
  return value;
}

function checkBoolean(value: unknown, name: string): boolean {
  if (typeof value !== 'boolean') throw argumentError(`${name} must be a boolean, got ${describe(value)}`);
  return value;
}

function checkObject(value: unknown, name: string, allowed: readonly string[]): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw argumentError(`${name} must be an object, got ${describe(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw argumentError(`${name}: unknown key "${key}" (known keys: ${allowed.join(', ')})`);
    }
  }
  return value as Record<string, unknown>;
}

function optional<T>(value: unknown, check: (v: unknown) => T): T | undefined {
  return value === undefined ? undefined : check(value);
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'undefined') return String(value);
  return `a value of type ${typeof value}`;
}

/**
 * Token ids as an Int32Array, each an integer in [0, nVocab). Copies arrays; passes a valid Int32Array through.
 * `minLength` rejects empty prompts.
 */
export function checkTokens(value: unknown, name: string, nVocab: number, minLength = 0): Int32Array {
  let tokens: Int32Array;
  if (value instanceof Int32Array) {
    tokens = value;
  } else if (Array.isArray(value)) {
    tokens = new Int32Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const id: unknown = value[i];
      if (typeof id !== 'number' || !Number.isInteger(id)) {
        throw argumentError(`${name}[${i}] must be an integer token id, got ${describe(id)}`);
      }
      if (id < 0 || id >= nVocab) {
        throw argumentError(`${name}[${i}] = ${id} is not a token id of this model (0 ≤ id < ${nVocab})`);
      }
      tokens[i] = id;
    }
  } else {
    throw argumentError(`${name} must be an Int32Array or an array of token ids, got ${describe(value)}`);
  }
  for (let i = 0; i < tokens.length; i++) {
    const id = tokens[i];
    if (id < 0 || id >= nVocab) {
      throw argumentError(`${name}[${i}] = ${id} is not a token id of this model (0 ≤ id < ${nVocab})`);
    }
  }
  if (tokens.length < minLength) throw argumentError(`${name} must contain at least ${minLength} token(s)`);
  return tokens;
}

/** What the addon's loadModel takes as options (normalized: only known keys, checked values). */
export interface RawLoadOptions {
  threads?: number;
  contextLength?: number;
  kernels?: string;
  lmHead?: string;
  kvBudgetBytes?: number;
}

export function checkLoadArgs(
  path: unknown,
  options: unknown,
): {
  path: string;
  options: RawLoadOptions;
  onProgress?: (fraction: number) => void;
} {
  const file = checkString(path, 'path');
  if (file.length === 0) throw argumentError('path must name a GGUF model file');
  if (file.includes('\0')) throw argumentError('path must not contain NUL characters');
  const o = checkObject(options ?? {}, 'options', [
    'threads',
    'contextLength',
    'kernels',
    'lmHead',
    'kvBudgetBytes',
    'onProgress',
  ]);
  const raw: RawLoadOptions = {};
  const threads = optional(o.threads, (v) => checkInteger(v, 'options.threads', 0, 1024));
  if (threads !== undefined) raw.threads = threads;
  const contextLength = optional(o.contextLength, (v) => checkInteger(v, 'options.contextLength', 0, 1 << 24));
  if (contextLength !== undefined) raw.contextLength = contextLength;
  const kernels = optional(o.kernels, (v) => checkString(v, 'options.kernels', 64));
  if (kernels !== undefined) {
    if (!/^[a-z0-9_]*$/.test(kernels))
      throw argumentError(`options.kernels must be a kernel table name, got ${describe(kernels)}`);
    raw.kernels = kernels;
  }
  const lmHead = optional(o.lmHead, (v) => checkString(v, 'options.lmHead'));
  if (lmHead !== undefined) {
    if (!['auto', 'file', 'q8', 'q8-plain'].includes(lmHead))
      throw argumentError(`options.lmHead must be "auto", "file", "q8" or "q8-plain", got ${describe(lmHead)}`);
    raw.lmHead = lmHead;
  }
  const kvBudgetBytes = optional(o.kvBudgetBytes, (v) =>
    checkInteger(v, 'options.kvBudgetBytes', 0, Number.MAX_SAFE_INTEGER),
  );
  if (kvBudgetBytes !== undefined) raw.kvBudgetBytes = kvBudgetBytes;
  if (o.onProgress !== undefined && typeof o.onProgress !== 'function') {
    throw argumentError(`options.onProgress must be a function, got ${describe(o.onProgress)}`);
  }
  const result: { path: string; options: RawLoadOptions; onProgress?: (fraction: number) => void } = {
    path: file,
    options: raw,
  };
  if (typeof o.onProgress === 'function') result.onProgress = o.onProgress as (fraction: number) => void;
  return result;
}

/** What the addon's complete() takes: the CompleteRequest shape with every field present and checked. */
export interface RawCompleteRequest {
  slot: string;
  prompt: Int32Array;
  maxTokens: number;
  sampling: { temperature: number; topK: number; topP: number; seed: number };
  stop: string[];
  ignoreEog: boolean;
  timeBudgetMs: number;
  logitsAll: boolean;
  logitsLast: boolean;
}

export function checkCompleteRequest(value: unknown, nVocab: number, nCtx: number): RawCompleteRequest {
  const r = checkObject(value, 'request', [
    'slot',
    'prompt',
    'maxTokens',
    'sampling',
    'stop',
    'ignoreEog',
    'timeBudgetMs',
    'logitsAll',
    'logitsLast',
  ]);
  const prompt = checkTokens(r.prompt, 'request.prompt', nVocab, 1);
  if (nCtx > 0 && prompt.length > nCtx) {
    throw argumentError(
      `request.prompt has ${prompt.length} tokens but the model's context holds ${nCtx}; ` +
        'shorten the prompt or load the model with a larger contextLength',
    );
  }
  const s = checkObject(r.sampling ?? {}, 'request.sampling', ['temperature', 'topK', 'topP', 'seed']);
  const stop = r.stop === undefined ? [] : r.stop;
  if (!Array.isArray(stop) || stop.length > 64)
    throw argumentError('request.stop must be an array of at most 64 strings');
  return {
    slot: checkString(r.slot, 'request.slot', 4096),
    prompt,
    maxTokens: optional(r.maxTokens, (v) => checkInteger(v, 'request.maxTokens', 0, maxInt32)) ?? 32,
    sampling: {
      temperature: optional(s.temperature, (v) => checkNumber(v, 'request.sampling.temperature', 0, 100)) ?? 0,
      topK: optional(s.topK, (v) => checkInteger(v, 'request.sampling.topK', 0, maxInt32)) ?? 0,
      topP: optional(s.topP, (v) => checkNumber(v, 'request.sampling.topP', 0, 1, true)) ?? 1,
      seed: optional(s.seed, (v) => checkInteger(v, 'request.sampling.seed', 0, Number.MAX_SAFE_INTEGER)) ?? 0,
    },
    stop: stop.map((v: unknown, i: number) => {
      const text = checkString(v, `request.stop[${i}]`, 1024);
      if (text.length === 0) throw argumentError(`request.stop[${i}] must not be empty`);
      return text;
    }),
    ignoreEog: optional(r.ignoreEog, (v) => checkBoolean(v, 'request.ignoreEog')) ?? false,
    timeBudgetMs: optional(r.timeBudgetMs, (v) => checkInteger(v, 'request.timeBudgetMs', 0, maxInt32)) ?? 0,
    logitsAll: optional(r.logitsAll, (v) => checkBoolean(v, 'request.logitsAll')) ?? false,
    logitsLast: optional(r.logitsLast, (v) => checkBoolean(v, 'request.logitsLast')) ?? false,
  };
}

export function checkOptionalFlags<K extends string>(
  value: unknown,
  name: string,
  keys: readonly K[],
): Partial<Record<K, boolean>> {
  const o = checkObject(value ?? {}, name, keys);
  const out: Partial<Record<K, boolean>> = {};
  for (const key of keys) {
    if (o[key] !== undefined) out[key] = checkBoolean(o[key], `${name}.${key}`);
  }
  return out;
}
