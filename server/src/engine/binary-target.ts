// Which platform and CPU a native library file was built for, read from its header (ELF, Mach-O or PE). Used to
// explain a failed load in words a user can act on: glibc reports an ELF for another CPU only as "cannot open
// shared object file: No such file or directory", which names no cause at all.
import { closeSync, openSync, readSync } from 'node:fs';

const elfMachines: Record<number, string> = { 0x03: 'ia32', 0x28: 'arm', 0x3e: 'x64', 0xb7: 'arm64', 0xf3: 'riscv64' };
const machoCpus: Record<number, string> = { 0x01000007: 'x64', 0x0100000c: 'arm64', 0x07: 'ia32', 0x0c: 'arm' };
const peMachines: Record<number, string> = { 0x8664: 'x64', 0xaa64: 'arm64', 0x014c: 'ia32', 0x01c4: 'arm' };

/** "linux-arm64", "darwin-x64", "win32-x64", ... for a library header; undefined when it is none of these. */
export function binaryTargetOf(header: Uint8Array): string | undefined {
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  const u16 = (at: number, little: boolean): number | undefined => (at + 2 <= header.length ? view.getUint16(at, little) : undefined);
  const u32 = (at: number, little: boolean): number | undefined => (at + 4 <= header.length ? view.getUint32(at, little) : undefined);
  if (u32(0, false) === 0x7f454c46) {
    // ELF: EI_DATA at 5 (1 = little-endian), e_machine at 18.
    const machine = u16(18, header[5] === 1);
    const arch = machine === undefined ? undefined : elfMachines[machine];
    return arch && `linux-${arch}`;
  }
  const magic = u32(0, true);
  if (magic === 0xfeedfacf || magic === 0xfeedface) {
    const cpu = u32(4, true);
    const arch = cpu === undefined ? undefined : machoCpus[cpu];
    return arch && `darwin-${arch}`;
  }
  if (u32(0, false) === 0xcafebabe) return 'darwin-universal';
  if (u16(0, false) === 0x4d5a) {
    // PE: the offset of "PE\0\0" at 0x3c, the machine right after it.
    const pe = u32(0x3c, true);
    if (pe === undefined || u32(pe, false) !== 0x50450000) return undefined;
    const machine = u16(pe + 4, true);
    const arch = machine === undefined ? undefined : peMachines[machine];
    return arch && `win32-${arch}`;
  }
  return undefined;
}

/** The target of a library file, or undefined when it cannot be read or is not recognised. */
export function binaryTarget(path: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const header = new Uint8Array(4096);
    const n = readSync(fd, header, 0, header.length, 0);
    return binaryTargetOf(header.subarray(0, n));
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
