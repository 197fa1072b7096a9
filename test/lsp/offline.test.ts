// "No network": the real server process, inspected from outside through /proc while it completes and chats, has no
// socket but its standard input, output and error (Node's child-process stdio is a unix socketpair), and it works
// unchanged inside a network namespace that has no interface but a downed loopback (`unshare --net`). Its own
// report (trit/offlineReport, behind "Trit: Verify Offline Mode") must agree with what the test sees.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ProgressType } from 'vscode-languageserver-protocol/node';
import type { ChatResult } from '../../protocol/src/chat';
import type { OfflineReport } from '../../protocol/src/index';
import { offlineReport } from '../../server/src/diagnostics/offline';
import { ROOT, Server } from './harness';

const MODEL = join(ROOT, 'test', 'fixtures', 'chat', 'scripted-chat.gguf');
const linux = process.platform === 'linux';
const canUnshare = linux && spawnSync('unshare', ['--net', '--', 'true']).status === 0;

/** The process's open descriptors as the kernel lists them: fd → link target. */
function descriptors(pid: number): Map<number, string> {
  const out = new Map<number, string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      out.set(Number(fd), readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // Closed meanwhile.
    }
  }
  return out;
}

/** Socket inodes listed in the process's network namespace tables (tcp, tcp6, udp, udp6, raw, raw6). */
function inetInodes(pid: number): Set<number> {
  const out = new Set<number>();
  for (const t of ['tcp', 'tcp6', 'udp', 'udp6', 'raw', 'raw6']) {
    let text = '';
    try {
      text = readFileSync(`/proc/${pid}/net/${t}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const inode = Number(line.trim().split(/\s+/)[9]);
      if (Number.isInteger(inode) && inode > 0) out.add(inode);
    }
  }
  return out;
}

/** Socket inodes in the unix table that `pid`'s namespace lists (its own namespace, or the test's). */
function unixInodes(pid: number): Set<number> {
  const out = new Set<number>();
  for (const line of readFileSync(`/proc/${pid}/net/unix`, 'utf8').split('\n').slice(1)) {
    const inode = Number(line.trim().split(/\s+/)[6]);
    if (Number.isInteger(inode) && inode > 0) out.add(inode);
  }
  return out;
}

interface Sample {
  /** "fd:inode" of every socket. */
  sockets: string[];
  inet: number[];
  /** Sockets that are neither unix sockets of the test's own namespace nor standard input/output/error. */
  other: string[];
}

function sample(pid: number): Sample {
  const inet = inetInodes(pid);
  const unix = unixInodes(process.pid);
  const sockets: string[] = [];
  const inetFound: number[] = [];
  const other: string[] = [];
  for (const [fd, link] of descriptors(pid)) {
    const m = /^socket:\[(\d+)\]$/.exec(link);
    if (!m) continue;
    const inode = Number(m[1]);
    sockets.push(`${fd}:${inode}`);
    if (inet.has(inode)) inetFound.push(inode);
    if (!(fd <= 2 && unix.has(inode))) other.push(`${fd}:${inode}`);
  }
  return { sockets, inet: inetFound, other };
}

/** Types, completes and chats on `server`, sampling its descriptors every 20 ms meanwhile; returns every sample. */
async function workload(server: Server): Promise<Sample[]> {
  const pid = server.proc.pid as number;
  const samples: Sample[] = [sample(pid)];
  const timer = setInterval(() => samples.push(sample(pid)), 20);
  try {
    const uri = 'file:///work/offline.py';
    await server.open(uri, 'def area(w, h):\n    return ');
    let pos = { line: 1, character: 11 };
    for (const piece of ['w', ' *', ' h\n\ndef perimeter(w, h):\n    return ']) {
      pos = await server.type(uri, pos, piece);
      const { stats } = await server.complete(uri, pos);
      assert.notEqual(stats.outcome, 'error', stats.reason);
    }
    const parts: string[] = [];
    const token = 'offline-chat';
    const sub = server.conn.onProgress(new ProgressType<{ text: string }>(), token, (p) => {
      parts.push(p.text);
    });
    const result = await server.conn.sendRequest<ChatResult>('trit/chat', {
      turns: [{ role: 'user', content: 'What does area do?', contexts: [] }], partialResultToken: token,
    });
    sub.dispose();
    assert.ok(result.text.length > 0 && parts.length > 1, 'the chat answer did not stream');
  } finally {
    clearInterval(timer);
  }
  samples.push(sample(pid));
  return samples;
}

describe('no network', { skip: !linux && 'needs Linux /proc' }, () => {
  describe('over stdio, inspected from outside while it completes and chats', () => {
    let server: Server;
    before(async () => {
      server = await Server.start({ modelPath: MODEL });
      assert.equal((await server.ready()).state, 'ready');
    });
    after(async () => server.stop());

    it('has no socket but its stdio channel, and its own report agrees', async () => {
      const samples = await workload(server);
      const sockets = new Set(samples.flatMap((s) => s.sockets));
      const inet = samples.flatMap((s) => s.inet);
      process.stdout.write(`# offline: ${samples.length} samples of /proc/${server.proc.pid}/fd; sockets seen (fd:inode): ${[...sockets].join(', ') || 'none'}; inet: ${inet.length}\n`);
      assert.deepEqual(inet, [], 'an inet socket was open');
      assert.deepEqual([...new Set(samples.flatMap((s) => s.other))], [], 'a socket other than the stdio socketpair was open');
      const report = await server.conn.sendRequest<OfflineReport>('trit/offlineReport', {});
      assert.equal(report.pid, server.proc.pid);
      assert.equal(report.inspected, true);
      assert.equal(report.verdict, 'offline');
      assert.equal(report.inetSockets, 0);
      assert.deepEqual(report.sockets.map((x) => `${x.fd}:${x.kind}`).sort(), ['0:unix', '1:unix', '2:unix']);
      assert.equal(report.modelPath, MODEL);
      assert.deepEqual(report.mappedModelFiles, [MODEL], 'the model file mapped into memory is not the configured one');
    });
  });

  describe('inside a network namespace with no usable interface (unshare --net)', { skip: !canUnshare && 'unshare --net is not permitted here' }, () => {
    let server: Server;
    before(async () => {
      server = await Server.start({ modelPath: MODEL, wrap: ['unshare', '--net', '--'] });
      assert.equal((await server.ready()).state, 'ready');
    });
    after(async () => server.stop());

    it('loads, completes and chats the same', async () => {
      const pid = server.proc.pid as number;
      // The server really is in another namespace, whose only interface is a loopback that is down.
      assert.notEqual(readlinkSync(`/proc/${pid}/ns/net`), readlinkSync('/proc/self/ns/net'));
      const samples = await workload(server);
      assert.deepEqual(samples.flatMap((s) => s.inet), []);
      assert.deepEqual([...new Set(samples.flatMap((s) => s.other))], [], 'a socket other than the stdio socketpair was open');
      const report = await server.conn.sendRequest<OfflineReport>('trit/offlineReport', {});
      assert.deepEqual(report.interfaces, ['lo']);
      assert.equal(report.verdict, 'offline');
      // Its stdio socketpair was made by this test in the outer namespace, which the server's tables do not list.
      assert.deepEqual(report.sockets.map((x) => `${x.fd}:${x.kind}`).sort(), ['0:stdio', '1:stdio', '2:stdio']);
    });
  });

  describe('the report sees a network socket when there is one', () => {
    it('classifies an inet socket of the process as network (a control for the check above)', async () => {
      // The report's parser, given this test process's own descriptors while it holds a listening TCP socket.
      const tcp = createServer();
      await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
      try {
        const report = offlineReport(undefined);
        assert.equal(report.verdict, 'network');
        assert.ok(report.sockets.some((s) => s.kind === 'tcp' && /127\.0\.0\.1:\d+/.test(s.detail ?? '')), JSON.stringify(report.sockets));
      } finally {
        tcp.close();
      }
    });
  });
});
