import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CacheKey } from '../../server/src/inline/cache';
import { Flights } from '../../server/src/inline/flights';
import { partialCompletion, type PostprocessInput } from '../../server/src/inline/postprocess';

const PP: PostprocessInput = { linePrefix: '  const total = sum(', lineSuffix: ');', nextLines: ['}'], multiline: 'auto', maxLines: 8 };

const key = (prefix: string, partial: Partial<CacheKey> = {}): CacheKey => ({ uri: 'file:///w/a.ts', variant: 'spm|line', prefix, suffix: ');\n}\n', ...partial });

/** A generation that streams `text` one character per tick and resolves with it, or undefined when aborted. */
function streaming(text: string, tickMs = 2) {
  return async (signal: AbortSignal, onProgress: (t: string) => void): Promise<string[] | undefined> => {
    for (let i = 1; i <= text.length; i++) {
      await new Promise((r) => setTimeout(r, tickMs));
      if (signal.aborted) return undefined;
      onProgress(text.slice(0, i));
    }
    return [text];
  };
}

describe('Flights', () => {
  const prefix = '  const total = sum(';
  it('a request whose typed text agrees with the generation joins it', async () => {
    const f = new Flights(1000);
    const flight = f.start(key(prefix), PP, streaming('values.map((v) => v * 2)', 2));
    await new Promise((r) => setTimeout(r, 20));
    const j = f.find(key(prefix + 'val'));
    assert.ok(j);
    assert.equal(j.typed, 'val');
    assert.deepEqual(await f.join(j.flight, new AbortController().signal), { candidates: ['values.map((v) => v * 2)'], partial: false });
    assert.equal(flight.settled, true);
  });

  const rows: { name: string; at: CacheKey; wait?: number; want: boolean }[] = [
    { name: 'same position', at: key(prefix), want: true },
    { name: 'typed ahead of a generation that has begun', at: key(prefix + 'values.ma'), wait: 6, want: true },
    { name: 'typed while nothing is generated yet', at: key(prefix + 'v'), wait: 0, want: false },
    { name: 'typed something else', at: key(prefix + 'x'), wait: 10, want: false },
    { name: 'another suffix', at: key(prefix, { suffix: ')\n' }), want: false },
    { name: 'another document', at: key(prefix, { uri: 'file:///w/b.ts' }), want: false },
    { name: 'deleted a character', at: key(prefix.slice(0, -1)), want: false },
  ];
  for (const r of rows) {
    it(`find: ${r.name}`, async () => {
      const f = new Flights(1000);
      f.start(key(prefix), PP, streaming('values.map((v) => v * 2)', 2));
      if (r.wait) await new Promise((res) => setTimeout(res, r.wait));
      assert.equal(f.find(r.at) !== undefined, r.want);
      f.cancelAll();
    });
  }

  it('a generation nobody waits for stops after the grace period; one someone joins goes on', async () => {
    const f = new Flights(30);
    let aborted = false;
    const flight = f.start(key(prefix), PP, async (signal, onProgress) => {
      onProgress('v');
      await new Promise((r) => setTimeout(r, 200));
      aborted = signal.aborted;
      return aborted ? undefined : ['values'];
    });
    const ac = new AbortController();
    const first = f.join(flight, ac.signal);
    ac.abort();
    assert.equal(await first, undefined, 'the cancelled request gets nothing');
    await new Promise((r) => setTimeout(r, 10));
    const second = f.find(key(prefix + 'v'));
    assert.ok(second, 'still joinable inside the grace period');
    assert.deepEqual(await f.join(second.flight, new AbortController().signal), { candidates: ['values'], partial: false });
    assert.equal(aborted, false);

    const g = f.start(key('other'), PP, async (signal) => {
      await new Promise((r) => setTimeout(r, 200));
      return signal.aborted ? undefined : ['x'];
    });
    const ac2 = new AbortController();
    const p = f.join(g, ac2.signal);
    ac2.abort();
    await p;
    assert.equal(await g.result, undefined, 'abandoned: stopped after the grace period');
  });

  it('answers early with whole words, then lets the generation finish for the requests that follow', async () => {
    const f = new Flights(10);
    const flight = f.start(key(prefix), PP, streaming('values.map((v) => v * 2)', 4));
    const early = await f.join(flight, new AbortController().signal, { afterMs: 30, partial: (p) => partialCompletion(p, PP) });
    assert.ok(early?.partial);
    const shown = early.candidates[0] as string;
    assert.ok('values.map((v) => v * 2)'.startsWith(shown) && shown.length < 24, shown);
    assert.ok(!/[a-z]$/.test(shown) || shown === 'values.map((v) => v * 2)', `no unfinished word at the end: ${shown}`);
    // Nobody waits now, but the answered generation is not stopped: it finishes.
    assert.deepEqual(await flight.result, ['values.map((v) => v * 2)']);
  });

  it('starting a new generation for the document stops the old one', async () => {
    const f = new Flights(1000);
    const a = f.start(key(prefix), PP, streaming('aaaa', 20));
    f.start(key(prefix + 'z'), PP, streaming('b', 1));
    assert.equal(await a.result, undefined);
  });
});
