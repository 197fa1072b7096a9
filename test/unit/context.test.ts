import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildContext, selectExtras, splitBudget, type ContextBudget, type ExtraChunk } from '../../server/src/inline/context';
import { WordTokenizer } from './word-tokenizer';

const QUEUE = readFileSync(join(__dirname, 'fixtures/queue.ts.txt'), 'utf8');
const STATS = readFileSync(join(__dirname, 'fixtures/stats.py.txt'), 'utf8');
const tok = new WordTokenizer();

/** Cursor right after the first occurrence of `after` (plus `skip` characters). */
function cursor(text: string, after: string, skip = 0): { offset: number; line: number } {
  const i = text.indexOf(after);
  assert.ok(i >= 0, `marker not found: ${after}`);
  const offset = i + after.length + skip;
  return { offset, line: text.slice(0, offset).split('\n').length - 1 };
}

const BIG: ContextBudget = { prefixTokens: 100000, suffixTokens: 100000, extraTokens: 0 };

function ctx(text: string, at: { offset: number; line: number }, budget = BIG, extra: Partial<Parameters<typeof buildContext>[0]> = {}) {
  return buildContext({ text, ...at, uri: 'file:///w/a.ts', path: 'a.ts', budget, extras: [], countTokens: tok.count, ...extra });
}

describe('buildContext: windows around the cursor', () => {
  const cases: { name: string; text: string; after: string; prefixEnds: string; live: string; suffixStarts: string; lineSuffix: string }[] = [
    { name: 'end of a statement line', text: QUEUE, after: 'this.jobs.splice(i, 1);', prefixEnds: 'if (i < 0) return false;\n', live: '    this.jobs.splice(i, 1);', suffixStarts: '\n    return true;', lineSuffix: '' },
    { name: 'inside an argument list', text: QUEUE, after: 'this.jobs.splice(i, ', prefixEnds: 'while (i > 0 && this.jobs[i - 1].priority < job.priority) i--;\n', live: '    this.jobs.splice(i, ', suffixStarts: '0, job);\n', lineSuffix: '0, job);' },
    { name: 'empty line in a Python function', text: STATS, after: 'mean = sum(values) / n\n', prefixEnds: 'mean = sum(values) / n\n', live: '', suffixStarts: '    if n == 1:', lineSuffix: '    if n == 1:' },
    { name: 'start of the document', text: STATS, after: '', prefixEnds: '', live: '', suffixStarts: 'import math\n', lineSuffix: 'import math' },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const at = cursor(c.text, c.after);
      const r = ctx(c.text, at);
      assert.ok(r.prefix.endsWith(c.prefixEnds), `prefix ends with ${JSON.stringify(r.prefix.slice(-80))}`);
      assert.equal(r.live, c.live);
      assert.ok(r.suffix.startsWith(c.suffixStarts), `suffix starts with ${JSON.stringify(r.suffix.slice(0, 40))}`);
      assert.equal(r.lineSuffix, c.lineSuffix);
      assert.equal(r.prefix + r.live + r.suffix, c.text, 'the whole document fits the big budget');
      assert.ok(r.atDocumentStart && r.atDocumentEnd);
    });
  }
});

describe('buildContext: budgets in tokens, edges in steps', () => {
  const at = cursor(QUEUE, 'private pump(): void {\n    while');
  it('keeps the prefix within budget and starts it on a multiple of the quantum', () => {
    for (const prefixTokens of [40, 60, 90, 130, 200]) {
      const r = ctx(QUEUE, at, { prefixTokens, suffixTokens: 30, extraTokens: 0 });
      assert.ok(tok.count(r.prefix) + tok.count(r.live) <= prefixTokens, `prefix over budget ${prefixTokens}`);
      // With room for fewer than 8 lines the step gets finer.
      const step = at.line - r.prefixStartLine >= 8 ? 8 : 1;
      assert.equal(r.prefixStartLine % step, 0, `start line ${r.prefixStartLine} not quantized (budget ${prefixTokens})`);
      // The window starts on that line (or, when not even one line fits, inside it).
      assert.ok((QUEUE.split('\n')[r.prefixStartLine] as string).endsWith(r.prefix.split('\n')[0] as string));
      assert.ok(!r.atDocumentStart);
    }
  });
  it('keeps the suffix within budget in whole lines, a multiple of the quantum', () => {
    const r = ctx(QUEUE, at, { prefixTokens: 100, suffixTokens: 120, extraTokens: 0 });
    assert.ok(tok.count(r.suffix) <= 120);
    assert.equal(r.nextLines.length % 8, 0);
    assert.ok(r.nextLines.length > 0);
    assert.ok(r.suffix.endsWith('\n'));
    assert.ok(!r.atDocumentEnd);
  });
  it('also keeps the windows within the model\'s character limits', () => {
    const r = ctx(QUEUE, at, BIG, { maxPrefixChars: 300, maxSuffixChars: 200 });
    assert.ok(r.prefix.length <= 300 && r.prefix.length > 150, `prefix ${r.prefix.length}`);
    assert.ok(r.suffix.length <= 200 + r.lineSuffix.length + 1, `suffix ${r.suffix.length}`);
    assert.ok(r.prefix.startsWith((QUEUE.split('\n')[r.prefixStartLine] as string)));
  });
  it('cuts a line longer than the budget at a 64-character step', () => {
    const long = 'const data = [' + Array.from({ length: 300 }, (_, i) => i).join(', ') + '];\n';
    const text = long + 'console.log(data.length);\n';
    const r = ctx(text, { offset: long.length, line: 1 }, { prefixTokens: 200, suffixTokens: 20, extraTokens: 0 });
    assert.ok(tok.count(r.prefix) <= 200 - 32);
    assert.ok(r.prefix.length > 0 && (long.length - r.prefix.length) % 64 === 0);
  });
});

describe('buildContext: stable while typing', () => {
  // Re-type the body of `remove` one character at a time and check what moves.
  const start = QUEUE.indexOf('    const i = this.jobs.findIndex');
  const end = QUEUE.indexOf('  private pump');
  const typed = QUEUE.slice(start, end);
  const budget: ContextBudget = { prefixTokens: 120, suffixTokens: 60, extraTokens: 0 };
  it('the frozen prefix changes only on new lines and the suffix never', () => {
    let prevPrefix: string | undefined;
    let prefixChanges = 0;
    const suffixes = new Set<string>();
    for (let n = 0; n <= typed.length; n++) {
      const text = QUEUE.slice(0, start) + typed.slice(0, n) + QUEUE.slice(end);
      const offset = start + n;
      const line = text.slice(0, offset).split('\n').length - 1;
      const r = ctx(text, { offset, line }, budget);
      assert.equal(r.prefix + r.live, text.slice(offset - r.prefix.length - r.live.length, offset));
      assert.ok(!r.live.includes('\n'));
      suffixes.add(r.suffix);
      if (prevPrefix !== undefined && r.prefix !== prevPrefix) {
        prefixChanges++;
        assert.ok(typed[n - 1] === '\n', `prefix moved on a keystroke that was not Enter (${JSON.stringify(typed[n - 1])})`);
      }
      prevPrefix = r.prefix;
    }
    assert.equal(suffixes.size, 1, 'the suffix window must not change while typing before it');
    assert.ok(prefixChanges <= typed.split('\n').length, `${prefixChanges} prefix changes`);
  });
  it('PSM anchoring: the live part spans the cursor’s group of lines', () => {
    const at = cursor(QUEUE, 'if (i < 0) return false;\n    this.jobs');
    const r = ctx(QUEUE, at, budget, { anchorLines: 4 });
    const anchorLine = Math.floor(at.line / 4) * 4;
    assert.ok(r.live.startsWith(QUEUE.split('\n')[anchorLine] as string));
    assert.equal(r.live.split('\n').length - 1, at.line - anchorLine);
  });
});

describe('extra chunks', () => {
  const chunk = (uri: string, seq: number, lines: number): ExtraChunk => ({
    uri, path: uri.replace('file:///w/', ''), seq, text: Array.from({ length: lines }, (_, i) => `const v${seq}_${i} = ${i};`).join('\n') + '\n',
  });
  const cases: { name: string; ring: ExtraChunk[]; budget: number; want: number[] }[] = [
    { name: 'all fit, ring order', ring: [chunk('file:///w/b.ts', 3, 2), chunk('file:///w/c.ts', 1, 2)], budget: 1000, want: [1, 3] },
    { name: 'own file left out', ring: [chunk('file:///w/a.ts', 1, 2), chunk('file:///w/b.ts', 2, 2)], budget: 1000, want: [2] },
    { name: 'newest win when tight', ring: [chunk('file:///w/b.ts', 1, 8), chunk('file:///w/c.ts', 2, 8), chunk('file:///w/d.ts', 3, 8)], budget: 200, want: [2, 3] },
    { name: 'nothing fits', ring: [chunk('file:///w/b.ts', 1, 50)], budget: 30, want: [] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const got = selectExtras(c.ring, 'file:///w/a.ts', c.budget, tok.count).map((x) => x.seq);
      assert.deepEqual(got, c.want);
    });
  }
  it('splitBudget shares a total', () => {
    assert.deepEqual(splitBudget(1000, 20, 25, true), { prefixTokens: 550, suffixTokens: 200, extraTokens: 250 });
    assert.deepEqual(splitBudget(1000, 20, 25, false), { prefixTokens: 800, suffixTokens: 200, extraTokens: 0 });
  });
});
