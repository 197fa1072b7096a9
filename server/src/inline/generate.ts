// Runs the engine for a completion: builds the prompt, prefills its stable part in a job of its own, generates
// (greedy, then sampled runs for more candidates), stops as soon as post-processing would cut, and post-processes.
import type { PromptMode } from '../../../protocol/src/index';
import type { Engine, RunResult } from '../engine/engine';
import type { CompletionContext } from './context';
import { distinct, isComplete, postprocess, shapeFor, type PostprocessInput } from './postprocess';
import { buildPrompt, healsFor, type Prompt } from './prompt';

/** Statistics of the engine runs made for one request. */
export interface RunTotals {
  first?: RunResult;
  /** Tokens evaluated by the stable-part prefill this request started, once it has finished. */
  prefill: number;
  runs: number;
  generated: number;
  prefillMs: number;
  decodeMs: number;
  queueMs: number;
  stopReason?: string;
}

export function emptyTotals(): RunTotals {
  return { prefill: 0, runs: 0, generated: 0, prefillMs: 0, decodeMs: 0, queueMs: 0 };
}

export interface GenerateJob {
  engine: Engine;
  /** The document's engine slot. */
  slot: string;
  ctx: CompletionContext;
  mode: PromptMode;
  pp: PostprocessInput;
  maxTokens: number;
  timeBudgetMs: number;
  /** Distinct candidates wanted: 1 for automatic requests. */
  wanted: number;
}

/** A run whose text did not start with the healed prompt's tail: retried without healing. */
const MISMATCH = Symbol('mismatch');

const SAMPLED = { temperature: 0.7, topK: 40, topP: 0.95 };

/** Below this many tokens a stable part is cheap enough to evaluate inside the completion job itself. */
const PREFILL_MIN_TOKENS = 64;

function sameTokens(a: readonly number[] | undefined, b: readonly number[]): boolean {
  return a !== undefined && a.length === b.length && a.every((t, i) => t === b[i]);
}

function buildFor(job: GenerateJob, heal: boolean): Prompt {
  const { engine } = job;
  const s = engine.info.special;
  return buildPrompt(job.ctx, { encode: (t) => engine.tokenize(t), decode: (t) => engine.detokenize(t) }, {
    mode: job.mode,
    special: { bos: s.bos, fimPre: s.fimPre, fimSuf: s.fimSuf, fimMid: s.fimMid, fimSep: s.fimSep },
    addBos: engine.info.addBos,
    limit: engine.info.nCtx - job.maxTokens - 1,
    heal,
  });
}

export class Generator {
  /** Per slot, the stable prompt part last sent to the engine as a prefill of its own (for `prefillEngine`). */
  private readonly prefills = new Map<string, number[]>();
  private prefillEngine: Engine | undefined;

  constructor(private readonly log: { warn(m: string): void }) {}

  /** A closed document's slot is gone. */
  forget(slot: string): void {
    this.prefills.delete(slot);
  }

  /**
   * Runs the engine for up to `job.wanted` distinct completions within the time budget: greedy first, then sampled.
   * Resolves undefined when cancelled (or superseded by a newer request for the document).
   */
  async generate(job: GenerateJob, signal: AbortSignal, totals: RunTotals, onProgress?: (text: string) => void): Promise<string[] | undefined> {
    const deadline = performance.now() + job.timeBudgetMs;
    const healed = buildFor(job, healsFor(job.mode));
    this.prefill(job.engine, job.slot, healed.tokens.slice(0, healed.liveStart), totals);
    const candidates: (string | null)[] = [];
    // An automatic request makes one attempt; an explicit one tries a few sampled runs for distinct candidates.
    const attempts = job.wanted === 1 ? 1 : job.wanted + 2;
    for (let attempt = 0; attempt < attempts && distinct(candidates).length < job.wanted; attempt++) {
      const left = deadline - performance.now();
      if (signal.aborted) return undefined;
      if (left < 20 && attempt > 0) break;
      let c = await this.runOnce(job, healed, Math.max(20, left), attempt, signal, totals, onProgress);
      if (c === MISMATCH) {
        // The model did not regenerate the partly typed word: try again with the word as typed.
        c = await this.runOnce(job, buildFor(job, false), Math.max(20, deadline - performance.now()), attempt, signal, totals, onProgress);
      }
      if (c === undefined) return undefined;
      candidates.push(c === MISMATCH ? null : c);
    }
    return distinct(candidates).slice(0, job.wanted);
  }

  /**
   * When the stable part of the prompt (everything before the live part) has changed — the cursor moved to another
   * line or region, a window edge moved, the document is new — evaluate it in a job of its own that later
   * keystrokes do not cancel: while the user keeps typing, each completion job is cancelled by the next keystroke,
   * but the long prefill finishes, and from then on each keystroke evaluates only the live part.
   */
  private prefill(engine: Engine, slot: string, stable: number[], totals: RunTotals): void {
    if (this.prefillEngine !== engine) {
      this.prefills.clear();
      this.prefillEngine = engine;
    }
    if (stable.length < PREFILL_MIN_TOKENS || sameTokens(this.prefills.get(slot), stable)) return;
    this.prefills.set(slot, stable);
    void engine.run({ slot, prompt: stable, priority: 'interactive', lane: 'prefill', maxTokens: 0 }).then(
      (r) => {
        totals.prefill = r.evaluatedTokens;
        // Superseded by a newer stable part, or the engine went away: forget it so it is sent again if needed.
        if (r.stopReason === 'cancelled' && this.prefills.get(slot) === stable) this.prefills.delete(slot);
      },
      (e: unknown) => {
        this.prefills.delete(slot);
        this.log.warn(`Prefill failed: ${e instanceof Error ? e.message : String(e)}`);
      },
    );
  }

  private async runOnce(job: GenerateJob, prompt: Prompt, budgetMs: number, attempt: number, signal: AbortSignal, totals: RunTotals, onProgress?: (text: string) => void): Promise<string | null | typeof MISMATCH | undefined> {
    const { pp } = job;
    const done = new AbortController();
    let text = '';
    const onText = (piece: string): void => {
      text += piece;
      // Stop as soon as post-processing would cut here: the rest would be thrown away.
      if (text.length >= prompt.healed.length) {
        if (!text.startsWith(prompt.healed) || isComplete(text.slice(prompt.healed.length), pp)) done.abort();
        else onProgress?.(text.slice(prompt.healed.length));
      }
    };
    const result = await job.engine.run({
      slot: job.slot, prompt: prompt.tokens, priority: 'interactive', maxTokens: job.maxTokens,
      sampling: attempt === 0 ? { temperature: 0 } : { ...SAMPLED, seed: attempt },
      stop: shapeFor(pp) === 'line' ? ['\n'] : undefined,
      timeBudgetMs: Math.round(budgetMs), onText, signal: AbortSignal.any([signal, done.signal]),
    });
    if (result.promptTokens > 0) {
      // The native job ran (a job cancelled while queued never reached the engine).
      totals.first ??= result;
      totals.runs++;
      // The slot did not hold the stable part (evicted under the memory budget, or a prefill that did not finish):
      // send it as a prefill again on the next request.
      if (result.reusedTokens < prompt.liveStart - 1) this.prefills.delete(job.slot);
    }
    totals.generated += result.generatedTokens;
    totals.prefillMs += result.prefillMs;
    totals.decodeMs += result.decodeMs;
    totals.queueMs += result.queueMs;
    totals.stopReason = result.stopReason;
    if (signal.aborted || (result.stopReason === 'cancelled' && !done.signal.aborted)) return undefined;
    const out = result.text;
    if (!out.startsWith(prompt.healed)) return MISMATCH;
    const truncated = result.stopReason === 'length' || result.stopReason === 'time';
    return postprocess(out.slice(prompt.healed.length), pp, truncated && !done.signal.aborted);
  }
}
