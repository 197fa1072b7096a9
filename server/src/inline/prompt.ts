// Turns a completion context into the token prompt the engine runs. Pure: the tokenizer is passed in.
//
// Layouts, as the shipped model was trained (training/prep.py), with what changes most at the end so that typing
// only changes the prompt's tail and the engine's longest-common-prefix reuse keeps everything before it:
//   prefix: D extras H P L
//   spm:    D extras <fim_suf> S <fim_pre> H P L <fim_mid>
//   psm:    D extras <fim_pre> H P <fim_suf> S <fim_mid> L
// where D = the document separator the model starts a sample with (its BOS token, when it adds one), H = <file_sep>
// path "\n", extras = (H chunk D)* for chunks of other files, P = the frozen prefix (up to the start of the cursor's
// line), L = the live part (from there to the cursor, tokenized on its own as in training), S = the suffix window.
// SPM puts the suffix first, so a keystroke re-evaluates only the end of L and <fim_mid>. PSM as trained would put
// S after L, and every keystroke would re-evaluate the whole suffix window; instead L goes after <fim_mid> as the
// start of the middle, and the anchor of L sits a few lines back (context.ts anchorLines), so the suffix is
// re-evaluated only when the cursor leaves that group of lines.
import type { PromptMode } from '../../../protocol/src/index';
import type { CompletionContext, ExtraChunk } from './context';

export interface PromptTokenizer {
  /** Tokens of plain text: no BOS, special-token text is not parsed. */
  encode(text: string): number[];
  decode(tokens: readonly number[]): string;
}

/** Special token ids; -1 when the model has none. */
export interface PromptSpecials {
  bos: number;
  fimPre: number;
  fimSuf: number;
  fimMid: number;
  fimSep: number;
}

export interface PromptOptions {
  mode: PromptMode;
  special: PromptSpecials;
  addBos: boolean;
  /** Most tokens the prompt may have (context length minus the tokens to generate). */
  limit: number;
  /** Back off a partly typed word so the model regenerates it whole (token healing). */
  heal: boolean;
}

export interface Prompt {
  tokens: number[];
  mode: PromptMode;
  /** Text removed from the end of the live part; the generated text must start with it. */
  healed: string;
  /** Index in `tokens` where the live part starts: everything before it is stable while typing on the line(s). */
  liveStart: number;
  /** Chunks of other files that made it into the prompt. */
  extras: number;
}

export interface ModelPromptInfo {
  special: PromptSpecials;
  /** The model's metadata, e.g. "trit.completion.prompt_mode". */
  meta: Record<string, string>;
}

export const PROMPT_MODE_KEY = 'trit.completion.prompt_mode';

export function hasFim(special: PromptSpecials): boolean {
  return special.fimPre >= 0 && special.fimSuf >= 0 && special.fimMid >= 0;
}

/**
 * The layout to use: an explicit setting wins if the model can do it; otherwise the mode recorded in the model's
 * metadata; otherwise PSM for a model with FIM tokens (the order every FIM-trained model knows) and prefix-only
 * for a model without.
 */
export function resolvePromptMode(model: ModelPromptInfo, setting: PromptMode | 'auto'): PromptMode {
  const fim = hasFim(model.special);
  const valid = (m: string | undefined): m is PromptMode => m === 'prefix' || ((m === 'spm' || m === 'psm') && fim);
  if (setting !== 'auto' && valid(setting)) return setting;
  const declared = model.meta[PROMPT_MODE_KEY]?.trim().toLowerCase();
  if (valid(declared)) return declared;
  return fim ? 'psm' : 'prefix';
}

/** What a model's metadata recommends for completions (keys written by training/export.py). */
export interface CompletionHints {
  /** "trit.completion.stop" = "newline": the model was trained and evaluated for one line at a time. */
  oneLine: boolean;
  /** "trit.completion.prefix_chars" / "suffix_chars": the window sizes it was evaluated with. */
  prefixChars?: number;
  suffixChars?: number;
}

function positive(v: string | undefined): number | undefined {
  const n = v === undefined ? NaN : Number(v);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

export function completionHints(meta: Record<string, string>): CompletionHints {
  return {
    oneLine: meta['trit.completion.stop']?.trim().toLowerCase() === 'newline',
    prefixChars: positive(meta['trit.completion.prefix_chars']),
    suffixChars: positive(meta['trit.completion.suffix_chars']),
  };
}

/** Anchor group size for a layout (see context.ts): PSM benefits from a stable anchor a few lines back. */
export function anchorLinesFor(mode: PromptMode): number {
  return mode === 'psm' ? 4 : 1;
}

/** A word fragment, with the one leading space or punctuation character that BPE pre-tokenizers attach to it. */
const WORD_TAIL = /^[^\r\n\p{L}\p{N}_$]?[\p{L}\p{N}_$]+$/u;
const WORD_END = /[\p{L}\p{N}_$]$/u;
const WORD_START = /^[\p{L}\p{N}_$]/u;

/**
 * Token healing: the last tokens of a partly typed word are often not the tokens the word has when complete
 * ("retu" → "ret"+"u" instead of "return"). Remove the trailing tokens that spell the whole word fragment (with
 * its leading space or punctuation, at most 4 tokens and 24 characters) so the model generates the word in its
 * usual tokens; the caller then requires the output to start with the removed text.
 */
export function healTail(tokens: readonly number[], tokenizer: PromptTokenizer): { keep: number; healed: string } {
  let keep = tokens.length;
  let healed = '';
  for (let i = tokens.length - 1; i >= 0 && tokens.length - i <= 4; i--) {
    const text = tokenizer.decode(tokens.slice(i));
    if (!WORD_TAIL.test(text) || text.length > 24) break;
    keep = i;
    healed = text;
  }
  // Only a whole word is healed: if the token before is part of the same word, leave the prompt as it is.
  if (keep > 0 && keep < tokens.length && WORD_START.test(healed) && WORD_END.test(tokenizer.decode(tokens.slice(keep - 1, keep)))) {
    return { keep: tokens.length, healed: '' };
  }
  return { keep, healed };
}

function header(path: string, special: PromptSpecials, tokenizer: PromptTokenizer): number[] {
  return special.fimSep >= 0 ? [special.fimSep, ...tokenizer.encode(path + '\n')] : [];
}

function encodeExtras(extras: readonly ExtraChunk[], special: PromptSpecials, tokenizer: PromptTokenizer, doc: readonly number[]): number[][] {
  // Without a file separator the model cannot tell files apart: leave other files out.
  if (special.fimSep < 0) return [];
  return extras.map((c) => [...header(c.path, special, tokenizer), ...tokenizer.encode(c.text.endsWith('\n') ? c.text : c.text + '\n'), ...doc]);
}

/** Token healing is for prompts that end in plain text; FIM prompts end as the model was trained: at the cursor. */
export function healsFor(mode: PromptMode): boolean {
  return mode === 'prefix';
}

export function buildPrompt(ctx: CompletionContext, tokenizer: PromptTokenizer, options: PromptOptions): Prompt {
  const { special } = options;
  const mode = options.mode !== 'prefix' && !hasFim(special) ? 'prefix' : options.mode;
  const doc = options.addBos && special.bos >= 0 ? [special.bos] : [];
  let extras = encodeExtras(ctx.extras, special, tokenizer, doc);
  const head = header(ctx.path, special, tokenizer);
  let prefix = tokenizer.encode(ctx.prefix);
  let suffix = mode === 'prefix' ? [] : tokenizer.encode(ctx.suffix);
  let live = tokenizer.encode(ctx.live);
  let healed = '';
  if (options.heal) {
    const h = healTail(live, tokenizer);
    live = live.slice(0, h.keep);
    healed = h.healed;
  }
  const fixed = doc.length + head.length + live.length + (mode === 'prefix' ? 0 : 3);
  // Fit the limit: other files go first (oldest first), then the far end of the suffix, then the far start of
  // the prefix. Normal budgets never get here; this guards against a budget larger than the context.
  const total = () => fixed + extras.reduce((n, e) => n + e.length, 0) + prefix.length + suffix.length;
  while (total() > options.limit && extras.length > 0) extras = extras.slice(1);
  if (total() > options.limit) suffix = suffix.slice(0, Math.max(0, suffix.length - (total() - options.limit)));
  if (total() > options.limit) prefix = prefix.slice(Math.min(prefix.length, total() - options.limit));
  if (total() > options.limit) live = live.slice(Math.min(live.length, total() - options.limit));

  const tokens: number[] = [...doc];
  for (const e of extras) tokens.push(...e);
  let liveStart: number;
  if (mode === 'spm') {
    tokens.push(special.fimSuf, ...suffix, special.fimPre, ...head, ...prefix);
    liveStart = tokens.length;
    tokens.push(...live, special.fimMid);
  } else if (mode === 'psm') {
    tokens.push(special.fimPre, ...head, ...prefix, special.fimSuf, ...suffix, special.fimMid);
    liveStart = tokens.length;
    tokens.push(...live);
  } else {
    tokens.push(...head, ...prefix);
    liveStart = tokens.length;
    tokens.push(...live);
  }
  return { tokens, mode, healed, liveStart, extras: extras.length };
}
