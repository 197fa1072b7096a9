// Synchronous, bounded rendering of untrusted Jinja chat templates: each render runs in a worker thread
// (jinja-worker.ts) with a heap limit, and the caller waits for it with Atomics.wait and a deadline. A template that
// loops forever or allocates without bound is stopped (the worker is terminated and replaced on the next call) and
// reported as an error, so a hostile model file cannot hang or exhaust the language server.

import { existsSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { RenderLimitError, type JinjaRender } from './template';

export interface SandboxOptions {
  /** The worker script (dist/jinja-worker.js next to the server bundle). */
  script: string;
  /** Arguments for the worker's Node (e.g. a TypeScript loader in tests). */
  execArgv?: string[];
  /** Longest time one render may take. */
  timeoutMs?: number;
  /** Heap limit of the worker. */
  heapMb?: number;
  /** Largest rendered prompt in bytes. */
  maxBytes?: number;
}

export class JinjaSandbox {
  private worker: Worker | undefined;
  private readonly shared: SharedArrayBuffer;
  private readonly header: Int32Array;
  private readonly decoder = new TextDecoder();

  constructor(private readonly opts: SandboxOptions) {
    this.shared = new SharedArrayBuffer(8 + (opts.maxBytes ?? 4 * 1024 * 1024));
    this.header = new Int32Array(this.shared, 0, 2);
  }

  /** Renders `template` with `items`; throws with the template's error, or when it runs too long or too big. */
  readonly render: JinjaRender = (template, items) => {
    const worker = this.start();
    Atomics.store(this.header, 0, 0);
    worker.postMessage({ template, items, shared: this.shared });
    const timeoutMs = this.opts.timeoutMs ?? 2000;
    const outcome = Atomics.wait(this.header, 0, 0, timeoutMs);
    const state = Atomics.load(this.header, 0);
    if (outcome === 'timed-out' && state === 0) {
      this.stop();
      throw new RenderLimitError(`rendering took longer than ${timeoutMs} ms or ran out of memory`);
    }
    const text = this.decoder.decode(new Uint8Array(this.shared, 8, this.header[1]).slice());
    if (state !== 1) throw new Error(text);
    return text;
  };

  dispose(): void {
    this.stop();
  }

  private start(): Worker {
    if (this.worker !== undefined) return this.worker;
    // Without its worker the sandbox cannot render at all: say so, instead of timing out.
    if (!existsSync(this.opts.script)) throw new Error(`the chat template renderer is missing (${this.opts.script}); reinstall the extension`);
    const worker = new Worker(this.opts.script, {
      execArgv: this.opts.execArgv ?? [],
      resourceLimits: { maxOldGenerationSizeMb: this.opts.heapMb ?? 96, maxYoungGenerationSizeMb: 16 },
      stdout: false,
      stderr: false,
    });
    // A worker that dies (out of memory) is replaced on the next render; the pending render times out.
    worker.on('error', () => {
      if (this.worker === worker) this.worker = undefined;
    });
    worker.on('exit', () => {
      if (this.worker === worker) this.worker = undefined;
    });
    worker.unref();
    this.worker = worker;
    return worker;
  }

  private stop(): void {
    const w = this.worker;
    this.worker = undefined;
    if (w !== undefined) void w.terminate();
  }
}
