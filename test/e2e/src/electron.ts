// The extension-host suite in desktop VS Code (Electron), through @vscode/test-electron. It downloads a VS Code
// build from update.code.visualstudio.com on first use, so it works only on a machine with internet access; set
// TRIT_VSCODE_EXECUTABLE to use a VS Code that is already installed. The extension under test is the repository
// itself (build it first: `npm run build`, with the native addon in place).
//
//   npm run test:electron            (from the repository root)
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { harnessDir } from './code-server.js';

const repo = resolve(harnessDir, '..', '..');
const runDir = join(harnessDir, '.run', `electron-${new Date().toISOString().replace(/[:.]/g, '-')}`);
const workspace = join(runDir, 'ws-exthost');
const userData = join(runDir, 'user-data');
mkdirSync(join(userData, 'User'), { recursive: true });
cpSync(join(harnessDir, 'fixtures', 'workspace'), workspace, { recursive: true });
writeFileSync(join(userData, 'User', 'settings.json'), readFileSync(join(harnessDir, 'settings.json')));

try {
  const vscodeExecutablePath = process.env.TRIT_VSCODE_EXECUTABLE;
  await runTests({
    ...(vscodeExecutablePath ? { vscodeExecutablePath } : { version: '1.100.3' }),
    extensionDevelopmentPath: repo,
    extensionTestsPath: join(harnessDir, 'out', 'exthost', 'index.js'),
    extensionTestsEnv: { TRIT_E2E_SUITE: 'trit', TRIT_E2E_WORKSPACE: workspace },
    launchArgs: [workspace, '--user-data-dir', userData, '--extensions-dir', join(runDir, 'extensions'),
      '--disable-workspace-trust', '--skip-welcome', '--skip-release-notes'],
  });
} catch (err) {
  process.stderr.write(`test:electron failed: ${err instanceof Error ? err.message : String(err)}\n`
    + 'It needs internet access to download VS Code (or TRIT_VSCODE_EXECUTABLE pointing at an installed one). '
    + 'On a machine without it, run the same suite in code-server: bash test/e2e/run.sh\n');
  process.exit(1);
}
