// "Works with no network": the whole run (code-server, its extension hosts, the language server, Chromium) can be
// re-executed inside a fresh network namespace that has only the loopback interface, so any attempt to reach
// another host fails. This needs `unshare --net` (root, or unprivileged user namespaces).
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';

const NETNS_FLAG = 'TRIT_E2E_NETNS';

export function inOfflineNamespace(): boolean {
  return process.env[NETNS_FLAG] === '1';
}

/** Runs this same command again inside a loopback-only network namespace; resolves to its exit code. */
export async function rerunOffline(): Promise<number> {
  const script = 'ip link set lo up && exec "$@"';
  const args = ['--net', '--', 'bash', '-c', script, 'trit-e2e-offline', process.execPath, ...process.execArgv,
    ...process.argv.slice(1)];
  const child = spawn('unshare', args, { stdio: 'inherit', env: { ...process.env, [NETNS_FLAG]: '1' } });
  // The inner run cleans up on these signals; pass them on instead of dying first.
  const forward = (sig: NodeJS.Signals): void => {
    child.kill(sig);
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(sig, forward);
  return new Promise<number>((resolve) => {
    child.once('error', (err) => {
      process.stderr.write(`e2e: could not start a network namespace (unshare --net): ${err.message}\n`);
      resolve(2);
    });
    child.once('exit', (code, sig) => resolve(code ?? (sig ? 128 + 15 : 1)));
  });
}

/** Whether `unshare --net` works here (it needs root or unprivileged user namespaces). */
export function canUseNetworkNamespace(): boolean {
  return spawnSync('unshare', ['--net', '--', 'true'], { stdio: 'ignore' }).status === 0;
}

/**
 * Evidence that this process really has no network: the only interface is `lo`, and a TCP connection to a public
 * address fails at once. Returns a description, or throws if the namespace is not isolated.
 */
export async function assertNoNetwork(): Promise<string> {
  // /proc/self/net is per network namespace (/sys/class/net would show the namespace that mounted /sys).
  const interfaces = readFileSync('/proc/self/net/dev', 'utf8').split('\n').slice(2)
    .map((line) => line.split(':')[0]?.trim() ?? '').filter(Boolean).sort();
  if (interfaces.join(',') !== 'lo') throw new Error(`network interfaces present: ${interfaces.join(', ')}`);
  const outcome = await new Promise<string>((resolve) => {
    const socket = connect({ host: '1.1.1.1', port: 443, timeout: 5000 });
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('timeout');
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
  });
  if (outcome === 'connected') throw new Error('a TCP connection to 1.1.1.1:443 succeeded');
  return `interfaces: lo only; connect to 1.1.1.1:443 → ${outcome}`;
}
