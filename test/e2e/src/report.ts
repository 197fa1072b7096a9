// Results of every check of a run: printed as they happen, written to results.json, summed up in one line.
import { writeFileSync } from 'node:fs';

export type Status = 'passed' | 'failed' | 'skipped';

/** What every suite of a run gets: the run's id (the process marker), its folder, and the report. */
export interface RunContext {
  runId: string;
  runDir: string;
  report: Report;
}

export interface Result {
  suite: string;
  name: string;
  status: Status;
  ms: number;
  error?: string;
}

export class Report {
  readonly results: Result[] = [];

  add(result: Result): void {
    this.results.push(result);
    const mark = result.status === 'passed' ? 'ok  ' : result.status === 'failed' ? 'FAIL' : 'skip';
    const time = result.status === 'skipped' ? '' : ` (${(result.ms / 1000).toFixed(1)} s)`;
    process.stdout.write(`  ${mark} ${result.suite}: ${result.name}${time}\n`);
    if (result.error) process.stdout.write(`       ${result.error.replace(/\n/g, '\n       ')}\n`);
  }

  count(status: Status): number {
    return this.results.filter((r) => r.status === status).length;
  }

  summary(): string {
    const skipped = this.count('skipped');
    return `${this.count('passed')} passed, ${this.count('failed')} failed${skipped ? `, ${skipped} skipped` : ''}`;
  }

  write(path: string): void {
    writeFileSync(path, `${JSON.stringify(this.results, null, 2)}\n`);
  }
}

/**
 * Runs named steps in order. A failed step fails, and every later step of the same suite is reported as skipped,
 * because each builds on the state the ones before it left (the open file, the text typed, the chat answer).
 */
export class Steps {
  private failed = false;

  constructor(private readonly report: Report, private readonly suite: string,
    private readonly onFailure: (name: string) => Promise<void>) {}

  async step(name: string, run: () => Promise<void>): Promise<void> {
    if (this.failed) {
      this.report.add({ suite: this.suite, name, status: 'skipped', ms: 0 });
      return;
    }
    const start = Date.now();
    try {
      await run();
      this.report.add({ suite: this.suite, name, status: 'passed', ms: Date.now() - start });
    } catch (err) {
      this.failed = true;
      const message = err instanceof Error ? err.message.split('\n').slice(0, 12).join('\n') : String(err);
      this.report.add({ suite: this.suite, name, status: 'failed', ms: Date.now() - start, error: message });
      await this.onFailure(name).catch(() => undefined);
    }
  }
}
