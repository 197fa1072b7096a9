// Syntax highlighting for code blocks in chat answers: highlight.js core with a handful of common languages, to
// keep the webview bundle small. Unknown languages are shown as plain text (no auto-detection: it is slow and
// guesses wrong on short snippets).

import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';

const languages = { bash, c, cpp, diff, go, java, javascript, json, python, rust, typescript, xml, yaml };
for (const [name, language] of Object.entries(languages)) hljs.registerLanguage(name, language);
// VS Code language ids that are not already names or aliases of the languages above.
hljs.registerAliases(['typescriptreact'], { languageName: 'typescript' });
hljs.registerAliases(['javascriptreact'], { languageName: 'javascript' });
hljs.registerAliases(['shellscript', 'zsh'], { languageName: 'bash' });
hljs.registerAliases(['jsonc'], { languageName: 'json' });

/** HTML of `code` highlighted as `language` (escaped text inside `<span class="hljs-…">`), or undefined. */
export function highlight(code: string, language: string): string | undefined {
  const name = language.trim().toLowerCase();
  if (name === '' || hljs.getLanguage(name) === undefined) return undefined;
  return hljs.highlight(code, { language: name, ignoreIllegals: true }).value;
}
