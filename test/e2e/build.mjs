// Bundles the extension-host suites (exthost/**.ts) into out/exthost/ as CommonJS modules the extension host can
// load. `vscode` is provided by the host and mocha is loaded from this package's node_modules.
import * as esbuild from 'esbuild';
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const src = join(here, 'exthost');
const entryPoints = readdirSync(src, { recursive: true })
  .map(String)
  .filter((f) => f === 'index.ts' || f.endsWith('.test.ts'))
  .map((f) => join(src, f));

rmSync(join(here, 'out', 'exthost'), { recursive: true, force: true });
await esbuild.build({
  entryPoints,
  outbase: src,
  outdir: join(here, 'out', 'exthost'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['vscode', 'mocha'],
  sourcemap: 'inline',
  logLevel: 'warning',
});
// This package is ESM; the extension host require()s the suite, so mark the output as CommonJS.
writeFileSync(join(here, 'out', 'package.json'), '{ "type": "commonjs" }\n');
