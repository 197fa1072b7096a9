// The contract between the server and the native addon (native/addon/). Types only: the one module that loads the
// `.node` file is native.ts, which returns an object of type `NativeBinding`. Mirrors native/include/trit/engine.h.

export type StopReason = 'eog' | 'stop' | 'length' | 'cancelled' | 'time' | 'context';

export type ErrorCode = 'io' | 'format' | 'unsupported' | 'argument' | 'memory' | 'internal';

/** Errors thrown or rejected by the addon carry a `code` so callers can pick a message and a fix. */
export interface EngineError extends Error {
  code: ErrorCode;
}

export interface LoadOptions {
  /** 0 or absent = physical cores. */
  threads?: number;
  /** Context length per slot; 0 or absent = min(model context, 4096). */
  contextLength?: number;
  /** Force a kernel table ("ref", "avx2", "avxvnni", "avx512vnni", "amx", ...); absent = best for this CPU. */
  kernels?: string;
  /**
   * "auto" (default: float heads of ≥ 64 MiB become "q8", smaller ones stay as in the file), "file" (the
   * embedding's own type), "q8" (LM head repacked to Q8_0, top 32 logits per row recomputed from the file's
   * head), "q8-plain" (Q8_0 alone, for measurements).
   */
  lmHead?: 'auto' | 'file' | 'q8' | 'q8-plain';
  /** Total KV-cache memory of all slots in bytes; 0 or absent = enough for 4 full slots. */
  kvBudgetBytes?: number;
  /** Called on the main thread with the load progress in [0, 1]. */
  onProgress?: (fraction: number) => void;
}

export interface SpecialTokens {
  bos: number;
  eos: number;
  eot: number;
  pad: number;
  fimPre: number;
  fimSuf: number;
  fimMid: number;
  fimPad: number;
  fimRep: number;
  fimSep: number;
  /** Every end-of-generation token. */
  eog: number[];
}

export interface ModelInfo {
  path: string;
  arch: string;
  name: string;
  weightType: string;
  embdType: string;
  lmHeadType: string;
  tokenizerPre: string;
  kernels: string;
  threads: number;
  nVocab: number;
  nCtxTrain: number;
  nCtx: number;
  nEmbd: number;
  nLayer: number;
  nHead: number;
  nHeadKv: number;
  nFf: number;
  nRot: number;
  ropeFreqBase: number;
  rmsEps: number;
  nParams: number;
  fileBytes: number;
  addBos: boolean;
  special: SpecialTokens;
  /** tokenizer.chat_template, "" when absent. */
  chatTemplate: string;
  /** String metadata under "trit." (e.g. "trit.completion.prompt_mode": "spm" | "psm" | "prefix"). */
  meta: Record<string, string>;
}

export interface SamplerParams {
  /** 0 = greedy. */
  temperature?: number;
  topK?: number;
  topP?: number;
  seed?: number;
}

export interface CompleteRequest {
  /** Slot name ("doc:<uri>", "chat"); "" = scratch slot, cleared first. */
  slot: string;
  prompt: Int32Array | readonly number[];
  maxTokens?: number;
  sampling?: SamplerParams;
  stop?: readonly string[];
  ignoreEog?: boolean;
  timeBudgetMs?: number;
  logitsAll?: boolean;
  logitsLast?: boolean;
}

export interface CompleteResult {
  text: string;
  tokens: number[];
  stopReason: StopReason;
  promptTokens: number;
  reusedTokens: number;
  evaluatedTokens: number;
  generatedTokens: number;
  prefillMs: number;
  decodeMs: number;
  totalMs: number;
  /** Present when logitsAll / logitsLast was asked for. */
  logits?: Float32Array;
}

/** A running job. `done` resolves (never rejects) on cancel; it rejects only for bad requests or engine faults. */
export interface Job {
  readonly done: Promise<CompleteResult>;
  cancel(): void;
}

export interface SlotStats {
  name: string;
  tokens: number;
  kvBytes: number;
  lastUsedMs: number;
}

export interface EngineStats {
  slots: SlotStats[];
  kvBytes: number;
  kvBudgetBytes: number;
  weightBytes: number;
  jobs: number;
  cancelled: number;
}

export interface NativeModel {
  readonly info: ModelInfo;
  tokenize(text: string, options?: { addBos?: boolean; parseSpecial?: boolean }): Int32Array;
  /** Text of the tokens; invalid or incomplete UTF-8 is replaced with U+FFFD. */
  detokenize(tokens: Int32Array | readonly number[], options?: { renderSpecial?: boolean }): string;
  /** Starts a job. `onText` receives complete UTF-8 pieces in order, on the main thread. */
  complete(request: CompleteRequest, onText?: (piece: string) => void): Job;
  dropSlot(slot: string): void;
  stats(): EngineStats;
  /** Frees the model. Safe while a job runs: the job is cancelled and memory is freed when it has stopped. */
  dispose(): Promise<void>;
}

export interface NativeBinding {
  loadModel(path: string, options?: LoadOptions): Promise<NativeModel>;
  /** Kernel tables compiled in and supported by this CPU, best first. */
  availableKernels(): string[];
  /** Streaming read bandwidth in bytes/s, measured now in this process. */
  memoryReadBandwidth(threads: number, bufferBytes: number): number;
  /** Version string of the addon (for logs). */
  readonly version: string;
}
