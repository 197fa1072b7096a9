// Child processes of a test run and their guaranteed cleanup. Every process the harness starts (code-server, and
// through it the extension hosts and language servers) carries the environment variable TRIT_E2E_RUN=<run id>, and
// is started as the leader of its own process group. Cleanup signals the group, then every process that still
// carries the marker, by PID, and waits until they are gone. Cleanup runs from `finally` blocks, on SIGINT/SIGTERM,
// on an uncaught error and, as a last resort, synchronously at process exit.
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export const RUN_MARKER = 'TRIT_E2E_RUN';

type Cleanup = () => Promise<void>;
const cleanups = new Set<Cleanup>();
let runId = '';

/** Registers a cleanup that runs on `runCleanups()` and on signals; returns a function that unregisters it. */
export function onCleanup(fn: Cleanup): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

export async function runCleanups(): Promise<void> {
  const all = [...cleanups].reverse();
  cleanups.clear();
  for (const fn of all) {
    try {
      await fn();
    } catch (err) {
      process.stderr.write(`e2e: cleanup failed: ${String(err)}\n`);
    }
  }
  if (runId) await killMarked(runId);
}

/** PIDs of live processes whose environment holds RUN_MARKER=<id> (this process excluded). */
export function markedPids(id: string): number[] {
  const needle = `${RUN_MARKER}=${id}\0`;
  const pids: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if (`${readFileSync(`/proc/${pid}/environ`, 'latin1')}\0`.includes(needle) && isAlive(pid)) pids.push(pid);
    } catch {
      // The process ended while we looked, or is not ours to read.
    }
  }
  return pids;
}

function isAlive(pid: number): boolean {
  try {
    // A zombie has already exited; only its parent's wait() is missing.
    return !/^\d+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'latin1'));
  } catch {
    return false;
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone.
  }
}

/** Stops a process group (SIGTERM, then SIGKILL after `graceMs`) and every process marked with the run id. */
export async function stopGroup(leaderPid: number, id: string, graceMs = 5000): Promise<void> {
  signal(-leaderPid, 'SIGTERM');
  for (const pid of markedPids(id)) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(leaderPid) && markedPids(id).length === 0) return;
    await sleep(100);
  }
  signal(-leaderPid, 'SIGKILL');
  await killMarked(id);
}

async function killMarked(id: string): Promise<void> {
  for (let round = 0; round < 20; round++) {
    const left = markedPids(id);
    if (left.length === 0) return;
    for (const pid of left) signal(pid, 'SIGKILL');
    await sleep(100);
  }
  process.stderr.write(`e2e: processes still alive after SIGKILL: ${markedPids(id).join(', ')}\n`);
}

/** Sets the run id used to mark child processes and installs the signal and exit handlers (once). */
export function installCleanupHandlers(id: string): void {
  runId = id;
  const onSignal = (sig: NodeJS.Signals): void => {
    process.stderr.write(`e2e: ${sig}: stopping code-server and the browser\n`);
    void runCleanups().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.once('SIGHUP', onSignal);
  process.on('exit', () => {
    // Synchronous last resort: nothing asynchronous can run here.
    for (const pid of markedPids(runId)) signal(pid, 'SIGKILL');
  });
}
