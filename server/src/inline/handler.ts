// textDocument/inlineCompletion: the adapter that runs the pipeline
//   cancellation token → AbortSignal → cache → context → prompt → engine (the document's slot) → post-processing
// and reports per-request statistics. The decisions live in the pure modules next to this file.
import { LRUCache } from 'lru-cache';
import type { CancellationToken, InlineCompletionItem, InlineCompletionList, InlineCompletionParams } from 'vscode-languageserver/node';
import { InlineCompletionTriggerKind } from 'vscode-languageserver/node';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { CompletionStatsParams, PromptMode, TritSettings } from '../../../protocol/src/index';
import type { Engine } from '../engine/engine';
import type { CacheKey, CompletionCache } from './cache';
import { buildContext, splitBudget, type CompletionContext, type ExtraChunk } from './context';
import { Flights, type PartialOption } from './flights';
import { emptyTotals, Generator, type GenerateJob } from './generate';
import { partialCompletion, shapeFor, type PostprocessInput } from './postprocess';
import { anchorLinesFor, completionHints, resolvePromptMode, type CompletionHints } from './prompt';

export interface InlineDeps {
  document(uri: string): TextDocument | undefined;
  engine(): Engine | undefined;
  /** Identifies the loaded model in cache keys. */
  modelKey(): string;
  settings(): TritSettings;
  extras(uri: string): readonly ExtraChunk[];
  displayPath(uri: string): string;
  cache: CompletionCache;
  stats(s: CompletionStatsParams): void;
  log: { info(m: string): void; warn(m: string): void; error(m: string): void };
}

/** Token counts of lines, memoized by text: nearly every line of the window is the same from one keystroke to the next. */
class TokenCounter {
  private readonly memo = new LRUCache<string, number>({ max: 2048 });

  constructor(private readonly engine: Engine) {}

  count = (text: string): number => {
    if (text.length > 512) return this.engine.tokenize(text).length;
    let n = this.memo.get(text);
    if (n === undefined) this.memo.set(text, (n = this.engine.tokenize(text).length));
    return n;
  };
}

function toSignal(token: CancellationToken): { signal: AbortSignal; dispose: () => void } {
  const ac = new AbortController();
  if (token.isCancellationRequested) ac.abort();
  const sub = token.onCancellationRequested(() => ac.abort());
  return { signal: ac.signal, dispose: () => sub.dispose() };
}

interface Request {
  uri: string;
  version: number;
  invoked: boolean;
  /** Document text with the IntelliSense selection applied. */
  text: string;
  offset: number;
  line: number;
  /** Where the returned items start (start of the cursor's line, or the IntelliSense item's range) and their lead text. */
  range: { start: { line: number; character: number }; end: { line: number; character: number } };
  lead: string;
}

export class InlineHandler {
  private counter: { engine: Engine; counter: TokenCounter } | undefined;
  private readonly flights = new Flights();
  private readonly generator: Generator;

  constructor(private readonly deps: InlineDeps) {
    this.generator = new Generator(deps.log);
  }

  /** A closed document: stop its generation and forget its slot. */
  forget(uri: string): void {
    this.flights.cancel(uri);
    this.generator.forget(`doc:${uri}`);
  }

  async handle(params: InlineCompletionParams, token: CancellationToken): Promise<InlineCompletionList | null> {
    const t0 = performance.now();
    const { signal, dispose } = toSignal(token);
    const invoked = params.context.triggerKind === InlineCompletionTriggerKind.Invoked;
    const base: Omit<CompletionStatsParams, 'source' | 'outcome' | 'items' | 'latencyMs'> = {
      uri: params.textDocument.uri, version: 0, triggerKind: invoked ? 'invoked' : 'automatic', queueMs: 0,
      promptMode: 'prefix', promptTokens: 0, reusedTokens: 0, evaluatedTokens: 0, prefillTokens: 0, generatedTokens: 0, engineRuns: 0,
      prefillMs: 0, decodeMs: 0,
    };
    const report = (s: Partial<CompletionStatsParams> & Pick<CompletionStatsParams, 'source' | 'outcome' | 'items'>): void => {
      this.deps.stats({ ...base, latencyMs: performance.now() - t0, ...s });
    };
    try {
      const doc = this.deps.document(params.textDocument.uri);
      const engine = this.deps.engine();
      base.version = doc?.version ?? 0;
      if (!doc || !engine) {
        report({ source: 'none', outcome: 'skipped', items: 0, reason: doc ? 'no model loaded' : 'document not open' });
        return null;
      }
      const settings = this.deps.settings();
      const req = this.request(doc, params, invoked);
      const mode = resolvePromptMode(engine.info, settings.completion.promptMode);
      base.promptMode = mode;
      const wanted = invoked ? settings.completion.candidates : 1;
      const hints = completionHints(engine.info.meta);
      // A model made for one line at a time gets one line while typing; Alt+\ may still bring a block.
      const pp = this.postprocessInput(req, settings, hints.oneLine && !invoked);
      const key: CacheKey = {
        uri: req.uri,
        variant: `${this.deps.modelKey()}|${mode}|${shapeFor(pp)}|${settings.completion.maxLines}|${settings.completion.maxTokens}`,
        prefix: req.text.slice(Math.max(0, req.offset - 2200), req.offset),
        suffix: req.text.slice(req.offset, req.offset + 600),
      };
      const hit = this.deps.cache.get(key, wanted);
      if (hit) {
        const items = this.items(req, hit.items.slice(0, wanted));
        report({ source: hit.kind === 'exact' ? 'cache' : 'typed-through', outcome: items.length ? 'items' : 'empty', items: items.length });
        return { items };
      }
      if (!invoked) {
        const join = this.flights.find(key);
        if (join) {
          // The generation for a few characters ago is still running and agrees with what was typed: wait for it.
          const typed = join.typed;
          const answer = await this.flights.join(join.flight, signal, this.early(settings, (p) => {
            const part = partialCompletion(p, join.flight.pp);
            return part !== undefined && part.length > typed.length && part.startsWith(typed) ? part : undefined;
          }));
          if (signal.aborted || answer === undefined) {
            report({ source: 'in-flight', outcome: 'cancelled', items: 0 });
            return null;
          }
          const rest = answer.candidates.filter((c) => c.startsWith(typed)).map((c) => c.slice(typed.length)).filter((c) => c.trim() !== '');
          const items = this.items(req, rest);
          report({ source: 'in-flight', outcome: items.length ? 'items' : 'empty', items: items.length, partial: answer.partial });
          return { items };
        }
      }
      const ctx = this.context(engine, req, settings, mode, pp, hints);
      const totals = emptyTotals();
      const job: GenerateJob = {
        engine, slot: `doc:${req.uri}`, ctx, mode, pp, maxTokens: settings.completion.maxTokens,
        timeBudgetMs: settings.completion.timeBudgetMs, wanted,
      };
      let found: string[] | undefined;
      let running: Promise<unknown> | undefined;
      if (invoked) {
        this.flights.cancel(req.uri);
        found = await this.generator.generate(job, signal, totals);
        if (found) this.deps.cache.set(key, { items: found, wanted });
      } else {
        const flight = this.flights.start(key, pp, async (flightSignal, onProgress) => {
          const r = await this.generator.generate(job, flightSignal, totals, onProgress);
          if (r) this.deps.cache.set(key, { items: r, wanted: 1 });
          return r;
        });
        const answer = await this.flights.join(flight, signal, this.early(settings, (p) => partialCompletion(p, pp)));
        found = answer?.candidates;
        if (answer?.partial) {
          base.partial = true;
          running = flight.result;
        }
      }
      const fill = (): void => {
        const first = totals.first;
        Object.assign(base, {
          promptTokens: first?.promptTokens ?? 0, reusedTokens: first?.reusedTokens ?? 0,
          evaluatedTokens: first?.evaluatedTokens ?? 0, prefillTokens: totals.prefill, generatedTokens: totals.generated,
          engineRuns: totals.runs, prefillMs: totals.prefillMs, decodeMs: totals.decodeMs, queueMs: totals.queueMs,
          stopReason: totals.stopReason,
        });
      };
      if (signal.aborted || found === undefined) {
        fill();
        report({ source: 'model', outcome: 'cancelled', items: 0 });
        return null;
      }
      const items = this.items(req, found);
      const outcome = items.length ? 'items' : 'empty';
      if (running) {
        // A partial answer: the engine statistics are complete only when the generation ends.
        const latencyMs = performance.now() - t0;
        const later = (): void => {
          fill();
          report({ source: 'model', outcome, items: items.length, latencyMs });
        };
        void running.then(later, later);
      } else {
        fill();
        report({ source: 'model', outcome, items: items.length });
      }
      return { items };
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      // Quiet while typing: logged once per failure, never shown as a popup.
      this.deps.log.error(`Inline completion failed: ${why}`);
      report({ source: 'none', outcome: 'error', items: 0, reason: why });
      return null;
    } finally {
      dispose();
    }
  }

  /** The early partial answer of automatic requests, when the setting asks for one. */
  private early(settings: TritSettings, partial: (progress: string) => string | undefined): PartialOption | undefined {
    const afterMs = settings.completion.partialAfterMs;
    return afterMs > 0 ? { afterMs, partial } : undefined;
  }

  private request(doc: TextDocument, params: InlineCompletionParams, invoked: boolean): Request {
    const text = doc.getText();
    const sci = params.context.selectedCompletionInfo;
    if (sci) {
      // IntelliSense shows an item: complete as if it were accepted, and return items that extend it over its range.
      const start = doc.offsetAt(sci.range.start);
      const end = doc.offsetAt(sci.range.end);
      const applied = text.slice(0, start) + sci.text + text.slice(end);
      const offset = start + sci.text.length;
      const line = sci.range.start.line + (sci.text.split('\n').length - 1);
      return { uri: doc.uri, version: doc.version, invoked, text: applied, offset, line, range: sci.range, lead: sci.text };
    }
    const pos = params.position;
    const lineStart = { line: pos.line, character: 0 };
    const lead = text.slice(doc.offsetAt(lineStart), doc.offsetAt(pos));
    // The items replace the line up to the cursor: when the user deletes typed text, the editor can keep them.
    return { uri: doc.uri, version: doc.version, invoked, text, offset: doc.offsetAt(pos), line: pos.line, range: { start: lineStart, end: pos }, lead };
  }

  /** `oneLine`: the model recommends single lines, which the "auto" setting follows. */
  private postprocessInput(req: Request, settings: TritSettings, oneLine: boolean): PostprocessInput {
    const { text, offset } = req;
    const lineStart = offset <= 0 ? 0 : text.lastIndexOf('\n', offset - 1) + 1;
    const nl = text.indexOf('\n', offset);
    const lineEnd = nl === -1 ? text.length : nl;
    return {
      linePrefix: text.slice(lineStart, offset), lineSuffix: text.slice(offset, lineEnd), nextLines: [],
      multiline: settings.completion.multiline === 'auto' && oneLine ? 'never' : settings.completion.multiline,
      maxLines: settings.completion.maxLines,
    };
  }

  private counterFor(engine: Engine): TokenCounter {
    if (this.counter?.engine !== engine) this.counter = { engine, counter: new TokenCounter(engine) };
    return this.counter.counter;
  }

  private context(engine: Engine, req: Request, settings: TritSettings, mode: PromptMode, pp: PostprocessInput, hints: CompletionHints): CompletionContext {
    const maxTokens = settings.completion.maxTokens;
    const room = Math.max(64, engine.info.nCtx - maxTokens - 8);
    const total = settings.context.maxTokens > 0 ? Math.min(settings.context.maxTokens, room) : room;
    const useExtras = settings.context.extraContext && engine.info.special.fimSep >= 0;
    const budget = splitBudget(total, mode === 'prefix' ? 0 : settings.context.suffixPercent, settings.context.extraPercent, useExtras);
    if (mode === 'prefix') {
      // The suffix is not in a prefix-only prompt, but post-processing still needs the next lines.
      budget.suffixTokens = Math.min(256, Math.floor(total / 4));
    }
    const ctx = buildContext({
      text: req.text, offset: req.offset, line: req.line, uri: req.uri, path: this.deps.displayPath(req.uri), budget,
      extras: useExtras ? this.deps.extras(req.uri) : [], countTokens: this.counterFor(engine).count,
      anchorLines: anchorLinesFor(mode), maxPrefixChars: hints.prefixChars, maxSuffixChars: hints.suffixChars,
    });
    pp.nextLines = ctx.nextLines;
    pp.documentEnd = ctx.atDocumentEnd;
    return ctx;
  }

  private items(req: Request, completions: readonly string[]): InlineCompletionItem[] {
    return completions.map((c) => ({ insertText: req.lead + c, range: req.range }));
  }
}
