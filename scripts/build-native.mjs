// Builds the native engine addon (native/build/Release/trit.node) with node-gyp, offline: it compiles against the
// headers installed next to the running Node (<prefix>/include/node) instead of downloading them, unless npm's
// `nodedir` already names a header directory. Runs from `npm install` / `npm ci` and `npm run build:native`.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function fail(message) {
  process.stderr.write(`build-native: ${message}\n`);
  process.exit(1);
}

const args = ['rebuild', '--directory', join(root, 'native'), '--jobs', String(Math.min(availableParallelism(), 8))];
if (!process.env.npm_config_nodedir) {
  const prefix = dirname(dirname(process.execPath));
  if (existsSync(join(prefix, 'include', 'node', 'node_api.h'))) {
    args.push(`--nodedir=${prefix}`);
  } else {
    process.stderr.write(
      `build-native: no Node headers under ${prefix}/include/node; node-gyp will try to download them\n`,
    );
  }
}

const local = join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
if (!existsSync(local)) fail('node-gyp is not installed: run `npm ci` first');
for (const tool of ['python3', 'make', 'g++']) {
  if (process.platform !== 'linux') break;
  if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0) {
    fail(`${tool} is missing; install build tools first (Debian/Ubuntu: apt-get install build-essential python3)`);
  }
}
const result = spawnSync(process.execPath, [local, ...args], { stdio: 'inherit', cwd: root });
if (result.status !== 0) fail('the native build failed (see the compiler output above)');
