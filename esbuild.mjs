// Bundles the extension client, the language server and the chat webview into dist/.
// Usage: node esbuild.mjs [--watch] [--production]
import * as esbuild from 'esbuild';
import { cpSync, existsSync, mkdirSync } from 'node:fs';

const production = process.argv.includes('--production');
const watch = process.argv.includes('--watch');

/** @type {import('esbuild').BuildOptions} */
const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'linked',
  logLevel: 'info',
  legalComments: 'none',
};

const builds = [
  // Extension host: CommonJS, `vscode` is provided by the host.
  { ...common, entryPoints: ['client/src/extension.ts'], outfile: 'dist/client.js', platform: 'node',
    format: 'cjs', target: 'node20', external: ['vscode'] },
  // Language server: its own Node process; the native addon is loaded at run time by path, never bundled.
  { ...common, entryPoints: ['server/src/main.ts'], outfile: 'dist/server.js', platform: 'node',
    format: 'cjs', target: 'node20' },
  // The language server's sandbox for chat templates from model files (a worker thread).
  { ...common, entryPoints: ['server/src/chat/jinja-worker.ts'], outfile: 'dist/jinja-worker.js', platform: 'node',
    format: 'cjs', target: 'node20' },
  // Chat webview: runs in the browser sandbox of the webview.
  { ...common, entryPoints: ['media/src/chat.ts'], outfile: 'dist/media/chat.js', platform: 'browser',
    format: 'iife', target: 'es2022' },
];

const present = builds.filter((b) => b.entryPoints.every((e) => existsSync(e)));
mkdirSync('dist', { recursive: true });
if (existsSync('media/chat.css')) {
  mkdirSync('dist/media', { recursive: true });
  cpSync('media/chat.css', 'dist/media/chat.css');
}
if (watch) {
  for (const b of present) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(present.map((b) => esbuild.build(b)));
}
