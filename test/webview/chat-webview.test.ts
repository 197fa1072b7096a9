// The chat webview bundle in a real browser engine (headless Chromium) under the production CSP: the XSS corpus
// rendered as answers (whole and streamed) runs nothing, loads nothing and violates no CSP directive; and the
// controls behave: Enter / Shift+Enter / Esc, Copy and Insert on code blocks, the banner of a model that cannot chat,
// the draft kept across a reload of the page (what happens when the view is hidden and shown).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { XSS_CORPUS } from '../unit/xss-corpus';
import { chromiumPath, js, runPage } from './page';

const skip = chromiumPath() === undefined ? 'chromium is not installed (apt-get install chromium)' : false;

interface Posted {
  type: string;
  [k: string]: unknown;
}

describe('chat webview in Chromium', { skip }, () => {
  it('renders the XSS corpus, whole and streamed, without running or loading anything', async () => {
    const payloads = Object.values(XSS_CORPUS).flat().map((p, i) => p.replace(/alert\(1\)/g, `hit(${i})`));
    const driver = `
      const payloads = ${js(payloads)};
      host({ type: 'state', turns: payloads.map((p, i) => ({ id: 'a' + i, role: 'assistant', text: p, contexts: [], status: 'done' })),
             pending: [], info: null, busy: false, editor: { hasEditor: true, hasSelection: false } });
      await frames2();
      for (const [i, p] of payloads.entries()) {
        host({ type: 'turn', turn: { id: 's' + i, role: 'assistant', text: '', contexts: [], status: 'streaming' } });
        // Five-character pieces, painted once half-way (an unfinished tag or link) and once at the end.
        const half = Math.floor(p.length / 10) * 5;
        for (let k = 0; k < p.length; k += 5) {
          host({ type: 'delta', id: 's' + i, text: p.slice(k, k + 5) });
          if (k === half) await frames2();
        }
        host({ type: 'end', id: 's' + i, status: 'done' });
      }
      await frames2();
      for (const el of document.querySelectorAll('#log .body *')) {
        for (const t of ['click', 'mouseover', 'pointerenter', 'focus', 'error', 'load', 'toggle', 'animationstart']) {
          el.dispatchEvent(t === 'click' ? new MouseEvent('click', { bubbles: true, cancelable: true }) : new Event(t));
        }
      }
      await new Promise((r) => setTimeout(r, 300));
      for (const bar of document.querySelectorAll('.code-bar')) bar.remove();
      const tags = new Set(${js(['a', 'blockquote', 'br', 'code', 'del', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'kbd', 'li', 'ol', 'p', 'pre', 's', 'span', 'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'th', 'thead', 'tr', 'ul'])});
      const attrs = new Set(['href', 'title', 'class', 'start', 'colspan', 'rowspan', 'rel']);
      const bad = [];
      let elements = 0;
      for (const el of document.querySelectorAll('#log .body *')) {
        elements++;
        const ours = el.localName === 'div' && el.className === 'code-block';
        if (!ours && !tags.has(el.localName)) bad.push('<' + el.localName + '>');
        for (const a of el.attributes) if (!attrs.has(a.name)) bad.push(a.name + ' on <' + el.localName + '>');
      }
      done({ hits: __hits, violations: __violations, bad, elements, turns: document.querySelectorAll('.turn').length,
             location: location.pathname, posted: __posted.filter((m) => m.type !== 'ready') });
    `;
    const run = await runPage(driver);
    const r = run.results as { hits: number[]; violations: string[]; bad: string[]; elements: number; turns: number; location: string; posted: Posted[]; error?: string };
    assert.equal(r.error, undefined, r.error);
    assert.equal(r.turns, 2 * payloads.length, 'every payload was rendered twice');
    assert.ok(r.elements > payloads.length, 'the answers produced markup');
    assert.deepEqual(r.hits.map((i) => payloads[i]), [], 'payloads ran');
    assert.deepEqual(r.violations, [], 'the page tried to load or run something the CSP blocked');
    assert.deepEqual(r.bad, [], 'unsafe markup reached the DOM');
    assert.deepEqual(run.requests.sort(), ['/', '/chat.css', '/chat.js'], 'the page requested nothing else');
    assert.equal(r.location, '/', 'a click navigated the page');
    for (const m of r.posted.filter((p) => p.type === 'openLink')) assert.match(String(m.href), /^https?:\/\//);
  });

  it('keyboard: Enter sends, Shift+Enter and IME Enter do not, Esc stops, ArrowUp recalls', async () => {
    const driver = `
      host({ type: 'state', turns: [{ id: 'u1', role: 'user', text: 'first question', contexts: [], status: 'done' }], pending: [],
             info: { available: true, model: 'm', format: 'bitnet', contextLength: 512 }, busy: false, editor: { hasEditor: true, hasSelection: false } });
      const input = document.getElementById('input');
      const key = (k, o = {}) => input.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true, cancelable: true, ...o }));
      const sent = () => __posted.filter((m) => m.type === 'send').map((m) => m.text);
      input.value = 'line one'; key('Enter', { shiftKey: true });
      const afterShift = sent().length;
      key('Enter', { isComposing: true });
      const afterIme = sent().length;
      key('Enter');
      const afterEnter = sent();
      const cleared = input.value;
      key('ArrowUp');
      const recalled = input.value;
      input.value = '';
      host({ type: 'turn', turn: { id: 'a2', role: 'assistant', text: '', contexts: [], status: 'streaming' } });
      const stopShown = !document.getElementById('stop').hidden && document.getElementById('send').hidden;
      key('Escape');
      const stops = __posted.filter((m) => m.type === 'stop').length;
      input.value = 'while busy'; key('Enter');
      const whileBusy = sent().length;
      host({ type: 'end', id: 'a2', status: 'stopped', note: 'Stopped.' });
      await frames2();
      done({ afterShift, afterIme, afterEnter, cleared, recalled, stopShown, stops, whileBusy,
             note: document.querySelector('.turn.assistant .note')?.textContent, sendBack: !document.getElementById('send').hidden });
    `;
    const r = (await runPage(driver)).results as Record<string, unknown>;
    assert.equal(r.error, undefined, String(r.error));
    assert.equal(r.afterShift, 0, 'Shift+Enter sent');
    assert.equal(r.afterIme, 0, 'Enter during IME composition sent');
    assert.deepEqual(r.afterEnter, ['line one']);
    assert.equal(r.cleared, '');
    assert.equal(r.recalled, 'first question');
    assert.equal(r.stopShown, true);
    assert.equal(r.stops, 1, 'Esc sends stop while an answer streams');
    assert.equal(r.whileBusy, 1, 'no second message while an answer streams');
    assert.equal(r.note, 'Stopped.');
    assert.equal(r.sendBack, true);
  });

  it('code blocks: Copy and Insert send the exact code; the label follows the editor', async () => {
    const code = 'def f(x):\n    return x < 1 and "<b>"\n';
    const driver = `
      host({ type: 'state', turns: [{ id: 'a1', role: 'assistant', text: ${js('Try:\n\n```python\n' + code + '```\n')}, contexts: [], status: 'done' }],
             pending: [], info: null, busy: false, editor: { hasEditor: true, hasSelection: false } });
      await frames2();
      const button = (a) => document.querySelector('button[data-action="' + a + '"]');
      const label1 = button('insert').textContent;
      button('copy').click();
      button('insert').click();
      host({ type: 'editor', editor: { hasEditor: true, hasSelection: true } });
      const label2 = button('insert').textContent;
      host({ type: 'editor', editor: { hasEditor: false, hasSelection: false } });
      const disabled = button('insert').disabled;
      done({ label1, label2, disabled, lang: document.querySelector('.code-lang').textContent,
             posted: __posted.filter((m) => m.type === 'copy' || m.type === 'insert') });
    `;
    const r = (await runPage(driver)).results as { label1: string; label2: string; disabled: boolean; lang: string; posted: Posted[] };
    assert.equal(r.label1, 'Insert at cursor');
    assert.equal(r.label2, 'Replace selection');
    assert.equal(r.disabled, true);
    assert.equal(r.lang, 'python');
    assert.deepEqual(r.posted, [{ type: 'copy', code }, { type: 'insert', code }]);
  });

  it('a model that cannot chat: the banner says why and offers the fix; input is disabled', async () => {
    const reason = 'The model "trit-code" is a code-completion (fill-in-the-middle) model without a chat format. Chat needs a chat model.';
    const driver = `
      host({ type: 'state', turns: [], pending: [], info: { available: false, model: 'trit-code', format: 'none', reason: ${js(reason)}, contextLength: 2048 },
             busy: false, editor: { hasEditor: false, hasSelection: false } });
      await frames2();
      const banner = document.getElementById('banner');
      banner.querySelector('button[data-command="selectModel"]').click();
      done({ hidden: banner.hidden, text: banner.textContent, inputDisabled: document.getElementById('input').disabled,
             posted: __posted.filter((m) => m.type === 'command') });
    `;
    const r = (await runPage(driver, { screenshot: undefined })).results as { hidden: boolean; text: string; inputDisabled: boolean; posted: Posted[] };
    assert.equal(r.hidden, false);
    assert.ok(r.text.includes(reason));
    assert.equal(r.inputDisabled, true);
    assert.deepEqual(r.posted, [{ type: 'command', command: 'selectModel' }]);
  });

  it('keeps the draft across a reload (the view hidden and shown again)', async () => {
    const first = (await runPage(`
      const input = document.getElementById('input');
      input.value = 'half-typed question'; input.dispatchEvent(new Event('input'));
      done({ saved: acquireVsCodeApi().getState() });
    `)).results as { saved: unknown };
    assert.deepEqual(first.saved, { draft: 'half-typed question' });
    const second = (await runPage(`done({ value: document.getElementById('input').value })`, { savedState: first.saved })).results as { value: string };
    assert.equal(second.value, 'half-typed question');
  });

  it('attachments: chips show file and lines, and can be removed', async () => {
    const driver = `
      host({ type: 'pending', pending: [{ kind: 'selection', path: 'src/a.ts', languageId: 'typescript', startLine: 3, endLine: 9 },
                                        { kind: 'file', path: 'b.py', languageId: 'python', startLine: 1, endLine: 1 }] });
      const chips = [...document.querySelectorAll('#chips .chip')].map((c) => c.firstChild.textContent);
      document.querySelectorAll('#chips .chip-remove')[1].click();
      done({ chips, posted: __posted.filter((m) => m.type === 'removeContext') });
    `;
    const r = (await runPage(driver)).results as { chips: string[]; posted: Posted[] };
    assert.deepEqual(r.chips, ['src/a.ts:3-9', 'b.py:1']);
    assert.deepEqual(r.posted, [{ type: 'removeContext', index: 1 }]);
  });
});
