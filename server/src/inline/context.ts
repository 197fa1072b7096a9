// Chooses the text around the cursor that goes into a completion prompt. Pure: data in, data out.
//
// The windows are measured in tokens but their edges move in steps, not per keystroke, so that consecutive
// prompts share a long token prefix and the engine re-evaluates only what changed (see prompt.ts):
// - the prefix window starts on a line that is a multiple of `quantumLines` (absolute line numbers do not change
//   while the user types at the cursor), and is re-chosen only when the budget forces it;
// - the text between the anchor (the start of the cursor's line) and the cursor is the "live" part; everything
//   before the anchor is frozen while the user types on the line;
// - the suffix window ends after a number of whole lines that is a multiple of `quantumLines`, counted from the
//   cursor's line, so typing and pressing Enter leave it unchanged.

export interface ExtraChunk {
  /** Document the chunk was taken from. */
  uri: string;
  /** Path shown to the model (relative to the workspace when possible). */
  path: string;
  /** The chunk's lines, newline-terminated. */
  text: string;
  /** Insertion order in the ring; the prompt lists chunks in increasing `seq` so that the order is stable. */
  seq: number;
}

export interface ContextBudget {
  /** Tokens for the text before the cursor (frozen prefix + live part). */
  prefixTokens: number;
  /** Tokens for the text after the cursor. */
  suffixTokens: number;
  /** Tokens for chunks of other files, headers included. */
  extraTokens: number;
}

export interface ContextInput {
  /** Text of the document (with an IntelliSense selection already applied, if any). */
  text: string;
  /** Cursor offset in `text`. */
  offset: number;
  /** Zero-based line of the cursor. */
  line: number;
  uri: string;
  path: string;
  budget: ContextBudget;
  /** Ring of chunks from other files, in any order. */
  extras: readonly ExtraChunk[];
  countTokens: (text: string) => number;
  /** Window edges move in steps of this many lines (default 8). */
  quantumLines?: number;
  /** Lines at most from the cursor to the anchor, the start of the live part (default 1: the cursor's line). */
  anchorLines?: number;
  /** Characters at most before and after the cursor (the model's own window sizes), besides the token budget. */
  maxPrefixChars?: number;
  maxSuffixChars?: number;
}

export interface CompletionContext {
  uri: string;
  path: string;
  /** From the prefix window start to the anchor: stable while the user types on the current line(s). */
  prefix: string;
  /** From the anchor to the cursor: what changes with every keystroke. */
  live: string;
  /** From the cursor to the end of the suffix window. */
  suffix: string;
  /** The text before the cursor on its line. */
  linePrefix: string;
  /** The text after the cursor on its line. */
  lineSuffix: string;
  /** Whole lines after the cursor's line within the suffix window (no newline characters). */
  nextLines: string[];
  /** The chunks of other files that fit, in prompt order. */
  extras: ExtraChunk[];
  /** Zero-based line where the prefix window starts (for tests and logs). */
  prefixStartLine: number;
  /** True when the prefix window starts at the beginning of the document. */
  atDocumentStart: boolean;
  /** True when the suffix window reaches the end of the document. */
  atDocumentEnd: boolean;
}

const CHAR_STEP = 64;

/** Text of the line that ends just before `end` (exclusive of its newline), and where it starts. */
function lineBefore(text: string, end: number): { start: number; line: string } {
  const start = prevLineStart(text, end);
  return { start, line: text.slice(start, end) };
}

/** Start of the line before the line that starts at `lineStart` (which must follow a newline, or be 0). */
function prevLineStart(text: string, lineStart: number): number {
  return lineStart <= 1 ? 0 : text.lastIndexOf('\n', lineStart - 2) + 1;
}

/** Start of the line holding `offset`. */
function lineStartOf(text: string, offset: number): number {
  return offset <= 0 ? 0 : text.lastIndexOf('\n', offset - 1) + 1;
}

/**
 * The longest tail of `text` that fits `budget` tokens, cut at a multiple of CHAR_STEP characters from the start
 * of `text` so the cut does not move with each keystroke. Used only for lines longer than the whole budget.
 */
function tailWithin(text: string, budget: number, countTokens: (s: string) => number): string {
  if (budget <= 0) return '';
  for (let cut = 0; cut < text.length; cut += CHAR_STEP) {
    const tail = text.slice(cut);
    if (countTokens(tail) <= budget) return tail;
  }
  return '';
}

function headWithin(text: string, budget: number, countTokens: (s: string) => number): string {
  if (budget <= 0) return '';
  for (let end = Math.floor(text.length / CHAR_STEP) * CHAR_STEP; end > 0; end -= CHAR_STEP) {
    const head = text.slice(0, end);
    if (countTokens(head) <= budget) return head;
  }
  return '';
}

interface PrefixWindow {
  text: string;
  startLine: number;
}

/** The frozen prefix: whole lines ending at `anchor`, starting on a quantized line, within `budget` tokens. */
function prefixWindow(input: ContextInput, anchor: number, anchorLine: number, budget: number, q: number, maxChars: number): PrefixWindow {
  const { text, countTokens } = input;
  // Walk back line by line (each line counted with its newline) to the earliest line that still fits.
  let used = 0;
  let start = anchor;
  let line = anchorLine;
  const starts: number[] = []; // starts[i] = offset of line (anchorLine - 1 - i)
  while (start > 0) {
    const prev = lineBefore(text, start);
    const n = countTokens(prev.line);
    if (used + n > budget || anchor - prev.start > maxChars) break;
    used += n;
    start = prev.start;
    line -= 1;
    starts.push(start);
  }
  if (start === 0) return { text: text.slice(0, anchor), startLine: 0 };
  // Round the start up to a multiple of q, so it moves in steps of q lines as the text above grows; with lines
  // too long for that, use a finer step.
  for (let step = q; step >= 1; step = Math.floor(step / 2)) {
    const quantized = Math.ceil(line / step) * step;
    if (quantized >= anchorLine) continue;
    const begin = starts[starts.length - 1 - (quantized - line)];
    if (begin !== undefined) return { text: text.slice(begin, anchor), startLine: quantized };
  }
  // Not even the line above the anchor fits: keep a tail of it.
  const prev = lineBefore(text, anchor);
  return { text: tailWithin(prev.line, budget, countTokens), startLine: anchorLine - 1 };
}

interface SuffixWindow {
  text: string;
  nextLines: string[];
  atEnd: boolean;
}

/** From the cursor: the rest of its line, then whole lines in a multiple of q, within `budget` tokens. */
function suffixWindow(input: ContextInput, lineEnd: number, lineSuffix: string, budget: number, q: number, maxChars: number): SuffixWindow {
  const { text, countTokens } = input;
  const first = countTokens(lineSuffix + (lineEnd < text.length ? '\n' : ''));
  if (first > budget) return { text: headWithin(lineSuffix, budget, countTokens), nextLines: [], atEnd: false };
  let used = first;
  const lines: string[] = [];
  const ends: number[] = [];
  let pos = lineEnd; // offset of the '\n' ending the previous line, or text.length
  while (pos < text.length) {
    const next = text.indexOf('\n', pos + 1);
    const end = next === -1 ? text.length : next;
    const line = text.slice(pos + 1, end);
    const n = countTokens(line + (end < text.length ? '\n' : ''));
    if (used + n > budget || end - lineEnd > maxChars) break;
    used += n;
    lines.push(line);
    ends.push(end);
    pos = end;
  }
  const atEnd = pos >= text.length;
  let keep = lines.length;
  if (!atEnd && keep >= q) keep = Math.floor(keep / q) * q;
  const cut = keep === 0 ? lineEnd : (ends[keep - 1] ?? lineEnd);
  // Keep the newline that ends the last whole line, so the suffix ends on a line boundary.
  const endOffset = cut < text.length ? cut + 1 : cut;
  return { text: lineSuffix + text.slice(lineEnd, endOffset), nextLines: lines.slice(0, keep), atEnd: atEnd && keep === lines.length };
}

/** Chunks of other files that fit the budget: the newest first, listed in ring order. */
export function selectExtras(
  extras: readonly ExtraChunk[],
  uri: string,
  budget: number,
  countTokens: (s: string) => number,
  header: (c: ExtraChunk) => string = (c) => c.path + '\n',
): ExtraChunk[] {
  const candidates = extras.filter((c) => c.uri !== uri).sort((a, b) => b.seq - a.seq);
  const chosen: ExtraChunk[] = [];
  let used = 0;
  for (const c of candidates) {
    const n = countTokens(header(c)) + countTokens(c.text) + 1;
    if (used + n > budget) continue;
    used += n;
    chosen.push(c);
  }
  return chosen.sort((a, b) => a.seq - b.seq);
}

export function buildContext(input: ContextInput): CompletionContext {
  const { text, offset, countTokens, budget } = input;
  const q = Math.max(1, input.quantumLines ?? 8);
  const anchorLines = Math.max(1, input.anchorLines ?? 1);
  const lineStart = lineStartOf(text, offset);
  const nl = text.indexOf('\n', offset);
  const lineEnd = nl === -1 ? text.length : nl;
  const linePrefix = text.slice(lineStart, offset);
  const lineSuffix = text.slice(offset, lineEnd);

  // The anchor: the start of the cursor's line, or of an earlier line in a group of `anchorLines` lines.
  let anchor = lineStart;
  let anchorLine = input.line;
  const target = Math.floor(input.line / anchorLines) * anchorLines;
  while (anchorLine > target && anchor > 0) {
    anchor = prevLineStart(text, anchor);
    anchorLine -= 1;
  }
  let live = text.slice(anchor, offset);
  const liveTokens = countTokens(live);
  if (liveTokens > budget.prefixTokens) {
    live = tailWithin(live, budget.prefixTokens, countTokens);
    return {
      uri: input.uri, path: input.path, prefix: '', live, suffix: '', linePrefix, lineSuffix, nextLines: [],
      extras: [], prefixStartLine: anchorLine, atDocumentStart: false, atDocumentEnd: false,
    };
  }
  // Reserve room for the live part in steps of 32 tokens, so the frozen window does not shift with each token.
  const reserve = Math.min(budget.prefixTokens, Math.ceil((liveTokens + 1) / 32) * 32);
  const pre = prefixWindow(input, anchor, anchorLine, budget.prefixTokens - reserve, q, input.maxPrefixChars ?? Infinity);
  const suf = suffixWindow(input, lineEnd, lineSuffix, budget.suffixTokens, q, input.maxSuffixChars ?? Infinity);
  const extras = budget.extraTokens > 0 ? selectExtras(input.extras, input.uri, budget.extraTokens, countTokens) : [];
  return {
    uri: input.uri,
    path: input.path,
    prefix: pre.text,
    live,
    suffix: suf.text,
    linePrefix,
    lineSuffix,
    nextLines: suf.nextLines,
    extras,
    prefixStartLine: pre.startLine,
    atDocumentStart: pre.startLine === 0 && anchor - pre.text.length === 0,
    atDocumentEnd: suf.atEnd,
  };
}

/** Splits a prompt budget among prefix, suffix and extra chunks (percentages of the total). */
export function splitBudget(total: number, suffixPercent: number, extraPercent: number, extraContext: boolean): ContextBudget {
  const extraTokens = extraContext ? Math.floor((total * extraPercent) / 100) : 0;
  const suffixTokens = Math.floor((total * suffixPercent) / 100);
  return { prefixTokens: Math.max(0, total - extraTokens - suffixTokens), suffixTokens, extraTokens };
}
