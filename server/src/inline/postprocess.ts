// Cleans a generated completion before it is shown. Pure: data in, data out.
//
// Rules: text after the cursor on its line → one line, without the part that the line already has; otherwise up
// to a block: stop where the enclosing block ends (a line indented less than the cursor's line; a closing
// bracket is kept only when the document lacks it), where the model starts repeating the next lines of the
// document, after a run of blank lines, or at `maxLines`. Never an empty or whitespace-only result.
import type { MultilineMode } from '../../../protocol/src/index';

export interface PostprocessInput {
  /** Text before the cursor on its line (including an IntelliSense selection being extended). */
  linePrefix: string;
  /** Text after the cursor on its line. */
  lineSuffix: string;
  /** Lines after the cursor's line (the suffix window). */
  nextLines: readonly string[];
  multiline: MultilineMode;
  maxLines: number;
  /** True when `nextLines` reach the end of the document. */
  documentEnd?: boolean;
}

export type Shape = 'line' | 'block';

const SPECIAL = /<\|[A-Za-z0-9_]+\|>/;
const OPENER_END = /(?:[{([:]|=>)\s*$/;
const CLOSER_LINE = /^\s*[}\])]+[\s;,)]*$/;
const OPEN = '([{';
const CLOSE = ')]}';

function indentOf(line: string): number {
  const m = /^[ \t]*/.exec(line);
  let n = 0;
  for (const ch of m ? m[0] : '') n += ch === '\t' ? 4 : 1;
  return n;
}

function isBlank(s: string): boolean {
  return s.trim() === '';
}

/** One line when text follows the cursor, or when the setting says so; otherwise a block may follow. */
export function shapeFor(input: Pick<PostprocessInput, 'lineSuffix' | 'multiline'>): Shape {
  if (input.multiline === 'never') return 'line';
  if (input.multiline === 'always') return 'block';
  return isBlank(input.lineSuffix) ? 'block' : 'line';
}

/** The text up to the first special-token text, without carriage returns. */
function clean(text: string): string {
  const m = SPECIAL.exec(text);
  return (m ? text.slice(0, m.index) : text).replace(/\r/g, '');
}

/** Net count of brackets opened in `text` (closers of brackets opened before it are ignored). */
function openBrackets(text: string): number {
  let depth = 0;
  for (const ch of text) {
    if (OPEN.includes(ch)) depth++;
    else if (CLOSE.includes(ch) && depth > 0) depth--;
  }
  return depth;
}

/**
 * Cuts a one-line completion where it starts repeating the text after the cursor: at the first position outside
 * brackets it opened itself where the rest of the completion and the line's suffix agree.
 */
export function trimLineSuffix(completion: string, lineSuffix: string): string {
  const ls = lineSuffix.trim();
  if (ls === '') return completion;
  let depth = 0;
  for (let i = 0; i < completion.length; i++) {
    const ch = completion[i];
    if (depth === 0 && !isBlank(ch)) {
      const rest = completion.slice(i).trimEnd();
      const n = Math.min(rest.length, ls.length);
      if (n > 0 && rest.slice(0, n) === ls.slice(0, n)) return completion.slice(0, i);
    }
    if (OPEN.includes(ch)) depth++;
    else if (CLOSE.includes(ch) && depth > 0) depth--;
  }
  return completion;
}

/** A trailing operator or separator left dangling by a cut ("x and", "a +", "f(a,"). */
const DANGLING = /\s*(?:\band|\bor|\bnot|&&|\|\||[-+*/%=<>!&|^~.,:;?])\s*$/;

/**
 * Where a line runs away by repeating itself to the end ("PrimesPrimesPrim", "f(n) and f(n) and f"): the length
 * of the line up to the end of the first copy of the repeated unit, or -1. The repeating tail must cover the unit at
 * least `minCopies` times (partial copies count by their length) and 12 characters; units of 2 to 60 characters.
 */
export function runawayCut(line: string, minCopies: number): number {
  const end = line.length;
  let best = -1;
  let bestStart = end;
  for (let p = 2; p <= 60 && 2 * p <= end; p++) {
    // The periodic tail: the smallest i with line[j] === line[j - p] for every j in [i + p, end).
    let j = end - 1;
    while (j >= p && line[j] === line[j - p]) j--;
    const i = Math.max(0, j + 1 - p);
    const run = end - i;
    if (run < 12 || run < minCopies * p || i >= bestStart) continue;
    // A rule of one character ("# ------") is not a runaway.
    if (new Set(line.slice(i, i + p)).size < 2) continue;
    bestStart = i;
    best = i + p;
  }
  return best;
}

/** A line cut before its runaway repetition, without what the cut left dangling; the line itself if none. */
function cutRunaway(line: string, minCopies: number): { line: string; cut: boolean } {
  const at = runawayCut(line, minCopies);
  if (at < 0) return { line, cut: false };
  let kept = line.slice(0, at);
  for (let prev = ''; prev !== kept; ) {
    prev = kept;
    kept = kept.replace(DANGLING, '');
  }
  return { line: kept.trimEnd(), cut: true };
}

function firstNonBlank(lines: readonly string[]): string | undefined {
  return lines.find((l) => !isBlank(l));
}

interface Cut {
  lines: string[];
  /** True when a rule ended the block: more generated text could not change the result. */
  stopped: boolean;
}

/**
 * Applies the block rules to generated lines (lines[0] continues the cursor's line). Only the first `complete`
 * lines are known to be whole; a stop decided on them is final.
 */
function cutBlock(lines: readonly string[], input: PostprocessInput, complete: number): Cut {
  const first = lines[0] ?? '';
  const current = input.linePrefix + first;
  const next = firstNonBlank(input.nextLines);
  const opener = OPENER_END.test(current);
  // A statement already under way on the cursor's line (and not opening a block) ends with its line.
  if (!opener && !isBlank(input.linePrefix) && !isBlank(first)) return { lines: [first], stopped: complete >= 1 };
  // Lines indented less than the cursor's line (or, after an opener, not more) have left the block.
  const blockIndent = indentOf(isBlank(current) ? input.linePrefix : current);
  const documentEnd = input.documentEnd === true && input.nextLines.every(isBlank);
  const out = [first];
  let depth = openBrackets(current);
  let blanks = 0;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (out.length >= input.maxLines) return { lines: out, stopped: true };
    if (i >= complete) {
      out.push(line);
      break;
    }
    if (isBlank(line)) {
      if (++blanks >= 2) return { lines: out, stopped: true };
      out.push('');
      continue;
    }
    blanks = 0;
    // The model has reached the document's next line: everything from here on would be a duplicate.
    if (next !== undefined && line.trim() === next.trim()) return { lines: out, stopped: true };
    const n = out.length;
    if (line.trim().length > 3 && n >= 2 && out[n - 1] === line && out[n - 2] === line) {
      return { lines: out.slice(0, -1), stopped: true };
    }
    const indent = indentOf(line);
    if (opener ? indent <= blockIndent : indent < blockIndent) {
      // Leaving the block: keep a closing bracket that the completion opened (or that the document lacks at its
      // end), then stop.
      if (CLOSER_LINE.test(line) && (depth > 0 || documentEnd)) out.push(line);
      return { lines: out, stopped: true };
    }
    depth = Math.max(0, depth + netBrackets(line));
    out.push(line);
  }
  return { lines: out, stopped: false };
}

/** Opening minus closing brackets in a line. */
function netBrackets(line: string): number {
  let n = 0;
  for (const ch of line) {
    if (OPEN.includes(ch)) n++;
    else if (CLOSE.includes(ch)) n--;
  }
  return n;
}

/**
 * The completion to show for generated `text`, or null when nothing useful remains. `truncated` says the engine
 * stopped on its token or time limit, so the last line may be unfinished.
 */
export function postprocess(text: string, input: PostprocessInput, truncated = false): string | null {
  let body = clean(text);
  const shape = shapeFor(input);
  const next = firstNonBlank(input.nextLines);
  let result: string;
  if (shape === 'line') {
    const nl = body.indexOf('\n');
    if (nl >= 0) body = body.slice(0, nl);
    // A line that repeats itself three times, or twice when the engine stopped on its limit before the line
    // ended, has run away: cut it before the repetition.
    body = cutRunaway(body, nl < 0 && truncated ? 2 : 3).line;
    result = trimLineSuffix(body, input.lineSuffix).trimEnd();
    if (isBlank(input.lineSuffix) && next !== undefined && (input.linePrefix + result).trim() === next.trim()) return null;
  } else {
    const lines = body.split('\n').map((l, i) => (i === 0 ? l : l.trimEnd()));
    if (truncated && lines.length > 1) lines.pop();
    // A line repeating itself ends the block there, cut before the repetition.
    for (let i = 0; i < lines.length; i++) {
      const r = cutRunaway(lines[i], truncated && i === lines.length - 1 ? 2 : 3);
      if (r.cut) {
        lines.splice(i, lines.length - i, r.line);
        break;
      }
    }
    const cut = cutBlock(lines, input, lines.length);
    const out = cut.lines;
    out[0] = trimLineSuffix(out[0] ?? '', input.lineSuffix).trimEnd();
    if (next !== undefined && !isBlank(input.linePrefix + (out[0] ?? '')) && (input.linePrefix + out[0]).trim() === next.trim()) {
      return null;
    }
    while (out.length > 1 && isBlank(out[out.length - 1])) out.pop();
    result = out.join('\n');
  }
  if (isBlank(result)) return null;
  // A completion that only re-creates what already follows the cursor adds nothing.
  if (!isBlank(input.lineSuffix) && input.lineSuffix.startsWith(result)) return null;
  return result;
}

/**
 * Whether a streamed completion is already final, so generation can stop early: one-line completions at their
 * first newline, blocks as soon as a block rule has fired on whole lines.
 */
export function isComplete(text: string, input: PostprocessInput): boolean {
  const body = clean(text);
  if (body.length !== text.replace(/\r/g, '').length) return true; // a special token appeared
  const lines = body.split('\n');
  // A line repeating itself three times over will not recover: stop generating.
  if (runawayCut(lines[lines.length - 1] ?? '', 3) >= 0) return true;
  if (shapeFor(input) === 'line') return lines.length > 1;
  return cutBlock(lines, input, lines.length - 1).stopped;
}

/** Distinct, non-empty candidates in order of arrival. */
export function distinct(candidates: readonly (string | null)[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const c of candidates) {
    if (c === null || isBlank(c)) continue;
    const key = c.trimEnd();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(c);
  }
  return out;
}

/**
 * What can be shown of a completion still being generated: post-processed as truncated, without a word that may be
 * unfinished at its end. Undefined when that leaves nothing worth showing.
 */
export function partialCompletion(progress: string, input: PostprocessInput): string | undefined {
  const done = postprocess(progress.replace(/[\p{L}\p{N}_$]+$/u, ''), input, true);
  return done === null ? undefined : done;
}
