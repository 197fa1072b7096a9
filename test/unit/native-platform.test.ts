// What a user reads when the installed package does not match the machine: every message names the platform it
// found, the platform it needs, and what to install or run.
import assert from 'node:assert/strict';
import { closeSync, mkdirSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { binaryTarget, binaryTargetOf } from '../../server/src/engine/binary-target';
import { loadNative } from '../../server/src/engine/native';
import { addonCandidates, explainLoadFailure, missingAddonError, platformTag } from '../../server/src/engine/native-locate';

const scratch = mkdtempSync(join(tmpdir(), 'trit-native-platform-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** A 64-byte ELF64 little-endian header for a shared object of the given e_machine. */
function elfHeader(machine: number): Uint8Array {
  const h = new Uint8Array(64);
  h.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]);
  new DataView(h.buffer).setUint16(16, 3, true); // ET_DYN
  new DataView(h.buffer).setUint16(18, machine, true);
  return h;
}

function machoHeader(cpu: number): Uint8Array {
  const h = new Uint8Array(32);
  new DataView(h.buffer).setUint32(0, 0xfeedfacf, true);
  new DataView(h.buffer).setUint32(4, cpu, true);
  return h;
}

function peHeader(machine: number): Uint8Array {
  const h = new Uint8Array(0x100);
  h.set([0x4d, 0x5a]);
  new DataView(h.buffer).setUint32(0x3c, 0x80, true);
  h.set([0x50, 0x45, 0, 0], 0x80);
  new DataView(h.buffer).setUint16(0x84, machine, true);
  return h;
}

test('library headers name their platform and CPU', () => {
  const cases: [string, Uint8Array, string | undefined][] = [
    ['ELF x86-64', elfHeader(0x3e), 'linux-x64'],
    ['ELF AArch64', elfHeader(0xb7), 'linux-arm64'],
    ['ELF ARM', elfHeader(0x28), 'linux-arm'],
    ['Mach-O x86-64', machoHeader(0x01000007), 'darwin-x64'],
    ['Mach-O arm64', machoHeader(0x0100000c), 'darwin-arm64'],
    ['PE x64', peHeader(0x8664), 'win32-x64'],
    ['PE arm64', peHeader(0xaa64), 'win32-arm64'],
    ['ELF of an unknown CPU', elfHeader(0x9999), undefined],
    ['truncated ELF', elfHeader(0x3e).subarray(0, 10), undefined],
    ['text', new TextEncoder().encode('not a library at all'), undefined],
    ['empty', new Uint8Array(0), undefined],
  ];
  for (const [name, header, expected] of cases) assert.equal(binaryTargetOf(header), expected, name);
});

test('the running Node executable is recognised as this platform', () => {
  // process.execPath is an ELF, Mach-O or PE file of exactly this platform and CPU.
  const fd = openSync(process.execPath, 'r');
  const header = new Uint8Array(4096);
  const n = readSync(fd, header, 0, header.length, 0);
  closeSync(fd);
  assert.equal(binaryTargetOf(header.subarray(0, n)), platformTag());
  assert.equal(binaryTarget(process.execPath), platformTag());
  assert.equal(binaryTarget(join(scratch, 'absent.node')), undefined);
});

test('a package holding only another platform\'s engine says which package to install', () => {
  const dist = join(scratch, 'extension', 'dist');
  mkdirSync(join(dist, 'native', 'darwin-arm64'), { recursive: true });
  writeFileSync(join(dist, 'native', 'darwin-arm64', 'trit.node'), machoHeader(0x0100000c));
  const candidates = addonCandidates(dist, {}, 'linux-x64');
  assert.ok(candidates.includes(join(dist, 'native', 'linux-x64', 'trit.node')));
  const err = missingAddonError(dist, candidates, {}, 'linux-x64');
  assert.equal(err.code, 'unsupported');
  assert.match(err.message, /This Trit package is for darwin-arm64 but VS Code runs on linux-x64/);
  assert.match(err.message, /install the Trit \.vsix built for linux-x64/);
});

test('an engine built for another CPU is explained by its header, not by the loader\'s message', () => {
  const file = join(scratch, 'arm64.node');
  writeFileSync(file, elfHeader(0xb7));
  // What glibc really says when dlopen() gets an AArch64 library on x86-64.
  const err = explainLoadFailure(file, new Error(`${file}: cannot open shared object file: No such file or directory`), 'linux-x64');
  assert.equal(err.code, 'unsupported');
  assert.match(err.message, /was built for linux-arm64 but this system is linux-x64/);
  assert.match(err.message, /install the Trit package built for this system, or rebuild from source/);
});

test('loading an engine of another platform fails with the actionable message', { skip: process.platform !== 'linux' }, () => {
  const foreign = platformTag() === 'linux-arm64' ? 0x3e : 0xb7;
  const file = join(scratch, 'foreign.node');
  // A real load attempt through Node's dlopen, of a file that is a library for the other CPU.
  writeFileSync(file, Buffer.concat([elfHeader(foreign), Buffer.alloc(4096)]));
  const saved = process.env.TRIT_ADDON;
  process.env.TRIT_ADDON = file;
  try {
    assert.throws(() => loadNative(), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'unsupported');
      assert.match(err.message, new RegExp(`was built for linux-(arm64|x64) but this system is ${platformTag()}`));
      return true;
    });
  } finally {
    if (saved === undefined) delete process.env.TRIT_ADDON;
    else process.env.TRIT_ADDON = saved;
  }
});
