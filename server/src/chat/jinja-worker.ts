// Renders Jinja chat templates in a worker thread for JinjaSandbox (jinja-sandbox.ts). A template comes from a model
// file and may be hostile: in here, an endless loop or a huge allocation costs this thread, which the server
// terminates, and never the server's own event loop or heap.
//
// Protocol: the parent posts { template, items, shared }. `shared` is a SharedArrayBuffer: Int32 [0] = state
// (0 pending, 1 ok, 2 error), Int32 [1] = byte length of the UTF-8 answer that follows at byte 8 (the rendered text,
// or the error message). The parent waits on [0] with Atomics.wait.

import { parentPort } from 'node:worker_threads';
import { Template } from '@huggingface/jinja';

interface RenderJob {
  template: string;
  items: Record<string, unknown>;
  shared: SharedArrayBuffer;
}

const parsed = new Map<string, Template>();
const encoder = new TextEncoder();

function answer(shared: SharedArrayBuffer, state: 1 | 2, text: string): void {
  const header = new Int32Array(shared, 0, 2);
  const body = new Uint8Array(shared, 8);
  let bytes = encoder.encode(text);
  if (bytes.length > body.length) {
    state = 2;
    bytes = encoder.encode('the rendered prompt is too long');
  }
  body.set(bytes);
  header[1] = bytes.length;
  Atomics.store(header, 0, state);
  Atomics.notify(header, 0);
}

parentPort?.on('message', (job: RenderJob) => {
  try {
    let t = parsed.get(job.template);
    if (t === undefined) {
      t = new Template(job.template);
      parsed.clear();
      parsed.set(job.template, t);
    }
    answer(job.shared, 1, t.render(job.items));
  } catch (e) {
    answer(job.shared, 2, e instanceof Error ? e.message : String(e));
  }
});
