// Builds the platform-specific .vsix of Trit: production bundles (client, server, webview), the native addon of
// this machine in the layout server/src/engine/native.ts loads (dist/native/<platform>-<arch>/trit.node), the
// shipped model, then `vsce package --target <platform>-<arch>`. Checks what went into the package and prints it.
//
//   npm run package                  (from the repository root; writes trit-<target>-<version>.vsix there)
//   npm run package -- --out DIR     (another output folder)
//   npm run package -- --target linux-arm64
//                                    (on a linux-x64 machine: the addon is cross-compiled with Debian's
//                                    g++-aarch64-linux-gnu; test/arm64/run.sh runs that package under qemu-user)
//
// Otherwise the addon is built for the machine it runs on; a package for another platform is built on that
// platform.
import { execFileSync } from 'node:child_process';
import { cpSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const { values: opts } = parseArgs({ options: { out: { type: 'string', default: root }, target: { type: 'string' } } });

/** The vsce target of this machine ("linux-x64", "alpine-x64", "darwin-arm64", ...). */
function hostTarget() {
  const arch = { x64: 'x64', arm64: 'arm64', arm: 'armhf' }[process.arch];
  if (!arch) fail(`no VS Code target for the CPU architecture ${process.arch}`);
  if (process.platform === 'linux') {
    const glibc = process.report?.getReport()?.header?.glibcVersionRuntime;
    return `${glibc ? 'linux' : 'alpine'}-${arch}`;
  }
  if (process.platform === 'darwin' || process.platform === 'win32') return `${process.platform}-${arch}`;
  fail(`no VS Code target for the platform ${process.platform}`);
}

function fail(message) {
  process.stderr.write(`package: ${message}\n`);
  process.exit(1);
}

function run(cmd, args, options = {}) {
  process.stdout.write(`package: ${cmd} ${args.join(' ')}\n`);
  execFileSync(cmd, args, { stdio: 'inherit', cwd: root, ...options });
}

// Packages for another target than the host's that this script can cross-build: vsce target → the host it needs,
// the Node arch (node-gyp --arch, process.arch on the target) and the GNU tool prefix.
const crossTargets = {
  'linux-arm64': { host: 'linux-x64', arch: 'arm64', tools: 'aarch64-linux-gnu' },
};
// e_machine of the ELF files each Node arch runs.
const elfMachine = { x64: 0x3e, arm64: 0xb7 };

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const host = hostTarget();
const target = opts.target ?? host;
const cross = target !== host && Object.hasOwn(crossTargets, target) ? crossTargets[target] : undefined;
if (target !== host && !cross) {
  fail(`cannot build a ${target} package on ${host}: build it on ${target}` +
    ` (cross-builds here: ${Object.entries(crossTargets).map(([t, c]) => `${t} on ${c.host}`).join(', ')})`);
}
if (cross && cross.host !== host) fail(`a ${target} package is cross-built on ${cross.host}, not on ${host}`);
// native.ts looks for dist/native/<process.platform>-<process.arch>/trit.node (e.g. linux-x64 also on Alpine).
const addonTag = cross ? `linux-${cross.arch}` : `${process.platform}-${process.arch}`;
// vsce's own naming for a platform-specific package, which native.ts's error message tells users to look for.
const out = resolve(opts.out, `${manifest.name}-${target}-${manifest.version}.vsix`);

// 1. The packaging tool itself (its own package, so the main install stays small).
if (!existsSync(join(here, 'node_modules', '@vscode', 'vsce'))) {
  run(npm, ['ci', '--no-audit', '--no-fund'], { cwd: here });
}

// 2. Production bundles into a clean dist/ (no source maps, minified).
rmSync(join(root, 'dist'), { recursive: true, force: true });
run(process.execPath, ['esbuild.mjs', '--production']);
for (const bundle of ['dist/client.js', 'dist/server.js']) {
  if (!existsSync(join(root, bundle))) fail(`the build did not produce ${bundle}`);
}

/**
 * Cross-compiles the addon for `cross` in native/build-<target>/ (a copy of the native sources, so the host's own
 * build in native/build/ stays as it is) and returns the path of trit.node.
 */
function crossBuild() {
  const cxx = `${cross.tools}-g++`;
  if (execFileSync('sh', ['-c', `command -v ${cxx} || true`], { encoding: 'utf8' }).trim() === '') {
    fail(`${cxx} is missing: install the cross compiler first (Debian: apt-get install g++-${cross.tools})`);
  }
  const work = join(root, 'native', `build-${target}`);
  rmSync(work, { recursive: true, force: true });
  for (const part of ['binding.gyp', 'addon', 'include', 'kernels', 'src']) {
    cpSync(join(root, 'native', part), join(work, 'native', part), { recursive: true });
  }
  // binding.gyp reads the version from ../package.json and finds node-addon-api with require().
  writeFileSync(join(work, 'package.json'), JSON.stringify({ version: manifest.version }));
  const env = {
    ...process.env,
    CC: `${cross.tools}-gcc`, CXX: cxx, LINK: cxx, AR: `${cross.tools}-ar`,
    NODE_PATH: join(root, 'node_modules'),
  };
  // Node-API headers do not depend on the CPU: the host Node's headers serve (no download).
  const prefix = dirname(dirname(process.execPath));
  const nodedir = existsSync(join(prefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${prefix}`] : [];
  run(process.execPath, [join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'), 'rebuild',
    '--directory', join(work, 'native'), `--arch=${cross.arch}`, ...nodedir, '--jobs', '2'], { env });
  return join(work, 'native', 'build', 'Release', 'trit.node');
}

// 3. The native addon, where native.ts looks for it: this machine's, or cross-compiled for the target.
let built = join(root, 'native', 'build', 'Release', 'trit.node');
if (cross) {
  built = crossBuild();
} else if (!existsSync(built)) {
  run(npm, ['run', 'build:native']);
}
if (!existsSync(built)) fail(`the native build did not produce ${relative(root, built)}`);
const addonDir = join(root, 'dist', 'native', addonTag);
mkdirSync(addonDir, { recursive: true });
copyFileSync(built, join(addonDir, 'trit.node'));
if (cross) {
  // It cannot be loaded here: check that it is an ELF shared object for the target's CPU.
  const header = readFileSync(built).subarray(0, 20);
  const machine = header.readUInt16LE(18);
  if (header.readUInt32BE(0) !== 0x7f454c46 || header[4] !== 2 || header.readUInt16LE(16) !== 3 || machine !== elfMachine[cross.arch]) {
    fail(`${relative(root, built)} is not a 64-bit ELF shared object for ${cross.arch} (e_machine 0x${machine.toString(16)})`);
  }
} else {
  // Loading it here proves it matches this Node (N-API) and this CPU before it goes into a package.
  execFileSync(process.execPath, ['-e', `require(${JSON.stringify(join(addonDir, 'trit.node'))})`], { stdio: 'inherit' });
}

// 4. The shipped model.
const model = join(root, 'models', 'trit-code.gguf');
if (!existsSync(model)) fail('models/trit-code.gguf is missing: the shipped model must be in the package');

// 5. The package. Everything is bundled, so no node_modules go in (--no-dependencies); .vscodeignore is an allow
// list of the files above plus the README, CHANGELOG, LICENSE and media.
mkdirSync(dirname(out), { recursive: true });
rmSync(out, { force: true });
run(process.execPath, [join(here, 'node_modules', '@vscode', 'vsce', 'vsce'), 'package', '--target', target,
  '--no-dependencies', '--allow-missing-repository', '--readme-path', 'docs/marketplace-readme.md',
  '--out', out]);

// 6. What went in: required files present, nothing that must stay out, sizes.
const { listEntries } = await import('./vsix-contents.mjs');
const entries = await listEntries(out);
const names = new Set(entries.map((e) => e.name));
const required = ['extension/package.json', 'extension/dist/client.js', 'extension/dist/server.js',
  `extension/dist/native/${addonTag}/trit.node`, 'extension/models/trit-code.gguf', 'extension/media/icon.png',
  'extension/readme.md', 'extension/changelog.md', 'extension/LICENSE.txt'];
const missing = required.filter((n) => !names.has(n));
// Sources, tests, training data, the native sources and any node_modules stay out; so do source maps.
const forbiddenDir = /^extension\/(client|server|protocol|native|test|training|bench|scripts|docs|\.ci|\.git)\/|\/node_modules\//;
const forbiddenFile = /\.(map|ts|tsbuildinfo|cpp|cc|h|py|gyp)$|(^|\/)media\/src\//;
const forbidden = entries.filter((e) => forbiddenDir.test(e.name) || forbiddenFile.test(e.name));
if (missing.length > 0) fail(`the package lacks: ${missing.join(', ')}`);
if (forbidden.length > 0) fail(`the package holds files that must stay out: ${forbidden.map((e) => e.name).join(', ')}`);

const mib = (n) => `${(n / 1048576).toFixed(2)} MiB`;
const total = entries.reduce((s, e) => s + e.size, 0);
process.stdout.write(`\npackage: ${relative(process.cwd(), out) || out}: ${mib(statSync(out).size)} `
  + `(${entries.length} files, ${mib(total)} unpacked)\n`);
for (const e of [...entries].sort((a, b) => b.size - a.size).slice(0, 8)) {
  process.stdout.write(`  ${mib(e.size).padStart(10)}  ${e.name}\n`);
}
