// Gives scripts (the CLI, benchmarks) the same native binding the language server uses: it loads
// server/src/engine/native.ts, the one loader of trit.node, through a small CommonJS bundle (dist/native-cli.cjs)
// that is rebuilt with esbuild whenever it is missing or older than its sources.
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
const bundle = join(repoRoot, 'dist', 'native-cli.cjs');
const sourceDir = join(repoRoot, 'server', 'src', 'engine');
// native.ts and the modules it imports (native-*.ts).
const sources = () =>
  readdirSync(sourceDir)
    .filter((f) => /^native.*\.ts$/.test(f))
    .map((f) => join(sourceDir, f));

function isStale() {
  if (!existsSync(bundle)) return true;
  const built = statSync(bundle).mtimeMs;
  return sources().some((s) => existsSync(s) && statSync(s).mtimeMs > built);
}

async function buildBundle() {
  let esbuild;
  try {
    esbuild = await import('esbuild');
  } catch {
    throw new Error(`${bundle} is missing or out of date and esbuild is not installed: run \`npm ci\` first`);
  }
  const result = await esbuild.build({
    entryPoints: [join(sourceDir, 'native.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    logLevel: 'error',
    write: false,
  });
  // Write then rename, so that a process starting at the same moment never reads a half-written bundle.
  mkdirSync(dirname(bundle), { recursive: true });
  const temp = `${bundle}.${process.pid}.tmp`;
  writeFileSync(temp, result.outputFiles[0].contents);
  renameSync(temp, bundle);
}

/** @returns {Promise<{ native: import('../server/src/engine/native-types').NativeBinding, TritError: Function }>} */
export async function loadNativeModule() {
  if (isStale()) await buildBundle();
  const mod = createRequire(import.meta.url)(bundle);
  return { native: mod.loadNative(), TritError: mod.TritError };
}
