// The server's evidence about its own network use, read from Linux /proc: every open descriptor, each socket
// classified by the kernel's per-namespace socket tables (/proc/self/net/*), and the .gguf files mapped into
// memory. Parsing is pure (exported for tests); `offlineReport` does the reading.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { INET_SOCKET_KINDS, type OfflineReport, type OpenSocket, type SocketKind } from '../../../protocol/src/index';

const SOCKET_TABLES: readonly SocketKind[] = ['tcp', 'tcp6', 'udp', 'udp6', 'raw', 'raw6', 'unix', 'netlink'];

/** Inode → a short description, from one /proc/net table (tcp/udp/raw: "local → remote"; unix: its path). */
export function parseSocketTable(kind: SocketKind, text: string): Map<number, string> {
  const out = new Map<number, string>();
  const lines = text.split('\n').slice(1).filter((l) => l.trim() !== '');
  for (const line of lines) {
    const f = line.trim().split(/\s+/);
    if (kind === 'unix') {
      // Num RefCount Protocol Flags Type St Inode [Path]
      const inode = Number(f[6]);
      if (Number.isInteger(inode)) out.set(inode, f[7] ?? '');
    } else if (kind === 'netlink') {
      // sk Eth Pid Groups Rmem Wmem Dump Locks Drops Inode
      const inode = Number(f[9]);
      if (Number.isInteger(inode)) out.set(inode, `netlink protocol ${f[1] ?? '?'}`);
    } else {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const inode = Number(f[9]);
      if (Number.isInteger(inode)) out.set(inode, `${decodeAddress(f[1] ?? '')} → ${decodeAddress(f[2] ?? '')}`);
    }
  }
  return out;
}

/** "0100007F:1F90" → "127.0.0.1:8080"; IPv6 addresses are shown as the kernel's hex with the port decoded. */
export function decodeAddress(hex: string): string {
  const [addr = '', port = ''] = hex.split(':');
  const p = Number.parseInt(port, 16);
  if (addr.length === 8) {
    const bytes = (addr.match(/../g) ?? []).map((b) => Number.parseInt(b, 16)).reverse();
    return `${bytes.join('.')}:${p}`;
  }
  return `[${addr}]:${p}`;
}

/** "socket:[12345]" → 12345. */
export function socketInode(link: string): number | undefined {
  const m = /^socket:\[(\d+)\]$/.exec(link);
  return m ? Number(m[1]) : undefined;
}

export function descriptorKind(link: string): string {
  if (link.startsWith('socket:')) return 'socket';
  if (link.startsWith('pipe:')) return 'pipe';
  if (link.startsWith('anon_inode:')) return 'anon';
  if (link.startsWith('/')) return 'file';
  return 'other';
}

/** Classifies sockets given the tables of this namespace. */
export function classifySockets(fds: readonly { fd: number; link: string }[], tables: ReadonlyMap<SocketKind, Map<number, string>>): OpenSocket[] {
  const out: OpenSocket[] = [];
  for (const { fd, link } of fds) {
    const inode = socketInode(link);
    if (inode === undefined) continue;
    let found: OpenSocket = { fd, inode, kind: 'unknown' };
    for (const [kind, table] of tables) {
      const detail = table.get(inode);
      if (detail !== undefined) {
        found = { fd, inode, kind, ...(detail !== '' ? { detail } : {}) };
        break;
      }
    }
    if (found.kind === 'unknown' && fd <= 2) found = { fd, inode, kind: 'stdio' };
    out.push(found);
  }
  return out;
}

function tryRead(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Reads the evidence for this process. `modelPath` is the file the engine was asked to load. */
export function offlineReport(modelPath: string | undefined): OfflineReport {
  const base = { pid: process.pid, platform: process.platform, ...(modelPath ? { modelPath } : {}) };
  let entries: string[];
  try {
    entries = readdirSync('/proc/self/fd');
  } catch {
    return { ...base, inspected: false, descriptors: {}, sockets: [], inetSockets: 0, interfaces: [], mappedModelFiles: [], verdict: 'unknown' };
  }
  const fds: { fd: number; link: string }[] = [];
  for (const name of entries) {
    try {
      fds.push({ fd: Number(name), link: readlinkSync(`/proc/self/fd/${name}`) });
    } catch {
      // Closed between the listing and the read (e.g. the descriptor of the listing itself).
    }
  }
  const descriptors: Record<string, number> = {};
  for (const { link } of fds) {
    const k = descriptorKind(link);
    descriptors[k] = (descriptors[k] ?? 0) + 1;
  }
  const tables = new Map<SocketKind, Map<number, string>>();
  for (const kind of SOCKET_TABLES) {
    const text = tryRead(`/proc/self/net/${kind}`);
    if (text !== undefined) tables.set(kind, parseSocketTable(kind, text));
  }
  const sockets = classifySockets(fds, tables);
  const inetSockets = sockets.filter((s) => INET_SOCKET_KINDS.includes(s.kind)).length;
  const interfaces = (tryRead('/proc/self/net/dev') ?? '').split('\n').slice(2)
    .map((l) => l.split(':')[0]?.trim() ?? '').filter((n) => n !== '');
  const mapped = new Set<string>();
  for (const line of (tryRead('/proc/self/maps') ?? '').split('\n')) {
    const path = line.split(/\s+/).slice(5).join(' ');
    if (path.endsWith('.gguf')) mapped.add(path);
  }
  // A socket the tables do not know cannot be shown to be local: it counts against the verdict.
  const unknown = sockets.some((s) => s.kind === 'unknown');
  return {
    ...base, inspected: true, descriptors, sockets, inetSockets, interfaces, mappedModelFiles: [...mapped],
    verdict: inetSockets > 0 ? 'network' : unknown ? 'unknown' : 'offline',
  };
}
