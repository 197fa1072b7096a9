// Client for native/tests/vocab-driver (the tokenizer's C++ test driver): builds it with make if needed, starts it
// on a GGUF file and talks its framed stdin/stdout protocol. Requests are answered in order, one at a time.
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '../..');

export interface VocabInfo {
  n_tokens: number;
  pre: string;
  add_bos: boolean;
  bos: number;
  eos: number;
  eot: number;
  pad: number;
  fim_pre: number;
  fim_suf: number;
  fim_mid: number;
  n_merges_skipped: number;
  unicode: string;
  eog: number[];
}

/** Builds the driver and the unit tests (release and ASan+UBSan); returns the driver's path. */
export function buildDriver(sanitized = false): string {
  const r = spawnSync('make', ['-s', '-j2', '-f', 'native/tests/vocab.mk', 'all'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`building the tokenizer driver failed:\n${r.stdout}\n${r.stderr}`);
  return path.join(repoRoot, 'native/build-tests', sanitized ? 'vocab-driver-san' : 'vocab-driver');
}

export function driverInfo(driver: string, model: string): VocabInfo {
  const r = spawnSync(driver, [model, 'info'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`vocab-driver info failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as VocabInfo;
}

export class VocabDriver {
  private readonly proc: ChildProcessWithoutNullStreams;
  private buffered = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  private stderr = '';
  private exited = false;

  constructor(driver: string, model: string) {
    this.proc = spawn(driver, [model, 'serve']);
    this.proc.stdout.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.waiter?.();
    });
    this.proc.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.proc.on('exit', () => {
      this.exited = true;
      this.waiter?.();
    });
  }

  async tokenize(text: string | Buffer, addBos: boolean, parseSpecial: boolean): Promise<number[]> {
    const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    const head = Buffer.alloc(7);
    head.write('T', 0, 'latin1');
    head.writeUInt8(addBos ? 1 : 0, 1);
    head.writeUInt8(parseSpecial ? 1 : 0, 2);
    head.writeUInt32LE(bytes.length, 3);
    this.proc.stdin.write(Buffer.concat([head, bytes]));
    const count = await this.readCount();
    const body = await this.read(count * 4);
    return Array.from({ length: count }, (_, i) => body.readInt32LE(i * 4));
  }

  async detokenize(ids: number[], renderSpecial: boolean): Promise<Buffer> {
    const head = Buffer.alloc(6);
    head.write('D', 0, 'latin1');
    head.writeUInt8(renderSpecial ? 1 : 0, 1);
    head.writeUInt32LE(ids.length, 2);
    this.proc.stdin.write(Buffer.concat([head, int32s(ids)]));
    return this.read(await this.readCount());
  }

  /** The pre-tokenizer's pieces of `text`, as byte lengths. */
  async split(text: string): Promise<number[]> {
    const bytes = Buffer.from(text, 'utf8');
    const head = Buffer.alloc(5);
    head.write('S', 0, 'latin1');
    head.writeUInt32LE(bytes.length, 1);
    this.proc.stdin.write(Buffer.concat([head, bytes]));
    const count = await this.readCount();
    const body = await this.read(count * 4);
    return Array.from({ length: count }, (_, i) => body.readUInt32LE(i * 4));
  }

  async close(): Promise<void> {
    if (this.exited) return;
    this.proc.stdin.end();
    await new Promise<void>((resolve) => {
      if (this.exited) resolve();
      else this.proc.on('exit', () => resolve());
    });
  }

  private async readCount(): Promise<number> {
    const n = (await this.read(4)).readUInt32LE(0);
    if (n !== 0xffffffff) return n;
    const len = (await this.read(4)).readUInt32LE(0);
    throw new Error((await this.read(len)).toString('utf8'));
  }

  private async read(n: number): Promise<Buffer> {
    while (this.buffered.length < n) {
      if (this.exited) throw new Error(`vocab-driver exited early: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        this.waiter = resolve;
      });
      this.waiter = null;
    }
    const out = this.buffered.subarray(0, n);
    this.buffered = this.buffered.subarray(n);
    return out;
  }
}

function int32s(ids: number[]): Buffer {
  const b = Buffer.alloc(ids.length * 4);
  ids.forEach((id, i) => b.writeInt32LE(id, i * 4));
  return b;
}
