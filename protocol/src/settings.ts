// The `trit.*` settings: one typed shape and its defaults for client and server. package.json `contributes`
// mirrors these names, defaults and ranges; test/unit/settings.test.ts checks that the two agree.

export type TriggerMode = 'automatic' | 'manual';
export type MultilineMode = 'auto' | 'always' | 'never';
/** Prompt layout: "auto" follows the model's metadata (trit.completion.prompt_mode) and its FIM tokens. */
export type PromptModeSetting = 'auto' | 'spm' | 'psm' | 'prefix';

export interface ModelSettings {
  /** Path of a BitNet GGUF file; "" = the model shipped with the extension. */
  path: string;
  /** Engine threads; 0 = number of physical cores. */
  threads: number;
  /** Context length per slot in tokens; 0 = the model's own (at most 4096). */
  contextLength: number;
  /**
   * Most memory for the KV caches of all slots together (each open document and the chat has one), in MB; 0 =
   * enough for four full contexts. Above it the least recently used slot is evicted first.
   */
  kvCacheMB: number;
}

export interface CompletionSettings {
  enabled: boolean;
  trigger: TriggerMode;
  /** Language id → enabled; "*" is the default for languages not listed. */
  languages: Record<string, boolean>;
  /** Shortest wait after a keystroke before an automatic request, in ms. */
  debounceMs: number;
  /** Wait longer while the user types faster than completions arrive. */
  adaptiveDebounce: boolean;
  /** Most tokens generated per suggestion. */
  maxTokens: number;
  /** Most lines in a multi-line suggestion. */
  maxLines: number;
  multiline: MultilineMode;
  /** Generation stops after this long and the suggestion is cut to whole lines. */
  timeBudgetMs: number;
  /**
   * When generating takes longer than this, an automatic request is answered with the whole words generated so far
   * while generation goes on; typing the suggestion's start or accepting it then brings the rest. 0 = off.
   */
  partialAfterMs: number;
  /** Suggestions returned by an explicit trigger (Alt+\). */
  candidates: number;
  promptMode: PromptModeSetting;
}

export interface ContextSettings {
  /** Prompt budget in tokens; 0 = fit the model's context. */
  maxTokens: number;
  /** Share of the budget for the text after the cursor, in percent. */
  suffixPercent: number;
  /** Add chunks of other open and recently edited files to the prompt. */
  extraContext: boolean;
  /** Share of the budget for chunks of other files, in percent. */
  extraPercent: number;
}

export interface TritSettings {
  model: ModelSettings;
  completion: CompletionSettings;
  context: ContextSettings;
}

export const DEFAULT_SETTINGS: TritSettings = {
  model: { path: '', threads: 0, contextLength: 0, kvCacheMB: 0 },
  completion: {
    enabled: true,
    trigger: 'automatic',
    languages: { '*': true, plaintext: false, markdown: false, scminput: false, log: false },
    debounceMs: 20,
    adaptiveDebounce: true,
    maxTokens: 64,
    maxLines: 8,
    multiline: 'auto',
    timeBudgetMs: 600,
    partialAfterMs: 80,
    candidates: 3,
    promptMode: 'auto',
  },
  context: { maxTokens: 0, suffixPercent: 20, extraContext: true, extraPercent: 25 },
};

/** Numeric ranges, shared by the validator and package.json (minimum/maximum). */
export const SETTING_RANGES = {
  'model.threads': [0, 256],
  'model.contextLength': [0, 131072],
  'model.kvCacheMB': [0, 65536],
  'completion.debounceMs': [0, 2000],
  'completion.maxTokens': [1, 512],
  'completion.maxLines': [1, 100],
  'completion.timeBudgetMs': [50, 10000],
  'completion.partialAfterMs': [0, 10000],
  'completion.candidates': [1, 5],
  'context.maxTokens': [0, 131072],
  'context.suffixPercent': [0, 50],
  'context.extraPercent': [0, 50],
} as const;

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function num(raw: Obj, key: string, range: readonly [number, number], fallback: number): number {
  const v = raw[key];
  if (typeof v !== 'number' || !Number.isFinite(v)) return fallback;
  return Math.min(range[1], Math.max(range[0], Math.round(v)));
}

function bool(raw: Obj, key: string, fallback: boolean): boolean {
  const v = raw[key];
  return typeof v === 'boolean' ? v : fallback;
}

function oneOf<T extends string>(raw: Obj, key: string, values: readonly T[], fallback: T): T {
  const v = raw[key];
  return typeof v === 'string' && (values as readonly string[]).includes(v) ? (v as T) : fallback;
}

/**
 * Turns whatever a client sent (the `trit` section of workspace/configuration, initializationOptions.settings, or
 * nothing) into complete settings: unknown keys are ignored, wrong types fall back to the default, numbers are
 * clamped to their range. Never throws.
 */
export function normalizeSettings(raw: unknown): TritSettings {
  const d = DEFAULT_SETTINGS;
  const r = isObj(raw) ? raw : {};
  const m = isObj(r['model']) ? r['model'] : {};
  const c = isObj(r['completion']) ? r['completion'] : {};
  const x = isObj(r['context']) ? r['context'] : {};
  const languages: Record<string, boolean> = { ...d.completion.languages };
  if (isObj(c['languages'])) {
    for (const [lang, on] of Object.entries(c['languages'])) if (typeof on === 'boolean') languages[lang] = on;
  }
  const R = SETTING_RANGES;
  return {
    model: {
      path: typeof m['path'] === 'string' ? m['path'].trim() : d.model.path,
      threads: num(m, 'threads', R['model.threads'], d.model.threads),
      contextLength: num(m, 'contextLength', R['model.contextLength'], d.model.contextLength),
      kvCacheMB: num(m, 'kvCacheMB', R['model.kvCacheMB'], d.model.kvCacheMB),
    },
    completion: {
      enabled: bool(c, 'enabled', d.completion.enabled),
      trigger: oneOf(c, 'trigger', ['automatic', 'manual'] as const, d.completion.trigger),
      languages,
      debounceMs: num(c, 'debounceMs', R['completion.debounceMs'], d.completion.debounceMs),
      adaptiveDebounce: bool(c, 'adaptiveDebounce', d.completion.adaptiveDebounce),
      maxTokens: num(c, 'maxTokens', R['completion.maxTokens'], d.completion.maxTokens),
      maxLines: num(c, 'maxLines', R['completion.maxLines'], d.completion.maxLines),
      multiline: oneOf(c, 'multiline', ['auto', 'always', 'never'] as const, d.completion.multiline),
      timeBudgetMs: num(c, 'timeBudgetMs', R['completion.timeBudgetMs'], d.completion.timeBudgetMs),
      partialAfterMs: num(c, 'partialAfterMs', R['completion.partialAfterMs'], d.completion.partialAfterMs),
      candidates: num(c, 'candidates', R['completion.candidates'], d.completion.candidates),
      promptMode: oneOf(c, 'promptMode', ['auto', 'spm', 'psm', 'prefix'] as const, d.completion.promptMode),
    },
    context: {
      maxTokens: num(x, 'maxTokens', R['context.maxTokens'], d.context.maxTokens),
      suffixPercent: num(x, 'suffixPercent', R['context.suffixPercent'], d.context.suffixPercent),
      extraContext: bool(x, 'extraContext', d.context.extraContext),
      extraPercent: num(x, 'extraPercent', R['context.extraPercent'], d.context.extraPercent),
    },
  };
}

/** Whether completions are enabled for a language under these settings. */
export function languageEnabled(settings: CompletionSettings, languageId: string): boolean {
  return settings.languages[languageId] ?? settings.languages['*'] ?? true;
}

/** Settings whose change needs the model to be loaded again. */
export function modelSettingsChanged(a: ModelSettings, b: ModelSettings): boolean {
  return a.path !== b.path || a.threads !== b.threads || a.contextLength !== b.contextLength || a.kvCacheMB !== b.kvCacheMB;
}
