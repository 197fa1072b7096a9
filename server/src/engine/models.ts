// Which model file to load, loading it with progress, and turning load failures into one clear message with a
// fix. Owns the current Engine: a new model path or thread count disposes the old engine before loading again.
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import type { ErrorKind, ModelSettings, ModelSummary, PromptMode, ServerError, StatusParams } from '../../../protocol/src/index';
import { Engine } from './engine';
import type { ModelInfo, NativeBinding } from './native-types';

export const SHIPPED_MODEL = join('models', 'trit-code.gguf');

/** The shipped model: models/trit-code.gguf in the first ancestor folder of `from` that has one. */
export function findShippedModel(from: string): string | undefined {
  let dir = from;
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, SHIPPED_MODEL);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}

export interface ModelSource {
  path: string;
  shipped: boolean;
}

/**
 * The file to load: the `trit.model.path` setting, else initializationOptions.modelPath, else the shipped model.
 * "~" is the home folder; a relative path is taken from the workspace root (or the working folder).
 */
export function resolveModelSource(settingPath: string, initPath: string | undefined, shipped: string | undefined, root: string | undefined): ModelSource | undefined {
  const chosen = settingPath.trim() || initPath?.trim() || '';
  if (chosen === '') return shipped ? { path: shipped, shipped: true } : undefined;
  let p = chosen;
  if (p === '~' || p.startsWith('~/')) p = join(homedir(), p.slice(1));
  if (!isAbsolute(p)) p = resolve(root ?? process.cwd(), p);
  return { path: p, shipped: shipped !== undefined && resolve(shipped) === p };
}

export class ModelLoadError extends Error {
  constructor(readonly detail: ServerError) {
    super(detail.message);
  }
}

const KINDS: Record<string, ErrorKind> = {
  io: 'model-io', format: 'model-invalid', unsupported: 'model-unsupported', memory: 'out-of-memory',
  argument: 'internal', internal: 'internal',
};

/** One message and one fix for a load failure. */
export function describeLoadError(e: unknown, source: ModelSource): ServerError {
  const code = typeof e === 'object' && e !== null && 'code' in e ? String((e).code) : '';
  const why = e instanceof Error ? e.message : String(e);
  const name = basename(source.path);
  const pick = source.shipped ? ['selectModel', 'showLogs'] as const : ['selectModel', 'useShippedModel', 'showLogs'] as const;
  const actions = [...pick];
  const kind = KINDS[code] ?? 'internal';
  switch (kind) {
    case 'model-io':
      return { kind, path: source.path, actions, message: `Trit could not read the model file ${name}: ${why}`, fix: 'Check that the file exists and is readable, or select another model file.' };
    case 'model-invalid':
      return { kind, path: source.path, actions, message: `${name} is not a supported BitNet GGUF: ${why}`, fix: 'The file may be truncated or corrupt: download it again, or select another BitNet b1.58 GGUF file.' };
    case 'model-unsupported':
      return { kind, path: source.path, actions, message: `${name} is not a supported BitNet GGUF: ${why}`, fix: 'Select a BitNet b1.58 model in GGUF format (I2_S, TQ1_0 or TQ2_0 weights), such as BitNet b1.58 2B4T.' };
    case 'out-of-memory':
      return { kind, path: source.path, actions, message: `Not enough memory to load ${name}: ${why}`, fix: 'Close other programs, lower trit.model.contextLength, or select a smaller model.' };
    default:
      return { kind: 'internal', path: source.path, actions: ['restartServer', 'showLogs'], message: `Loading ${name} failed: ${why}`, fix: 'Restart the Trit server; if this happens again, see the log for details.' };
  }
}

export function missingModelError(source: ModelSource | undefined): ServerError {
  if (!source) {
    return { kind: 'model-missing', actions: ['selectModel'], message: 'No model is configured and the shipped model is not installed.', fix: 'Select a BitNet GGUF model file (Trit: Select Model File).' };
  }
  if (source.shipped) {
    return { kind: 'model-missing', path: source.path, actions: ['selectModel'], message: `The shipped model is missing (${source.path}).`, fix: 'Reinstall the extension, or select a BitNet GGUF model file.' };
  }
  return { kind: 'model-missing', path: source.path, actions: ['selectModel', 'useShippedModel'], message: `The model file ${source.path} does not exist.`, fix: 'Select a model file, or clear trit.model.path to use the shipped model.' };
}

export function summarize(info: ModelInfo, source: ModelSource, promptMode: PromptMode): ModelSummary {
  return {
    name: info.name || basename(source.path, '.gguf'), path: source.path, shipped: source.shipped, arch: info.arch,
    weightType: info.weightType, nParams: info.nParams, fileBytes: info.fileBytes, nCtx: info.nCtx,
    kernels: info.kernels, threads: info.threads, promptMode,
  };
}

export interface LoadRequest {
  source: ModelSource | undefined;
  settings: ModelSettings;
}

/**
 * Owns the loaded Engine. `load` disposes the previous engine first (its memory is freed before the next model is
 * mapped), reports progress through `status`, and never throws: a failure leaves no engine and an error status.
 */
export class ModelHost {
  private current: Engine | undefined;
  private source: ModelSource | undefined;
  private generation = 0;
  private loaded: LoadRequest | undefined;
  private addon: string | undefined;

  constructor(
    private readonly binding: () => NativeBinding,
    private readonly status: (s: StatusParams) => void,
    private readonly log: { info(m: string): void; error(m: string): void },
  ) {}

  get engine(): Engine | undefined {
    return this.current;
  }

  get modelSource(): ModelSource | undefined {
    return this.source;
  }

  /** The native addon's version and build target, once it has been loaded. */
  get addonVersion(): string | undefined {
    return this.addon;
  }

  /** Whether `req` differs from what is loaded (or being loaded). */
  needsLoad(req: LoadRequest): boolean {
    const a = this.loaded;
    return !a || a.source?.path !== req.source?.path || a.settings.threads !== req.settings.threads || a.settings.contextLength !== req.settings.contextLength || a.settings.kvCacheMB !== req.settings.kvCacheMB;
  }

  /** Loads the model `req` names; resolves with the engine, or undefined when it failed or a newer load began. */
  async load(req: LoadRequest): Promise<Engine | undefined> {
    const gen = ++this.generation;
    this.loaded = req;
    const old = this.current;
    this.current = undefined;
    this.source = req.source;
    if (old) await old.dispose();
    if (gen !== this.generation) return undefined;
    const source = req.source;
    if (!source || !existsSync(source.path) || !statSync(source.path).isFile()) {
      const error = missingModelError(source);
      this.log.error(`${error.message} ${error.fix}`);
      this.status({ state: 'error', error });
      return undefined;
    }
    let binding: NativeBinding;
    try {
      binding = this.binding();
      this.addon = binding.version;
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      this.log.error(`The native engine could not be loaded: ${why}`);
      this.status({ state: 'error', error: { kind: 'engine-missing', actions: ['showLogs'], message: `Trit's native engine could not be loaded: ${why}`, fix: 'Reinstall the extension (a build for this platform is needed), or run "npm run build:native" in a development checkout.' } });
      return undefined;
    }
    this.log.info(`Loading ${source.path}${source.shipped ? ' (shipped model)' : ''}`);
    this.status({ state: 'loading', progress: 0 });
    let lastSent = 0;
    const t0 = performance.now();
    try {
      const model = await binding.loadModel(source.path, {
        threads: req.settings.threads,
        contextLength: req.settings.contextLength,
        ...(req.settings.kvCacheMB > 0 ? { kvBudgetBytes: req.settings.kvCacheMB * 1024 * 1024 } : {}),
        onProgress: (f) => {
          // A notification every 5 % is plenty for a progress bar.
          if (gen === this.generation && (f - lastSent >= 0.05 || f >= 1)) {
            lastSent = f;
            this.status({ state: 'loading', progress: Math.min(1, Math.max(0, f)) });
          }
        },
      });
      if (gen !== this.generation) {
        await model.dispose();
        return undefined;
      }
      const i = model.info;
      this.log.info(`Loaded ${i.name || basename(source.path)}: ${i.arch}, ${(i.nParams / 1e6).toFixed(1)}M parameters, ${i.weightType} weights, context ${i.nCtx}, kernels ${i.kernels}, ${i.threads} threads, in ${(performance.now() - t0).toFixed(0)} ms`);
      this.current = new Engine(model);
      return this.current;
    } catch (e) {
      if (gen !== this.generation) return undefined;
      const error = describeLoadError(e, source);
      this.log.error(`${error.message} ${error.fix}`);
      this.status({ state: 'error', error });
      return undefined;
    }
  }

  async dispose(): Promise<void> {
    this.generation++;
    const old = this.current;
    this.current = undefined;
    if (old) await old.dispose();
  }
}
