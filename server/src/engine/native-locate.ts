// Where the native engine addon lives and what to tell the user when it cannot be loaded. Pure path and message
// logic; native.ts is the module that actually opens the file.

import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { binaryTarget } from './binary-target';
import { TritError } from './native-args';

export const addonFile = 'trit.node';
export const requiredNapiVersion = 8;

/** "linux-x64", "darwin-arm64", "win32-x64": the folder name of a packaged addon. */
export function platformTag(platform: string = process.platform, arch: string = process.arch): string {
  return `${platform}-${arch}`;
}

/**
 * Where the addon may be, best first. `baseDir` is the directory of the running code: `dist/` of a bundle (packaged
 * extension or checkout) or `server/src/engine/` when run from source.
 */
export function addonCandidates(
  baseDir: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
  tag: string = platformTag(),
): string[] {
  const override = env.TRIT_ADDON;
  if (override !== undefined && override !== '') return [resolve(override)];
  return [
    join(baseDir, '..', 'native', 'build', 'Release', addonFile), // dist/ in a checkout
    join(baseDir, '..', '..', '..', 'native', 'build', 'Release', addonFile), // server/src/engine/ in a checkout
    join(baseDir, 'native', tag, addonFile), // <extension>/dist/native/<tag>/
  ];
}

/** The error for "no addon file found", naming what was tried and the fix. */
export function missingAddonError(
  baseDir: string,
  candidates: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
  tag: string = platformTag(),
): TritError {
  if (env.TRIT_ADDON) {
    return new TritError(
      'io',
      `TRIT_ADDON is set to ${env.TRIT_ADDON}, but there is no file there. ` +
        'Point it at a trit.node file or unset it.',
    );
  }
  const packagedDir = join(baseDir, 'native');
  let packaged: string[] = [];
  try {
    packaged = readdirSync(packagedDir).filter((d) => existsSync(join(packagedDir, d, addonFile)));
  } catch {
    // No packaged addons at all: a source checkout.
  }
  if (packaged.length > 0) {
    return new TritError(
      'unsupported',
      `This Trit package is for ${packaged.join(', ')} but VS Code runs on ${tag}: ` +
        `install the Trit .vsix built for ${tag} (trit-${tag}-<version>.vsix, from where you got this one), ` +
        'or build Trit from source on this machine.',
    );
  }
  return new TritError(
    'io',
    `The Trit native engine (${addonFile}) was not found. Looked in:\n  ${candidates.join('\n  ')}\n` +
      'In a source checkout, build it with `npm run build:native` (needs python3, make and a C++17 compiler), ' +
      'or set TRIT_ADDON to the path of a trit.node file.',
  );
}

// dlopen's words (Linux, macOS, Windows) for a library made for another OS or CPU.
const foreignBinary =
  /invalid ELF header|wrong ELF class|ELFCLASS|not a mach-o file|incompatible architecture|wrong architecture|not a valid Win32 application|Exec format error/i;

/** Explains why loading an existing addon file failed (other platform, old C library, Node-API version). */
export function explainLoadFailure(path: string, cause: unknown, tag: string = platformTag()): TritError {
  const message = cause instanceof Error ? cause.message : String(cause);
  const rebuild = 'install the Trit package built for this system, or rebuild from source with `npm run build:native`';
  // glibc reports an ELF for another CPU only as "No such file or directory": read the file's header instead.
  const built = binaryTarget(path);
  if (built !== undefined && built !== tag && !(built === 'darwin-universal' && tag.startsWith('darwin-'))) {
    return new TritError('unsupported', `${path} was built for ${built} but this system is ${tag}: ${rebuild}.`, { cause });
  }
  if (foreignBinary.test(message)) {
    return new TritError(
      'unsupported',
      `${path} was built for another platform or CPU architecture (this system is ${tag}): ${rebuild}.`,
      { cause },
    );
  }
  const runtime = /(GLIBC|GLIBCXX|CXXABI)_[0-9.]+/.exec(message);
  if (runtime) {
    return new TritError(
      'unsupported',
      `${path} needs a newer C/C++ runtime library (${runtime[0]}) than this system has: ${rebuild}.`,
      { cause },
    );
  }
  if (/NODE_MODULE_VERSION|did not self-register|napi|node-api/i.test(message)) {
    return new TritError(
      'unsupported',
      `${path} does not match this Node.js runtime (Node-API ${process.versions.napi ?? '?'}; ` +
        `the engine needs Node-API ${requiredNapiVersion}): ${rebuild}. Details: ${message}`,
      { cause },
    );
  }
  return new TritError('io', `Cannot load the Trit native engine ${path}: ${message}`, { cause });
}
