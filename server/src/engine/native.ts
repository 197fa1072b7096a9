// The only module that loads the native engine (`trit.node`). It finds the addon for this layout (source checkout,
// packaged extension, or TRIT_ADDON), explains any failure in terms a user can act on, validates every argument
// before it reaches C++ (native-args.ts), and returns the binding typed by native-types.ts. Finding the file and
// wording load failures is native-locate.ts.

import { existsSync } from 'node:fs';

import {
  checkCompleteRequest,
  checkInteger,
  checkLoadArgs,
  checkOptionalFlags,
  checkString,
  checkTokens,
  toTritError,
  TritError,
  type RawCompleteRequest,
  type RawLoadOptions,
} from './native-args';
import {
  addonCandidates,
  explainLoadFailure,
  missingAddonError,
  platformTag,
  requiredNapiVersion,
} from './native-locate';
import type {
  CompleteRequest,
  CompleteResult,
  EngineStats,
  Job,
  LoadOptions,
  ModelInfo,
  NativeBinding,
  NativeModel,
} from './native-types';

export { isEngineError, TritError } from './native-args';
export { addonCandidates, explainLoadFailure, missingAddonError, platformTag } from './native-locate';

/** What the addon exports (native/addon/addon.cpp). Arguments arrive checked and normalized. */
interface RawModel {
  readonly info: ModelInfo;
  tokenize(text: string, addBos: boolean, parseSpecial: boolean): Int32Array;
  detokenize(tokens: Int32Array, renderSpecial: boolean): string;
  complete(
    request: RawCompleteRequest,
    onText?: (piece: string) => void,
  ): { done: Promise<CompleteResult>; cancel(): void };
  dropSlot(slot: string): void;
  stats(): EngineStats;
  dispose(): Promise<void>;
}

interface RawBinding {
  loadModel(path: string, options: RawLoadOptions, onProgress?: (fraction: number) => void): Promise<RawModel>;
  availableKernels(): string[];
  memoryReadBandwidth(threads: number, bufferBytes: number): number;
  version: string;
  platform: string;
  arch: string;
  napiVersion: number;
}

function isRawBinding(value: unknown): value is RawBinding {
  const b = value as Partial<RawBinding> | null;
  return (
    typeof b === 'object' &&
    b !== null &&
    typeof b.loadModel === 'function' &&
    typeof b.availableKernels === 'function' &&
    typeof b.memoryReadBandwidth === 'function' &&
    typeof b.version === 'string' &&
    typeof b.platform === 'string' &&
    typeof b.arch === 'string'
  );
}

const loaded = new Map<string, RawBinding>();

/** The directory of the running code: `dist/` of a bundle, or this source file's folder under tsx. */
function codeDir(): string {
  return typeof __dirname === 'string' ? __dirname : process.cwd();
}

function openAddon(path: string): RawBinding {
  const cached = loaded.get(path);
  if (cached) return cached;
  const module = { exports: {} as unknown };
  try {
    process.dlopen(module, path);
  } catch (e) {
    throw explainLoadFailure(path, e);
  }
  const raw = module.exports;
  if (!isRawBinding(raw)) {
    throw new TritError(
      'unsupported',
      `${path} is not a Trit engine addon of this version; rebuild it with \`npm run build:native\`.`,
    );
  }
  if (raw.platform !== process.platform || raw.arch !== process.arch) {
    throw new TritError(
      'unsupported',
      `${path} was built for ${platformTag(raw.platform, raw.arch)} but this system is ${platformTag()}: ` +
        'install the matching Trit package or rebuild with `npm run build:native`.',
    );
  }
  loaded.set(path, raw);
  return raw;
}

/** Loads the addon (once per path) and returns the typed, validating binding. Throws a TritError with the fix. */
export function loadNative(): NativeBinding {
  const napi = Number(process.versions.napi ?? 0);
  if (napi < requiredNapiVersion) {
    throw new TritError(
      'unsupported',
      `The Trit engine needs Node-API ${requiredNapiVersion} (Node.js ≥ 16 or a recent VS Code); ` +
        `this runtime has Node-API ${napi}. Update VS Code.`,
    );
  }
  const base = codeDir();
  const candidates = addonCandidates(base);
  const path = candidates.find((p) => existsSync(p));
  if (path === undefined) throw missingAddonError(base, candidates);
  return new Binding(openAddon(path));
}

class Binding implements NativeBinding {
  readonly version: string;

  constructor(private readonly raw: RawBinding) {
    this.version = `${raw.version} (${platformTag(raw.platform, raw.arch)}, Node-API ${raw.napiVersion})`;
  }

  async loadModel(path: string, options?: LoadOptions): Promise<NativeModel> {
    const args = checkLoadArgs(path, options);
    try {
      const model = await this.raw.loadModel(args.path, args.options, args.onProgress);
      return new Model(model);
    } catch (e) {
      throw toTritError(e);
    }
  }

  availableKernels(): string[] {
    return call(() => this.raw.availableKernels());
  }

  memoryReadBandwidth(threads: number, bufferBytes: number): number {
    checkInteger(threads, 'threads', 0, 1024);
    checkInteger(bufferBytes, 'bufferBytes', 1, 2 ** 40);
    return call(() => this.raw.memoryReadBandwidth(threads, bufferBytes));
  }
}

/** The shortest decimal that rounds to the same float32 as `x` (1e-5 rather than 0.000009999999747378752). */
export function shortFloat32(x: number): number {
  const f = Math.fround(x);
  for (let digits = 1; digits < 17; digits++) {
    const candidate = Number(f.toPrecision(digits));
    if (Math.fround(candidate) === f) return candidate;
  }
  return x;
}

function call<T>(body: () => T): T {
  try {
    return body();
  } catch (e) {
    throw toTritError(e);
  }
}

class Model implements NativeModel {
  readonly info: ModelInfo;
  private disposed = false;

  constructor(private readonly raw: RawModel) {
    // One object shared by every reader: frozen, so that no caller can change what another one sees. The engine
    // keeps rmsEps and ropeFreqBase as float32: show them as the short decimal that the file's float32 came from.
    const info = {
      ...raw.info,
      rmsEps: shortFloat32(raw.info.rmsEps),
      ropeFreqBase: shortFloat32(raw.info.ropeFreqBase),
    };
    Object.freeze(info.special.eog);
    Object.freeze(info.special);
    Object.freeze(info.meta);
    this.info = Object.freeze(info);
  }

  tokenize(text: string, options?: { addBos?: boolean; parseSpecial?: boolean }): Int32Array {
    this.checkLive();
    checkString(text, 'text');
    const flags = checkOptionalFlags(options, 'options', ['addBos', 'parseSpecial']);
    return call(() => this.raw.tokenize(text, flags.addBos ?? this.info.addBos, flags.parseSpecial ?? false));
  }

  detokenize(tokens: Int32Array | readonly number[], options?: { renderSpecial?: boolean }): string {
    this.checkLive();
    const ids = checkTokens(tokens, 'tokens', this.info.nVocab);
    const flags = checkOptionalFlags(options, 'options', ['renderSpecial']);
    return call(() => this.raw.detokenize(ids, flags.renderSpecial ?? false));
  }

  complete(request: CompleteRequest, onText?: (piece: string) => void): Job {
    this.checkLive();
    const checked = checkCompleteRequest(request, this.info.nVocab, this.info.nCtx);
    if (onText !== undefined && typeof onText !== 'function') {
      throw new TritError('argument', 'onText must be a function');
    }
    const job = call(() => this.raw.complete(checked, onText));
    return {
      done: job.done.catch((e: unknown) => {
        throw toTritError(e);
      }),
      cancel: () => job.cancel(),
    };
  }

  dropSlot(slot: string): void {
    this.checkLive();
    checkString(slot, 'slot', 4096);
    call(() => this.raw.dropSlot(slot));
  }

  stats(): EngineStats {
    this.checkLive();
    return call(() => this.raw.stats());
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    try {
      await this.raw.dispose();
    } catch (e) {
      throw toTritError(e);
    }
  }

  private checkLive(): void {
    if (this.disposed) {
      throw new TritError('argument', 'this Trit model has been disposed; load the model again with loadModel()');
    }
  }
}
