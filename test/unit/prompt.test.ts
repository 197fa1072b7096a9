import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildContext, type ContextBudget } from '../../server/src/inline/context';
import { anchorLinesFor, buildPrompt, completionHints, healTail, resolvePromptMode, type PromptSpecials } from '../../server/src/inline/prompt';
import type { PromptMode } from '../../protocol/src/index';
import { WordTokenizer } from './word-tokenizer';

const QUEUE = readFileSync(join(__dirname, 'fixtures/queue.ts.txt'), 'utf8');
const FIM: PromptSpecials = { bos: 1, fimPre: 2, fimSuf: 3, fimMid: 4, fimSep: 5 };
const NO_FIM: PromptSpecials = { bos: 1, fimPre: -1, fimSuf: -1, fimMid: -1, fimSep: -1 };
const NAMES: Record<number, string> = { 1: '<bos>', 2: '<pre>', 3: '<suf>', 4: '<mid>', 5: '<sep>' };

describe('resolvePromptMode', () => {
  const cases: { name: string; special: PromptSpecials; meta: Record<string, string>; setting: PromptMode | 'auto'; want: PromptMode }[] = [
    { name: 'metadata says spm', special: FIM, meta: { 'trit.completion.prompt_mode': 'spm' }, setting: 'auto', want: 'spm' },
    { name: 'metadata says prefix', special: FIM, meta: { 'trit.completion.prompt_mode': 'prefix' }, setting: 'auto', want: 'prefix' },
    { name: 'metadata in capitals', special: FIM, meta: { 'trit.completion.prompt_mode': ' PSM ' }, setting: 'auto', want: 'psm' },
    { name: 'FIM tokens, no metadata', special: FIM, meta: {}, setting: 'auto', want: 'psm' },
    { name: 'no FIM tokens', special: NO_FIM, meta: {}, setting: 'auto', want: 'prefix' },
    { name: 'metadata asks FIM the model lacks', special: NO_FIM, meta: { 'trit.completion.prompt_mode': 'spm' }, setting: 'auto', want: 'prefix' },
    { name: 'unknown metadata value', special: FIM, meta: { 'trit.completion.prompt_mode': 'fancy' }, setting: 'auto', want: 'psm' },
    { name: 'setting wins', special: FIM, meta: { 'trit.completion.prompt_mode': 'spm' }, setting: 'prefix', want: 'prefix' },
    { name: 'impossible setting ignored', special: NO_FIM, meta: {}, setting: 'spm', want: 'prefix' },
  ];
  for (const c of cases) it(c.name, () => assert.equal(resolvePromptMode({ special: c.special, meta: c.meta }, c.setting), c.want));
});

describe('completionHints (from the model file)', () => {
  const rows: { meta: Record<string, string>; want: ReturnType<typeof completionHints> }[] = [
    { meta: {}, want: { oneLine: false, prefixChars: undefined, suffixChars: undefined } },
    { meta: { 'trit.completion.stop': 'newline', 'trit.completion.prefix_chars': '1500', 'trit.completion.suffix_chars': '500' }, want: { oneLine: true, prefixChars: 1500, suffixChars: 500 } },
    { meta: { 'trit.completion.stop': 'eot', 'trit.completion.prefix_chars': '-3', 'trit.completion.suffix_chars': 'lots' }, want: { oneLine: false, prefixChars: undefined, suffixChars: undefined } },
  ];
  for (const r of rows) it(JSON.stringify(r.meta), () => assert.deepEqual(completionHints(r.meta), r.want));
});

function render(tokens: readonly number[], tok: WordTokenizer): string {
  return tokens.map((t) => NAMES[t] ?? tok.decode([t])).join('');
}

describe('buildPrompt layouts', () => {
  const tok = new WordTokenizer();
  const text = 'function add(a, b) {\n  return a + b;\n}\n';
  const offset = text.indexOf('return a') + 'return a'.length;
  const ctx = buildContext({
    text, offset, line: 1, uri: 'file:///w/math.ts', path: 'src/math.ts', countTokens: tok.count,
    budget: { prefixTokens: 500, suffixTokens: 500, extraTokens: 500 },
    extras: [{ uri: 'file:///w/util.ts', path: 'src/util.ts', seq: 1, text: 'export const one = 1;\n' }],
  });
  const cases: { mode: PromptMode; special: PromptSpecials; want: string }[] = [
    { mode: 'spm', special: FIM, want: '<bos><sep>src/util.ts\nexport const one = 1;\n<bos><suf> + b;\n}\n<pre><sep>src/math.ts\nfunction add(a, b) {\n  return a<mid>' },
    { mode: 'psm', special: FIM, want: '<bos><sep>src/util.ts\nexport const one = 1;\n<bos><pre><sep>src/math.ts\nfunction add(a, b) {\n<suf> + b;\n}\n<mid>  return a' },
    { mode: 'prefix', special: FIM, want: '<bos><sep>src/util.ts\nexport const one = 1;\n<bos><sep>src/math.ts\nfunction add(a, b) {\n  return a' },
    { mode: 'prefix', special: NO_FIM, want: '<bos>function add(a, b) {\n  return a' },
    { mode: 'spm', special: NO_FIM, want: '<bos>function add(a, b) {\n  return a' },
  ];
  for (const c of cases) {
    it(`${c.mode}${c.special.fimPre < 0 ? ' without FIM tokens' : ''}`, () => {
      const p = buildPrompt(ctx, tok, { mode: c.mode, special: c.special, addBos: true, limit: 4096, heal: false });
      assert.equal(render(p.tokens, tok), c.want);
      assert.equal(render(p.tokens.slice(p.liveStart), tok), c.mode === 'spm' && c.special.fimPre >= 0 ? '  return a<mid>' : '  return a');
    });
  }
  it('heals a partly typed word', () => {
    const p = buildPrompt(ctx, tok, { mode: 'prefix', special: FIM, addBos: false, limit: 4096, heal: true });
    assert.equal(p.healed, ' a');
    assert.ok(render(p.tokens, tok).endsWith('{\n  return'));
  });
  it('drops other files first, then the far ends, to fit the limit', () => {
    const full = buildPrompt(ctx, tok, { mode: 'psm', special: FIM, addBos: true, limit: 4096, heal: false });
    for (const limit of [full.tokens.length - 1, 30, 20]) {
      const p = buildPrompt(ctx, tok, { mode: 'psm', special: FIM, addBos: true, limit, heal: false });
      assert.ok(p.tokens.length <= limit, `${p.tokens.length} > ${limit}`);
      assert.equal(p.extras, 0);
      assert.ok(render(p.tokens, tok).endsWith('<mid>  return a'));
      assert.ok(render(p.tokens, tok).startsWith('<bos><pre><sep>src/math.ts'));
    }
  });
});

describe('healTail', () => {
  const tok = new WordTokenizer();
  const cases: { text: string; healed: string }[] = [
    { text: '    const queue = new JobQu', healed: ' JobQu' },
    { text: '    return this.jo', healed: '.jo' },
    { text: '    for (let i = 0; i < n; i++) {', healed: '' },
    { text: '    x = ', healed: '' },
    { text: 'value', healed: 'value' },
    { text: '  const averyveryverylongidentifierthatkeepsgoing', healed: '' },
  ];
  for (const c of cases) {
    it(JSON.stringify(c.text), () => {
      const tokens = tok.encode(c.text);
      const h = healTail(tokens, tok);
      assert.equal(h.healed, c.healed);
      assert.equal(tok.decode(tokens.slice(0, h.keep)) + h.healed, c.text);
    });
  }
});

/** Tokens the engine evaluates for `next` after running `prev` on the same slot (longest common prefix reuse). */
function evaluated(prev: readonly number[], next: readonly number[]): number {
  let n = 0;
  while (n < prev.length && n < next.length && prev[n] === next[n]) n++;
  return Math.max(1, next.length - n);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

describe('KV prefix stays stable while typing', () => {
  // Re-type the body of JobQueue.pump (11 lines) into the file, one character at a time, and measure what each
  // keystroke's prompt shares with the previous one.
  const start = QUEUE.indexOf('    while (this.running < this.limit');
  const end = QUEUE.indexOf('  }\n}\n\nexport function drain');
  const typed = QUEUE.slice(start, end);
  const budget: ContextBudget = { prefixTokens: 300, suffixTokens: 120, extraTokens: 0 };

  function replay(mode: PromptMode, naive: boolean): number[] {
    const tok = new WordTokenizer();
    const out: number[] = [];
    let prev: number[] | undefined;
    for (let n = 1; n <= typed.length; n++) {
      const text = QUEUE.slice(0, start) + typed.slice(0, n) + QUEUE.slice(end);
      const offset = start + n;
      const line = text.slice(0, offset).split('\n').length - 1;
      const ctx = buildContext({ text, offset, line, uri: 'u', path: 'queue.ts', budget, extras: [], countTokens: tok.count, anchorLines: anchorLinesFor(mode) });
      if (naive) {
        // The textbook layout: the whole prefix before <fim_suf>, nothing after <fim_mid>.
        ctx.prefix += ctx.live;
        ctx.live = '';
      }
      const p = buildPrompt(ctx, tok, { mode, special: FIM, addBos: true, limit: 4096, heal: false });
      if (prev) out.push(evaluated(prev, p.tokens));
      prev = p.tokens;
    }
    return out;
  }

  for (const mode of ['spm', 'psm', 'prefix'] as const) {
    it(`${mode}: median ≤ 3 tokens evaluated per keystroke`, () => {
      const ev = replay(mode, false);
      assert.ok(median(ev) <= 3, `median ${median(ev)}`);
    });
  }
  it('psm: the anchored layout evaluates far fewer tokens than the textbook layout', () => {
    const anchored = replay('psm', false);
    const naive = replay('psm', true);
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    assert.ok(median(naive) > 30, `textbook median ${median(naive)}`);
    assert.ok(sum(anchored) * 5 < sum(naive), `anchored ${sum(anchored)} vs textbook ${sum(naive)}`);
  });
});
