// The extension-host test entry in the form @vscode/test-electron and the VS Code workbench's test runner load:
// a module exporting `run()`, which resolves when every test passed and rejects otherwise. Mocha with the TDD UI
// runs the `*.test.js` files of the suite named by TRIT_E2E_SUITE ("trit" unless set), next to this file. One line
// `TRIT_E2E_RESULTS <json>` on the console carries the per-test results to the harness.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';

interface TestResult {
  title: string;
  state: 'passed' | 'failed' | 'pending';
  ms: number;
  error?: string;
}

export async function run(): Promise<void> {
  const suite = process.env.TRIT_E2E_SUITE ?? 'trit';
  const dir = join(__dirname, suite);
  const mocha = new Mocha({ ui: 'tdd', timeout: 90_000, color: false, reporter: 'spec' });
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.test.js')).sort()) mocha.addFile(join(dir, file));
  await mocha.loadFilesAsync();
  const results: TestResult[] = [];
  await new Promise<void>((resolve, reject) => {
    const runner = mocha.run((failures) => {
      console.log(`TRIT_E2E_RESULTS ${JSON.stringify(results)}`);
      if (failures > 0) reject(new Error(`${failures} extension-host test(s) failed`));
      else resolve();
    });
    runner.on('pass', (test) => results.push({ title: test.fullTitle(), state: 'passed', ms: test.duration ?? 0 }));
    runner.on('pending', (test) => results.push({ title: test.fullTitle(), state: 'pending', ms: 0 }));
    runner.on('fail', (test, err: Error) => results.push({
      title: test.fullTitle(), state: 'failed', ms: test.duration ?? 0, error: err.stack ?? err.message,
    }));
  });
}
