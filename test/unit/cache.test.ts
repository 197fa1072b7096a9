import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CompletionCache, type CacheKey } from '../../server/src/inline/cache';

const DOC = 'export function drain(queue: JobQueue): Promise<void> {\n  return new Promise((resolve) => {\n    const check = () => ';
const SUFFIX = '\n  });\n}\n';

function key(prefix: string, partial: Partial<CacheKey> = {}): CacheKey {
  return { uri: 'file:///w/queue.ts', variant: 'spm/block', prefix, suffix: SUFFIX, ...partial };
}

describe('CompletionCache', () => {
  const suggestion = '(queue.size === 0 ? resolve() : setTimeout(check, 10));';
  const rows: { name: string; lookup: CacheKey; wanted?: number; want: { kind: string; items: string[]; typed: string } | undefined }[] = [
    { name: 'exact hit', lookup: key(DOC), want: { kind: 'exact', items: [suggestion], typed: '' } },
    { name: 'typed the first character', lookup: key(DOC + '('), want: { kind: 'typed-through', items: [suggestion.slice(1)], typed: '(' } },
    { name: 'typed a word', lookup: key(DOC + '(queue.si'), want: { kind: 'typed-through', items: [suggestion.slice(9)], typed: '(queue.si' } },
    { name: 'typed something else', lookup: key(DOC + '(queue.le'), want: undefined },
    { name: 'typed all of it', lookup: key(DOC + suggestion), want: undefined },
    { name: 'other document', lookup: key(DOC, { uri: 'file:///w/other.ts' }), want: undefined },
    { name: 'other suffix', lookup: key(DOC, { suffix: ')' + SUFFIX }), want: undefined },
    { name: 'other prompt variant', lookup: key(DOC, { variant: 'psm/block' }), want: undefined },
    { name: 'explicit trigger wants more candidates', lookup: key(DOC), wanted: 3, want: undefined },
    { name: 'typed past the walk-back limit', lookup: key(DOC + suggestion.slice(0, -1).padEnd(80, ' ')), want: undefined },
  ];
  for (const r of rows) {
    it(r.name, () => {
      const cache = new CompletionCache({ maxTypedChars: 64 });
      cache.set(key(DOC), { items: [suggestion], wanted: 1 });
      assert.deepEqual(cache.get(r.lookup, r.wanted ?? 1), r.want);
    });
  }

  it('typed-through across a newline keeps the remaining lines', () => {
    const cache = new CompletionCache();
    const prefix = '  remove(id: number): boolean {';
    cache.set(key(prefix), { items: ['\n    const i = this.jobs.findIndex((j) => j.id === id);\n    return i >= 0;'], wanted: 1 });
    assert.deepEqual(cache.get(key(prefix + '\n    const i')), {
      kind: 'typed-through', typed: '\n    const i', items: [' = this.jobs.findIndex((j) => j.id === id);\n    return i >= 0;'],
    });
  });

  it('several candidates: only those that match what was typed', () => {
    const cache = new CompletionCache();
    cache.set(key(DOC), { items: ['resolve();', 'reject();', 'setTimeout(check, 10);'], wanted: 3 });
    assert.deepEqual(cache.get(key(DOC + 're'), 3)?.items, ['solve();', 'ject();']);
    assert.deepEqual(cache.get(key(DOC + 'res'), 1)?.items, ['olve();']);
  });

  it('remembers "nothing to suggest" for exact hits only', () => {
    const cache = new CompletionCache();
    cache.set(key(DOC), { items: [], wanted: 1 });
    assert.deepEqual(cache.get(key(DOC)), { kind: 'exact', items: [], typed: '' });
    assert.equal(cache.get(key(DOC + 'x')), undefined);
  });

  it('a whitespace-only rest is not a hit', () => {
    const cache = new CompletionCache();
    cache.set(key(DOC), { items: ['done();\n'], wanted: 1 });
    assert.equal(cache.get(key(DOC + 'done();')), undefined);
  });

  it('evicts the least recently used entry and clears per document', () => {
    const cache = new CompletionCache({ maxEntries: 2 });
    cache.set(key('a'), { items: ['1'], wanted: 1 });
    cache.set(key('b'), { items: ['2'], wanted: 1 });
    assert.ok(cache.get(key('a')));
    cache.set(key('c'), { items: ['3'], wanted: 1 });
    assert.equal(cache.get(key('b')), undefined);
    assert.ok(cache.get(key('a')) && cache.get(key('c')));
    cache.set(key('d', { uri: 'file:///w/other.ts' }), { items: ['4'], wanted: 1 });
    cache.clear('file:///w/queue.ts');
    assert.equal(cache.size, 1);
  });
});
