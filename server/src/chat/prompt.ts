// A conversation → prompt pieces within a token budget. Pure: tokens are counted by the function the caller passes
// (the model's own tokenizer, through the engine).
//
// Trimming order, cheapest loss first:
//  1. An automatic "current file around the cursor" context is capped to a share of the budget a priori (it was not
//     chosen by the user), keeping the lines nearest to the cursor.
//  2. Old exchanges (a user turn and its answer) are dropped, oldest first. Once dropping starts, it goes down to
//     `trimTarget` of the budget, and the caller passes the first kept turn back next time (`keepFrom`), so the
//     start of the prompt stays the same for several turns and the slot's KV prefix keeps being reused.
//  3. If the new message alone is still too long, its attached code is cut to fewer lines.
//  4. As a last resort the typed message itself is cut (its head is kept).

import type { ChatContext, ChatTurn } from '../../../protocol/src/chat';
import { renderPrompt, type ChatFormatSpec, type PromptMessage, type PromptPiece } from './template';

export type CountTokens = (pieces: readonly PromptPiece[]) => number;

export interface BuildOptions {
  system: string;
  /** Most tokens the prompt may take (context length minus the room kept for the answer). */
  budget: number;
  /** Most of the budget an automatic file context may take (0..1). */
  fileContextShare?: number;
  /** When old turns must go, trim down to this share of the budget (0..1), to keep the prefix stable. */
  trimTarget?: number;
  /** Index in `turns` of the first turn to keep (from the previous request's `firstKept`); older ones are gone. */
  keepFrom?: number;
}

export interface BuiltPrompt {
  pieces: PromptPiece[];
  tokens: number;
  /** Index in `turns` of the first turn that made it into the prompt. */
  firstKept: number;
  trimmedTurns: number;
  trimmedContextLines: number;
  /** The typed message was cut (step 4). */
  trimmedMessage: boolean;
}

/** A context as it goes into the prompt: maybe fewer lines than attached. */
interface ShownContext {
  ctx: ChatContext;
  lines: string[];
  /** Index into `lines` of the first shown line, and how many are shown. */
  from: number;
  count: number;
}

/** Turns a conversation into a prompt that fits `opts.budget` tokens. Throws only for a format without chat. */
export function buildChatPrompt(spec: ChatFormatSpec, turns: readonly ChatTurn[], count: CountTokens, opts: BuildOptions): BuiltPrompt {
  const fileShare = opts.fileContextShare ?? 0.4;
  const trimTarget = opts.trimTarget ?? 0.75;
  const budget = Math.max(1, opts.budget);
  const textTokens = (text: string): number => count([{ text, special: false }]);

  // 1. Cap automatic file contexts. Same inputs give the same cut, so earlier turns render identically each time.
  const shown: ShownContext[][] = turns.map((t) =>
    (t.contexts ?? []).map((ctx) => {
      const s = showAll(ctx);
      return ctx.kind === 'file' ? fitContext(s, Math.floor(budget * fileShare), textTokens) : s;
    }),
  );
  const render = (from: number, last?: { message: string }): PromptPiece[] => {
    const messages: PromptMessage[] = [{ role: 'system', content: opts.system }];
    for (let i = from; i < turns.length; i++) {
      const t = turns[i];
      const content = i === turns.length - 1 && last !== undefined ? last.message : t.content;
      messages.push({ role: t.role, content: t.role === 'user' ? formatUserTurn(content, shown[i]) : content });
    }
    return renderPrompt(spec, messages);
  };

  // 2. Drop old exchanges. A kept range always starts with a user turn.
  const lastIndex = turns.length - 1;
  const starts = turns.map((t, i) => (t.role === 'user' ? i : -1)).filter((i) => i >= 0);
  let first = starts.find((i) => i >= (opts.keepFrom ?? 0)) ?? lastIndex;
  let pieces = render(first);
  let tokens = count(pieces);
  if (tokens > budget) {
    for (const s of starts) {
      if (s <= first) continue;
      first = s;
      pieces = render(first);
      tokens = count(pieces);
      if (tokens <= budget * trimTarget) break;
    }
  }
  const trimmedTurns = first;

  // 3. Cut the new message's code, largest first, halving its lines until the prompt fits.
  const lastShown = shown[lastIndex];
  while (tokens > budget) {
    const biggest = lastShown.reduce<ShownContext | undefined>((a, b) => (a === undefined || b.count > a.count ? b : a), undefined);
    if (biggest === undefined || biggest.count <= 1) break;
    setShown(biggest, Math.floor(biggest.count / 2));
    pieces = render(first);
    tokens = count(pieces);
  }
  const trimmedContextLines = shown.slice(first).flat().reduce((n, s) => n + (s.lines.length - s.count), 0);

  // 4. Cut the typed message: keep the longest head that fits (binary search on characters).
  let trimmedMessage = false;
  if (tokens > budget) {
    const message = turns[lastIndex].content;
    let lo = 0;
    let hi = message.length;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (count(render(first, { message: cutMessage(message, mid) })) <= budget) lo = mid;
      else hi = mid - 1;
    }
    pieces = render(first, { message: cutMessage(message, lo) });
    tokens = count(pieces);
    trimmedMessage = true;
  }
  return { pieces, tokens, firstKept: first, trimmedTurns, trimmedContextLines, trimmedMessage };
}

function cutMessage(message: string, chars: number): string {
  return chars >= message.length ? message : `${message.slice(0, chars)}\n[… the rest of this message was cut to fit the model's context]`;
}

function showAll(ctx: ChatContext): ShownContext {
  const lines = ctx.text.split(/\r?\n/);
  return { ctx, lines, from: 0, count: lines.length };
}

/** Shows `n` lines: around the cursor for a file context, the head for a selection. */
function setShown(s: ShownContext, n: number): void {
  n = Math.max(1, Math.min(n, s.lines.length));
  let from = 0;
  if (s.ctx.kind === 'file' && s.ctx.cursorLine !== undefined) {
    const cursor = s.ctx.cursorLine - s.ctx.startLine; // index in lines
    from = Math.max(0, Math.min(cursor - Math.floor((n * 2) / 3), s.lines.length - n));
  }
  s.from = from;
  s.count = n;
}

/** The most lines of `s` whose formatted text takes at most `maxTokens` (binary search). */
function fitContext(s: ShownContext, maxTokens: number, textTokens: (t: string) => number): ShownContext {
  if (textTokens(formatContext(s)) <= maxTokens) return s;
  let lo = 1;
  let hi = s.lines.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    setShown(s, mid);
    if (textTokens(formatContext(s)) <= maxTokens) lo = mid;
    else hi = mid - 1;
  }
  setShown(s, lo);
  return s;
}

/** The user's message with its code above it. */
function formatUserTurn(message: string, contexts: readonly ShownContext[]): string {
  if (contexts.length === 0) return message;
  return `${contexts.map(formatContext).join('\n\n')}\n\n${message}`;
}

function formatContext(s: ShownContext): string {
  const { ctx } = s;
  const first = ctx.startLine + s.from;
  const last = first + s.count - 1;
  const code = s.lines.slice(s.from, s.from + s.count).join('\n');
  const range = first === last ? `line ${first}` : `lines ${first}-${last}`;
  let head: string;
  if (ctx.kind === 'selection') head = `Selected code from \`${ctx.path}\` (${ctx.languageId}, ${range}):`;
  else {
    const cursor = ctx.cursorLine !== undefined ? `, cursor on line ${ctx.cursorLine}` : '';
    head = `The current file \`${ctx.path}\` (${ctx.languageId}, ${range}${cursor}):`;
  }
  const hidden = s.lines.length - s.count;
  const note = hidden > 0 ? `\n(${hidden} more line${hidden === 1 ? '' : 's'} not shown)` : '';
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(code) + 1));
  return `${head}\n${fence}${fenceLanguage(ctx.languageId)}\n${code}\n${fence}${note}`;
}

function longestBacktickRun(text: string): number {
  let best = 0;
  for (const m of text.matchAll(/`+/g)) best = Math.max(best, m[0].length);
  return best;
}

const FENCE_NAMES: Readonly<Record<string, string>> = {
  typescriptreact: 'tsx',
  javascriptreact: 'jsx',
  shellscript: 'bash',
  plaintext: '',
};

function fenceLanguage(languageId: string): string {
  const name = FENCE_NAMES[languageId] ?? languageId;
  return /^[\w+#.-]*$/.test(name) ? name : '';
}
