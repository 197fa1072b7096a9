// Markdown of model answers → a sanitised DOM fragment. Model output is untrusted text: it must never run script,
// load a resource, or look like the chat's own controls. Three independent layers:
//  1. markdown-it with `html: false`: raw HTML in the answer is shown as text, never parsed as HTML; links are kept
//     only for http(s) and in-page anchors; images are shown as their alt text.
//  2. DOMPurify with an allow-list of plain formatting tags and attributes (no img, svg, math, form, iframe, style,
//     no event handlers, no style attributes, URLs only http(s) or #anchors, classes only highlight.js/language-*).
//  3. The webview's CSP (default-src 'none', scripts only with the page's nonce), set by the extension.
// The renderer takes the window it works in, so tests can run the same code under jsdom.

import DOMPurify, { type Config, type DOMPurify as Purifier, type WindowLike } from 'dompurify';
import MarkdownIt from 'markdown-it';
import { highlight } from './highlight';

const ALLOWED_TAGS = [
  'a', 'blockquote', 'br', 'code', 'del', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'kbd', 'li', 'ol', 'p',
  'pre', 's', 'span', 'strong', 'sub', 'sup', 'table', 'tbody', 'td', 'th', 'thead', 'tr', 'ul',
];
const ALLOWED_ATTR = ['href', 'title', 'class', 'start', 'colspan', 'rowspan'];
/** Links the user may open (through the extension, after VS Code's own confirmation). */
const SAFE_URL = /^(?:https?:\/\/|#)/i;
/** Classes an answer may carry: highlight.js scopes and code-block languages, nothing the chat UI uses. */
const SAFE_CLASS = /^(?:hljs(?:-[a-z0-9_-]+)?|[a-z]+_+|language-[a-z0-9_+#.-]+)$/i;

const PURIFY_CONFIG: Config & { RETURN_DOM_FRAGMENT: true } = {
  ALLOWED_TAGS,
  ALLOWED_ATTR,
  ALLOWED_URI_REGEXP: SAFE_URL,
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  ALLOW_UNKNOWN_PROTOCOLS: false,
  ALLOW_SELF_CLOSE_IN_ATTR: false,
  SAFE_FOR_XML: true,
  WHOLE_DOCUMENT: false,
  // A fragment, not a string: the sanitised tree is used as is and never parsed again (no mutation XSS).
  RETURN_DOM_FRAGMENT: true,
};

export interface Renderer {
  /** Renders markdown to a sanitised fragment owned by the renderer's document. */
  render(markdown: string): DocumentFragment;
  /** Sanitises an HTML string (exposed for tests of the second layer on its own). */
  sanitize(html: string): DocumentFragment;
}

export function createRenderer(win: WindowLike & { document: Document }): Renderer {
  const md = createMarkdown();
  const purify = createPurifier(win);
  // DOMPurify returns null when the input parses to a document without a body (e.g. a <frameset>): nothing to show.
  const sanitize = (html: string): DocumentFragment =>
    (purify.sanitize(html, PURIFY_CONFIG)) ?? win.document.createDocumentFragment();
  return { render: (markdown) => sanitize(md.render(markdown)), sanitize };
}

function createMarkdown(): MarkdownIt {
  const md = new MarkdownIt({
    html: false,
    linkify: false,
    typographer: false,
    breaks: true,
    highlight: (code, lang) => {
      const html = highlight(code, lang.split(/\s+/)[0] ?? '');
      // markdown-it wraps this in <pre><code class="language-…">; returning '' makes it escape the code itself.
      return html === undefined ? '' : html;
    },
  });
  md.validateLink = (url) => SAFE_URL.test(url.trim());
  md.renderer.rules.image = (tokens, idx) => {
    const alt = tokens[idx].children?.map((t) => t.content).join('') ?? '';
    return `<span class="hljs-comment">[image${alt ? `: ${md.utils.escapeHtml(alt)}` : ''}]</span>`;
  };
  return md;
}

function createPurifier(win: WindowLike): Purifier {
  const purify = DOMPurify(win);
  purify.addHook('uponSanitizeAttribute', (_node, data) => {
    if (data.attrName === 'class') {
      const kept = data.attrValue.split(/\s+/).filter((c) => SAFE_CLASS.test(c));
      data.attrValue = kept.join(' ');
      if (kept.length === 0) data.keepAttr = false;
    }
  });
  purify.addHook('afterSanitizeAttributes', (node) => {
    if (node.nodeName === 'A') {
      const href = node.getAttribute('href');
      if (href === null || !SAFE_URL.test(href)) node.removeAttribute('href');
      node.setAttribute('rel', 'noopener noreferrer');
    }
  });
  return purify;
}
