// The pieces of "Trit: Verify Offline Mode": parsing the kernel's socket tables, classifying descriptors, and the
// report text with its verdict.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatOfflineReport, verdictLine } from '../../client/src/offline-report';
import type { OfflineReport } from '../../protocol/src/index';
import { classifySockets, decodeAddress, descriptorKind, parseSocketTable } from '../../server/src/diagnostics/offline';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0
   1: 0100007F:9C40 0100007F:01BB 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000000000000000 100 0 0 10 0
`;
const UNIX = `Num       RefCount Protocol Flags    Type St Inode Path
0000000000000000: 00000003 00000000 00000000 0001 03 5151
0000000000000000: 00000002 00000000 00010000 0001 01 5252 /run/some.sock
`;

describe('offline report', () => {
  it('parses tcp and unix tables by inode', () => {
    const tcp = parseSocketTable('tcp', TCP);
    assert.equal(tcp.get(4242), '127.0.0.1:8080 → 0.0.0.0:0');
    assert.equal(tcp.get(4343), '127.0.0.1:40000 → 127.0.0.1:443');
    const unix = parseSocketTable('unix', UNIX);
    assert.equal(unix.get(5151), '');
    assert.equal(unix.get(5252), '/run/some.sock');
    assert.equal(decodeAddress('00000000000000000000000001000000:0050'), '[00000000000000000000000001000000]:80');
  });

  it('classifies descriptors and sockets; unlisted stdio sockets are "stdio", other unlisted ones "unknown"', () => {
    assert.equal(descriptorKind('socket:[1]'), 'socket');
    assert.equal(descriptorKind('pipe:[2]'), 'pipe');
    assert.equal(descriptorKind('anon_inode:[eventfd]'), 'anon');
    assert.equal(descriptorKind('/models/m.gguf'), 'file');
    const tables = new Map([['tcp', parseSocketTable('tcp', TCP)], ['unix', parseSocketTable('unix', UNIX)]] as const);
    const sockets = classifySockets([
      { fd: 0, link: 'socket:[777]' }, { fd: 3, link: 'socket:[5151]' }, { fd: 4, link: 'socket:[4343]' },
      { fd: 5, link: 'socket:[888]' }, { fd: 6, link: '/models/m.gguf' },
    ], tables);
    assert.deepEqual(sockets.map((s) => `${s.fd}:${s.kind}`), ['0:stdio', '3:unix', '4:tcp', '5:unknown']);
  });

  const base: OfflineReport = {
    pid: 42, platform: 'linux', inspected: true, descriptors: { socket: 1, file: 3 }, inetSockets: 0,
    sockets: [{ fd: 3, inode: 5151, kind: 'unix' }], interfaces: ['lo'], modelPath: '/m/trit-code.gguf',
    mappedModelFiles: ['/m/trit-code.gguf'], verdict: 'offline',
  };

  it('the report leads with a clear verdict and lists the evidence', () => {
    const text = formatOfflineReport(base, new Date(0));
    const lines = text.split('\n');
    assert.equal(lines[2], 'VERDICT: OFFLINE — the Trit language server has no network socket open.');
    assert.match(text, /process 42/);
    assert.match(text, /Model file it loaded: \/m\/trit-code\.gguf/);
    assert.match(text, /Sockets by kind: unix 1; network \(tcp, udp, raw, v4 or v6\): 0/);
    assert.match(text, /fd 3: unix socket, inode 5151/);
    assert.match(text, /interfaces visible to the server: lo/);
  });

  it('a network socket or an unknown platform never reads as offline', () => {
    const network = { ...base, verdict: 'network' as const, inetSockets: 1, sockets: [{ fd: 9, inode: 1, kind: 'tcp' as const, detail: '10.0.0.2:5000 → 1.2.3.4:443' }] };
    assert.match(verdictLine(network), /^VERDICT: NETWORK SOCKET FOUND/);
    assert.match(formatOfflineReport(network, new Date(0)), /fd 9: tcp socket, inode 1, 10\.0\.0\.2:5000 → 1\.2\.3\.4:443/);
    assert.match(verdictLine({ ...base, inspected: false, platform: 'darwin', verdict: 'unknown' }), /^VERDICT: UNKNOWN — this platform \(darwin\)/);
  });
});
