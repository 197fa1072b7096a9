// A package that does not match the machine: the same .vsix rebuilt as a "universal" package whose only native
// engine is another platform's (as a package made on a Mac would be). VS Code installs it; Trit must then tell the
// user which package to install instead, not fail with a loader error.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { CodeServer } from './code-server.js';
import { Steps, type RunContext } from './report.js';
import { waitForState } from './trit-status.js';
import { escapeRegExp, Workbench } from './workbench.js';

/** The platform the rebuilt package claims to be for (any other than this machine's). */
export function foreignTag(): string {
  return `${process.platform}-${process.arch}` === 'darwin-arm64' ? 'linux-x64' : 'darwin-arm64';
}

/**
 * Copies `vsix` to `out`, moving extension/dist/native/<this platform>/ to <foreign>/ and dropping the manifest's
 * TargetPlatform, so that VS Code accepts the package on this machine. Uses Python's zipfile (python3 is needed by
 * the native build anyway).
 */
export function makeMismatchedPackage(vsix: string, out: string): void {
  const script = `
import re, sys, zipfile
src, dst, here, there = sys.argv[1:5]
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, 'w', zipfile.ZIP_DEFLATED) as zout:
    for item in zin.infolist():
        data = zin.read(item.filename)
        name = item.filename.replace('extension/dist/native/' + here + '/', 'extension/dist/native/' + there + '/')
        if name == 'extension.vsixmanifest':
            data = re.sub(rb'\\s+TargetPlatform="[^"]*"', b'', data)
        zout.writestr(name, data)
`;
  const result = spawnSync('python3', ['-c', script, vsix, out, `${process.platform}-${process.arch}`, foreignTag()],
    { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`could not rebuild the package for another platform: ${result.stderr || result.error?.message}`);
}

export async function runMismatchUi(ctx: RunContext, server: CodeServer, page: Page, workspace: string): Promise<void> {
  const wb = new Workbench(page, join(ctx.runDir, 'shots'), server.dirs.log, 'mismatch-');
  const steps = new Steps(ctx.report, 'ui mismatch', async (name) => {
    await wb.screenshot(`FAILED-${name.replace(/\W+/g, '-').slice(0, 60)}`);
  });
  const here = `${process.platform}-${process.arch}`;
  await steps.step(`a package holding only the ${foreignTag()} engine says which package to install`, async () => {
    await wb.open(server.folderUrl(workspace), 'src');
    await waitForState(wb, 'error', 60_000);
    const message = new RegExp(`This Trit package is for ${escapeRegExp(foreignTag())} but VS Code runs on ${escapeRegExp(here)}`);
    const shown = await wb.notification(message, 'no notification said that the package is for another platform', 30_000);
    if (!shown.includes(`install the Trit .vsix built for ${here}`)) throw new Error(`the message names no fix: ${shown}`);
    await wb.screenshot('wrong-platform-package');
  });
}
