// The chat's markdown renderer against an XSS corpus. Model output is untrusted: whatever it writes, the rendered DOM
// must hold only plain formatting — no script, no event handler, no URL other than http(s)/#anchor, no element that
// loads anything (img, svg, iframe, object, embed, video, link, style, form…), no style attribute. Each payload is
// checked through the whole pipeline (markdown → HTML → sanitiser) and through the sanitiser alone (as if the
// markdown layer had let raw HTML through), and again after serialising and re-parsing (mutation XSS).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { JSDOM } from 'jsdom';
import type { WindowLike } from 'dompurify';
import { createRenderer } from '../../media/src/markdown';
import { XSS_CORPUS } from './xss-corpus';

const dom = new JSDOM('<!doctype html><html><body></body></html>', { url: 'https://webview.invalid/index.html' });
const win = dom.window;
const renderer = createRenderer(win as unknown as WindowLike & { document: Document });

const TAGS = new Set([
  'a', 'blockquote', 'br', 'code', 'del', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'kbd', 'li', 'ol', 'p',
  'pre', 's', 'span', 'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'th', 'thead', 'tr', 'ul',
]);
const ATTRS = new Set(['href', 'title', 'class', 'start', 'colspan', 'rowspan', 'rel']);

/** Every reason `root` is unsafe (empty when it is safe). */
function violations(root: ParentNode): string[] {
  const found: string[] = [];
  for (const el of Array.from(root.querySelectorAll('*'))) {
    const tag = el.localName;
    if (!TAGS.has(tag) || el.namespaceURI !== 'http://www.w3.org/1999/xhtml') found.push(`element <${tag}> (${el.namespaceURI})`);
    for (const attr of Array.from(el.attributes)) {
      const name = attr.name.toLowerCase();
      if (!ATTRS.has(name)) found.push(`attribute ${name} on <${tag}>`);
      if (name === 'href' && !/^(?:https?:\/\/[^\s]|#)/i.test(attr.value)) found.push(`href ${JSON.stringify(attr.value)}`);
      if (name === 'href' && tag !== 'a') found.push(`href on <${tag}>`);
      if (name === 'class') {
        for (const c of attr.value.split(/\s+/).filter(Boolean)) {
          if (!/^(?:hljs(?:-[a-z0-9_-]+)?|[a-z]+_+|language-[a-z0-9_+#.-]+)$/i.test(c)) found.push(`class ${c}`);
        }
      }
      if (/url\s*\(|expression\s*\(|javascript:|vbscript:/i.test(attr.value) && name !== 'title') found.push(`${name}=${attr.value}`);
    }
  }
  return found;
}

function serialize(fragment: DocumentFragment): string {
  const div = win.document.createElement('div');
  div.appendChild(fragment.cloneNode(true));
  return div.innerHTML;
}

function reparsed(html: string): DocumentFragment {
  const t = win.document.createElement('template');
  t.innerHTML = html;
  return t.content;
}

function assertSafe(fragment: DocumentFragment, payload: string, layer: string): void {
  const v = violations(fragment);
  assert.deepEqual(v, [], `${layer} let through ${v.join('; ')} for payload ${JSON.stringify(payload)}`);
  const again = violations(reparsed(serialize(fragment)));
  assert.deepEqual(again, [], `${layer} output re-parsed is unsafe (${again.join('; ')}) for ${JSON.stringify(payload)}`);
}

describe('markdown sanitisation: XSS corpus', () => {
  for (const [category, payloads] of Object.entries(XSS_CORPUS)) {
    it(`${category} (${payloads.length} payloads): full pipeline`, () => {
      for (const p of payloads) assertSafe(renderer.render(p), p, 'markdown pipeline');
    });
    it(`${category}: sanitiser alone, on raw HTML`, () => {
      for (const p of payloads) assertSafe(renderer.sanitize(p), p, 'sanitiser');
    });
    it(`${category}: inside lists, quotes, tables and links`, () => {
      for (const p of payloads) {
        for (const wrapped of [`- item ${p}`, `> ${p}`, `| a | b |\n|---|---|\n| ${p} | x |`, `**${p}**`, `[${p}](https://ok.example)`]) {
          assertSafe(renderer.render(wrapped), wrapped, 'markdown pipeline');
        }
      }
    });
  }

  it('random mixtures of payloads and markdown stay safe', () => {
    const all = Object.values(XSS_CORPUS).flat();
    const glue = ['\n', '\n\n', ' ', '```\n', '`', '> ', '- ', '[', '](', ')', '<', '>', '"', "'", '=', '&', '#', '*', '|'];
    let seed = 0x2545f491;
    const rand = (n: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    for (let i = 0; i < 200; i++) {
      let text = '';
      for (let k = 0, n = 2 + rand(5); k < n; k++) text += all[rand(all.length)] + glue[rand(glue.length)];
      assertSafe(renderer.render(text), text, 'markdown pipeline');
      assertSafe(renderer.sanitize(text), text, 'sanitiser');
    }
  });
});

describe('markdown sanitisation: nothing runs in a live document', () => {
  // Each payload calls hit(<its index>) instead of alert(1). The outputs are loaded into a document that runs
  // scripts and inline handlers, and every element gets the events those handlers listen for. The control run with
  // the raw payloads proves the harness notices code that runs.
  const payloads = Object.values(XSS_CORPUS).flat().map((p, i) => p.replace(/alert\(1\)/g, `hit(${i})`));
  const events = ['click', 'mouseover', 'pointerenter', 'focus', 'error', 'load', 'toggle', 'change', 'animationstart'];

  function ran(html: string): number[] {
    const hits: number[] = [];
    const live = new JSDOM(`<!doctype html><body>${html}</body>`, {
      runScripts: 'dangerously',
      beforeParse: (w) => Object.assign(w, { hit: (i: number) => hits.push(i) }),
    });
    for (const el of Array.from(live.window.document.querySelectorAll('*'))) {
      for (const type of events) el.dispatchEvent(new live.window.Event(type));
    }
    live.window.close();
    return [...new Set(hits)];
  }

  it('control: the raw payloads do run', () => {
    // One document per payload: raw payloads are not well-formed and would swallow each other.
    const hits = payloads.filter((p) => ran(p).length > 0);
    assert.ok(hits.length >= 20, `only ${hits.length} raw payloads ran: ${hits.join(' | ')}`);
  });

  it('no rendered or sanitised payload runs', () => {
    const rendered = payloads.map((p) => `<div>${serialize(renderer.render(p))}</div>`).join('\n');
    assert.deepEqual(ran(rendered).map((i) => payloads[i]), []);
    const sanitised = payloads.map((p) => `<div>${serialize(renderer.sanitize(p))}</div>`).join('\n');
    assert.deepEqual(ran(sanitised).map((i) => payloads[i]), []);
  });
});

describe('markdown rendering: what must still work', () => {
  const html = (md: string): string => serialize(renderer.render(md));

  it('headings, emphasis, lists, quotes, tables, inline code', () => {
    const out = html('# Title\n\nSome **bold** and *em* and `code`.\n\n- a\n- b\n\n1. one\n2. two\n\n> quote\n\n| x | y |\n|---|---|\n| 1 | 2 |');
    for (const frag of ['<h1>Title</h1>', '<strong>bold</strong>', '<em>em</em>', '<code>code</code>', '<li>a</li>', '<ol>', '<blockquote>', '<table>', '<td>1</td>']) {
      assert.ok(out.includes(frag), `${frag} missing in ${out}`);
    }
  });

  it('keeps https links with rel=noopener, drops other schemes but keeps their text', () => {
    assert.equal(html('[docs](https://example.com/a?b=1)'), '<p><a href="https://example.com/a?b=1" rel="noopener noreferrer">docs</a></p>\n');
    const js = html('[click me](javascript:alert(1))');
    assert.ok(js.includes('click me') && !js.includes('<a href'), js);
  });

  it('highlights fenced code with highlight.js classes', () => {
    const out = html('```typescript\nconst x: number = 1; // one\n```');
    assert.match(out, /<pre><code class="language-typescript"><span class="hljs-keyword">const<\/span>/);
    assert.match(out, /<span class="hljs-comment">\/\/ one<\/span>/);
  });

  it('shows HTML in a code block as text, exactly', () => {
    const code = '<script>alert(1)</script>\n<img src=x onerror=alert(1)>';
    const frag = renderer.render('```html\n' + code + '\n```');
    const el = frag.querySelector('pre > code');
    assert.ok(el);
    assert.equal(el.textContent, code + '\n');
    assert.deepEqual(violations(frag), []);
  });

  it('shows raw HTML outside code as text', () => {
    const frag = renderer.render('Use <b onclick="x()">bold</b> here');
    assert.equal(frag.textContent?.trim(), 'Use <b onclick="x()">bold</b> here');
  });

  it('shows an image as its alt text, never as <img>', () => {
    const out = html('![a diagram](https://example.com/d.png)');
    assert.ok(out.includes('[image: a diagram]') && !out.includes('<img') && !out.includes('example.com'), out);
  });

  it('plain code without a known language is escaped, not highlighted', () => {
    const out = html('```brainfuck\n<>+-.\n```');
    assert.ok(out.includes('&lt;&gt;+-.'), out);
  });
});
