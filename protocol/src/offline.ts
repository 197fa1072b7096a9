// `trit/offlineReport`: the language server's own evidence that it uses no network. The server lists its open
// file descriptors, classifies every socket by the kernel's socket tables, and names the model file it mapped.
import { request } from './lsp';

/** What kind of socket an open descriptor is ("unix" for IPC, "tcp"/"udp" and their v6 forms are network). */
export type SocketKind = 'unix' | 'tcp' | 'tcp6' | 'udp' | 'udp6' | 'raw' | 'raw6' | 'netlink' | 'stdio' | 'unknown';

export const INET_SOCKET_KINDS: readonly SocketKind[] = ['tcp', 'tcp6', 'udp', 'udp6', 'raw', 'raw6'];

export interface OpenSocket {
  fd: number;
  inode: number;
  kind: SocketKind;
  /**
   * "stdio": standard input, output or error is a socket made outside this process's network namespace (a Node
   * parent's socketpair when the server runs in its own namespace), so this namespace's tables cannot list it; a
   * socket the server itself opens is always listed.
   */
  /** For inet sockets: local and remote address as the kernel lists them; for unix sockets: the path, if any. */
  detail?: string;
}

export interface OfflineReport {
  pid: number;
  platform: string;
  /** Whether the server could inspect itself (Linux /proc); otherwise `verdict` is "unknown". */
  inspected: boolean;
  /** Open descriptors by kind: "socket", "pipe", "file", "anon" (eventfd, epoll …), "other". */
  descriptors: Record<string, number>;
  sockets: OpenSocket[];
  /** How many of `sockets` are network (inet) sockets. */
  inetSockets: number;
  /** Network interfaces the server's namespace has (from /proc/self/net/dev). */
  interfaces: string[];
  /** The model file the engine was asked to load, and the .gguf files mapped into the process. */
  modelPath?: string;
  mappedModelFiles: string[];
  /** "offline": no inet socket is open; "network": at least one is; "unknown": not inspectable here. */
  verdict: 'offline' | 'network' | 'unknown';
}

export const OfflineReportRequest = request<Record<string, never>, OfflineReport>('trit/offlineReport');
