// One code-server (VS Code 1.100.3 server + web workbench, with a real Node extension host) on fresh folders and a
// free port. `start` returns only once the server answers /healthz; `stop` always ends it and every process it
// started (extension hosts, language servers, file watchers).
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DeadlineError, pollUntil, within } from './deadline.js';
import { RUN_MARKER, onCleanup, stopGroup } from './processes.js';

const here = dirname(fileURLToPath(import.meta.url));
export const harnessDir = resolve(here, '..');
const binary = join(harnessDir, 'node_modules', '.bin', 'code-server');
const settingsFile = join(harnessDir, 'settings.json');

export interface CodeServerDirs {
  /** The folder that holds everything of this instance: user data, extensions, log. */
  root: string;
  userData: string;
  extensions: string;
  log: string;
}

export function codeServerDirs(root: string): CodeServerDirs {
  return { root, userData: join(root, 'user-data'), extensions: join(root, 'extensions'), log: join(root, 'code-server.log') };
}

/** Fresh user-data and extensions folders, with the harness's settings.json (plus `extraSettings`). */
export function prepareDirs(root: string, extraSettings: Record<string, unknown> = {}): CodeServerDirs {
  const dirs = codeServerDirs(root);
  mkdirSync(join(dirs.userData, 'User'), { recursive: true });
  mkdirSync(dirs.extensions, { recursive: true });
  const settings = { ...(JSON.parse(readFileSync(settingsFile, 'utf8')) as Record<string, unknown>), ...extraSettings };
  writeFileSync(join(dirs.userData, 'User', 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
  return dirs;
}

function baseArgs(dirs: CodeServerDirs): string[] {
  return ['--config', '/dev/null', '--user-data-dir', dirs.userData, '--extensions-dir', dirs.extensions];
}

/** Runs `code-server --install-extension <vsix>` into `dirs` (the real install path a user takes). */
export async function installExtension(dirs: CodeServerDirs, vsix: string, runId: string, timeoutMs = 60_000): Promise<string> {
  const log = join(dirs.root, 'install-extension.log');
  const out = openSync(log, 'w');
  const child = spawn(binary, [...baseArgs(dirs), '--install-extension', vsix], {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, [RUN_MARKER]: runId },
  });
  closeSync(out);
  const unregister = onCleanup(() => stopGroup(child.pid ?? 0, runId));
  try {
    const code = await within(new Promise<number | null>((res, rej) => {
      child.once('error', rej);
      child.once('exit', (c) => res(c));
    }), timeoutMs, `code-server --install-extension ${vsix} did not finish: see ${log}`);
    const text = readFileSync(log, 'utf8');
    if (code !== 0 || !/was successfully installed/.test(text)) {
      throw new Error(`installing ${vsix} failed (exit ${code}): ${text.trim().split('\n').slice(-3).join(' | ')} — see ${log}`);
    }
    return text;
  } finally {
    unregister();
    if (child.exitCode === null) await stopGroup(child.pid ?? 0, runId);
  }
}

export class CodeServer {
  private stopped = false;
  private readonly unregister: () => void;

  private constructor(readonly dirs: CodeServerDirs, readonly url: string, readonly pid: number,
    private readonly runId: string) {
    this.unregister = onCleanup(() => this.stop());
  }

  /** Starts code-server on 127.0.0.1 and a port the kernel picks; resolves once /healthz answers. */
  static async start(dirs: CodeServerDirs, runId: string, env: Record<string, string> = {},
    timeoutMs = 30_000): Promise<CodeServer> {
    const out = openSync(dirs.log, 'w');
    const child = spawn(binary, [
      ...baseArgs(dirs), '--bind-addr', '127.0.0.1:0', '--auth', 'none', '--disable-telemetry',
      '--disable-update-check', '--disable-workspace-trust', '--disable-getting-started-override',
    ], {
      detached: true,
      stdio: ['ignore', out, out],
      env: { ...process.env, ...env, [RUN_MARKER]: runId },
    });
    closeSync(out);
    const pid = child.pid;
    if (pid === undefined) throw new Error(`code-server could not be started: see ${dirs.log}`);
    let exited = false;
    child.once('exit', () => (exited = true));
    const stopEarly = onCleanup(() => stopGroup(pid, runId));
    try {
      const port = await pollUntil(() => {
        if (exited) throw new Error(`code-server exited during start-up: see ${dirs.log}`);
        return /HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)\//.exec(readFileSync(dirs.log, 'utf8'))?.[1];
      }, timeoutMs, `code-server never said where it listens: see ${dirs.log}`, 100);
      const url = `http://127.0.0.1:${port}`;
      await pollUntil(async () => {
        try {
          return (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(2000) })).ok ? true : undefined;
        } catch {
          return undefined;
        }
      }, timeoutMs, `code-server at ${url} never answered /healthz: see ${dirs.log}`, 100);
      stopEarly();
      return new CodeServer(dirs, url, pid, runId);
    } catch (err) {
      stopEarly();
      await stopGroup(pid, runId);
      throw err instanceof DeadlineError ? err : new Error(String(err instanceof Error ? err.message : err));
    }
  }

  /** The workbench URL that opens `folder` (an absolute path on this machine). */
  folderUrl(folder: string, payload?: ReadonlyArray<readonly [string, string]>): string {
    let url = `${this.url}/?folder=${encodeURIComponent(folder)}`;
    if (payload) url += `&payload=${encodeURIComponent(JSON.stringify(payload))}`;
    return url;
  }

  /** A `vscode-remote://` URI for a path on this machine, as the workbench's payload parameter wants it. */
  remoteUri(path: string): string {
    return `vscode-remote://${new URL(this.url).host}${path}`;
  }

  /** Ends code-server and everything it started (by process group, then by PID); safe to call twice. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.unregister();
    await stopGroup(this.pid, this.runId);
  }
}
