import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { debounceDelay, LatencyTracker, TypingSpeed } from '../../client/src/debounce';
import { onCrash } from '../../client/src/restart';
import { ExtraContextRing } from '../../server/src/inline/ring';

describe('debounceDelay', () => {
  const rows: { name: string; typing?: number; latency?: number; adaptive?: boolean; want: number }[] = [
    { name: 'no typing history: the minimum', want: 40 },
    { name: 'adaptive off', typing: 30, latency: 500, adaptive: false, want: 40 },
    { name: '10 characters/s with fast completions', typing: 100, latency: 50, want: 40 },
    { name: '10 characters/s with slow completions: wait for a pause', typing: 100, latency: 250, want: 150 },
    { name: 'a burst faster than 60 ms a key', typing: 40, latency: 30, want: 60 },
    { name: 'capped', typing: 1000, latency: 5000, want: 400 },
  ];
  for (const r of rows) {
    it(r.name, () => assert.equal(debounceDelay({ minMs: 40, adaptive: r.adaptive ?? true, typingGapMs: r.typing, latencyMs: r.latency }), r.want));
  }
  it('TypingSpeed: median of recent gaps, pauses ignored', () => {
    const t = new TypingSpeed();
    for (const at of [0, 100, 210, 300, 5000, 5090]) t.keystroke(at);
    assert.equal(t.medianGapMs(), 100);
  });
  it('LatencyTracker: median of the last values', () => {
    const l = new LatencyTracker(3);
    for (const v of [500, 10, 20, 30]) l.add(v);
    assert.equal(l.medianMs(), 20);
  });
});

describe('ExtraContextRing', () => {
  const code = (name: string, n: number) => Array.from({ length: n }, (_, i) => `export const ${name}${i} = compute(${i});`).join('\n') + '\n';
  function setup() {
    const docs = new Map<string, TextDocument>();
    const add = (uri: string, text: string) => docs.set(uri, TextDocument.create(uri, 'typescript', 1, text));
    const ring = new ExtraContextRing((u) => docs.get(u), (u) => u.replace('file:///w/', ''), { chunkLines: 8, maxChunks: 3 });
    return { docs, add, ring };
  }

  it('opening a file adds its first chunk; blank chunks are skipped', () => {
    const { add, ring, docs } = setup();
    add('file:///w/a.ts', code('a', 20));
    add('file:///w/blank.ts', '\n\n\n\n');
    ring.noteOpen(docs.get('file:///w/a.ts') as TextDocument);
    ring.noteOpen(docs.get('file:///w/blank.ts') as TextDocument);
    const chunks = ring.forRequest('file:///w/b.ts');
    assert.equal(chunks.length, 1);
    assert.equal(chunks[0]?.path, 'a.ts');
    assert.equal(chunks[0]?.text.split('\n').length - 1, 8);
  });

  it('edits enter the ring when the user moves to another document, not while typing in it', () => {
    const { add, ring } = setup();
    add('file:///w/a.ts', code('a', 40));
    ring.forRequest('file:///w/a.ts');
    ring.noteEdit('file:///w/a.ts', 19);
    assert.equal(ring.forRequest('file:///w/a.ts').length, 0, 'still in a.ts: the ring does not change');
    const chunks = ring.forRequest('file:///w/b.ts');
    assert.equal(chunks.length, 1);
    assert.ok(chunks[0]?.text.startsWith('export const a16 '), 'the chunk is aligned to 8 lines');
  });

  it('keeps the newest chunks, replaces a chunk of the same place, and never grows past the limit', () => {
    const { add, ring } = setup();
    for (const n of ['a', 'b', 'c', 'd']) add(`file:///w/${n}.ts`, code(n, 10));
    for (const n of ['a', 'b', 'c', 'd']) {
      ring.noteEdit(`file:///w/${n}.ts`, 1);
      ring.noteSave(TextDocument.create(`file:///w/${n}.ts`, 'typescript', 1, ''));
    }
    ring.noteEdit('file:///w/c.ts', 2);
    ring.forRequest('file:///w/z.ts');
    const paths = ring.forRequest('file:///w/z.ts').map((c) => c.path);
    assert.deepEqual(paths, ['b.ts', 'd.ts', 'c.ts']);
  });
});

describe('restart policy (client/src/restart.ts)', () => {
  it('backs off, then gives up after five crashes in three minutes', () => {
    let history: number[] = [];
    const delays: (number | 'give up')[] = [];
    for (const t of [0, 10_000, 20_000, 30_000, 40_000, 50_000]) {
      const r = onCrash(history, t);
      history = r.history;
      delays.push(r.decision.restart ? r.decision.delayMs : 'give up');
    }
    assert.deepEqual(delays, [1000, 2000, 4000, 8000, 16000, 'give up']);
    // Old crashes fall out of the window.
    const later = onCrash(history, 50_000 + 3 * 60_000);
    assert.deepEqual(later.decision, { restart: true, delayMs: 1000, crashes: 1 });
  });
});
