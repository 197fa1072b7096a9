// The text of "Trit: Verify Offline Mode": the language server's own evidence (trit/offlineReport) as a report a
// user can read, with one verdict line first. Pure, so it is unit-tested without VS Code.
import type { OfflineReport } from '../../protocol/src/index';

export function verdictLine(r: OfflineReport): string {
  switch (r.verdict) {
    case 'offline':
      return 'VERDICT: OFFLINE — the Trit language server has no network socket open.';
    case 'network':
      return `VERDICT: NETWORK SOCKET FOUND — the Trit language server has ${r.inetSockets} network socket(s) open.`;
    default:
      return r.inspected
        ? 'VERDICT: UNKNOWN — the server has a socket whose kind could not be determined.'
        : `VERDICT: UNKNOWN — this platform (${r.platform}) cannot be inspected; the check needs Linux /proc.`;
  }
}

export function formatOfflineReport(r: OfflineReport, when: Date): string {
  const lines = [
    'Trit offline check',
    '==================',
    verdictLine(r),
    '',
    `Checked at ${when.toISOString()} in the language server process ${r.pid} (${r.platform}).`,
    `Model file it loaded: ${r.modelPath ?? '(none)'}`,
    `Model files mapped into its memory: ${r.mappedModelFiles.length > 0 ? r.mappedModelFiles.join(', ') : '(none)'}`,
  ];
  if (r.inspected) {
    const d = Object.entries(r.descriptors).sort().map(([k, n]) => `${k} ${n}`).join(', ');
    lines.push(`Open descriptors: ${d || '(none)'}`);
    const byKind = new Map<string, number>();
    for (const s of r.sockets) byKind.set(s.kind, (byKind.get(s.kind) ?? 0) + 1);
    const kinds = [...byKind].map(([k, n]) => `${k} ${n}`).join(', ');
    lines.push(`Sockets by kind: ${kinds || '(none)'}; network (tcp, udp, raw, v4 or v6): ${r.inetSockets}`);
    for (const s of r.sockets) {
      lines.push(`  fd ${s.fd}: ${s.kind} socket, inode ${s.inode}${s.detail ? `, ${s.detail}` : ''}`);
    }
    lines.push(`Network interfaces visible to the server: ${r.interfaces.join(', ') || '(none)'}`);
    lines.push('', 'Unix sockets and pipes are the private channel between VS Code and the server; they do not leave',
      'this computer. Trit never downloads anything and sends nothing: the model runs on this CPU.');
  }
  return lines.join('\n');
}
