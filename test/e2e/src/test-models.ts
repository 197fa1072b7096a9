// Model files the resilience and security steps switch to, made at run time in the run folder from committed
// fixtures: the shipped code model's weights tagged with a chat format (a chat answer that streams for seconds, so
// the server can be killed in the middle of it), and the scripted chat model answering hostile Markdown.
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { harnessDir } from './code-server.js';

const root = join(harnessDir, '..', '..');

interface Gguf {
  readGGUF(p: string): { kv: Map<string, { type: number; value: unknown; elemType?: number }>; tensors: { name: string; dims: number[]; type: number }[] };
  readTensorBytes(p: string, f: unknown, t: unknown): Buffer;
  GGUFWriter: new () => { set(k: string, t: number, v: unknown, e?: number): unknown; tensor(n: string, d: number[], t: number, b: Buffer): unknown; writeFile(p: string): number };
}

/** The shipped model with `trit.chat.format = bitnet`: the same network, which the server then lets chat. */
export async function chattyShippedModel(target: string): Promise<string> {
  const spec = join(root, 'tools', 'gguf.mjs');
  const gguf = (await import(spec)) as Gguf;
  const src = join(root, 'models', 'trit-code.gguf');
  const file = gguf.readGGUF(src);
  const w = new gguf.GGUFWriter();
  for (const [key, kv] of file.kv) if (key !== 'general.alignment') w.set(key, kv.type, kv.value, kv.elemType);
  w.set('trit.chat.format', 8, 'bitnet');
  for (const t of file.tensors) w.tensor(t.name, t.dims, t.type, gguf.readTensorBytes(src, file, t));
  mkdirSync(dirname(target), { recursive: true });
  w.writeFile(target);
  return target;
}

/** A model that answers every question with `answer` (test/fixtures/chat/make-scripted-chat-model.mjs). */
export async function scriptedModel(answer: string, target: string): Promise<string> {
  const spec = join(root, 'test', 'fixtures', 'chat', 'make-scripted-chat-model.mjs');
  const maker = (await import(spec)) as { makeScriptedChatModel(answer: string, target: string): unknown };
  mkdirSync(dirname(target), { recursive: true });
  const log = process.stdout.write;
  process.stdout.write = () => true; // the maker prints a summary line; keep the harness's output to its report
  try {
    maker.makeScriptedChatModel(answer, target);
  } finally {
    process.stdout.write = log;
  }
  return target;
}

/**
 * Hostile "model answers": each payload, if it ever ran, would set `window.__tritXss` in the frame it ran in and
 * open a dialog. None may run, and the text must be shown as text.
 */
export const HOSTILE_ANSWER = [
  'Hostile answer follows.',
  '<script>window.__tritXss=1;alert(1)</script>',
  '<img src=x onerror="window.__tritXss=2;alert(2)">',
  '<svg onload="window.__tritXss=3;alert(3)"><circle r=9></circle></svg>',
  '<iframe src="javascript:parent.__tritXss=4;alert(4)"></iframe>',
  '<iframe srcdoc="<script>parent.__tritXss=5</script>"></iframe>',
  '<style>body{display:none!important}</style>',
  '[a javascript link](javascript:window.__tritXss=6;alert(6))',
  '<a href="javascript:window.__tritXss=7">raw link</a>',
  '<details open ontoggle="window.__tritXss=8">toggle</details>',
  '![image](x" onerror="window.__tritXss=9)',
  '<math><mtext><table><mglyph><style><img src=x onerror=window.__tritXss=10>',
  '<object data="javascript:window.__tritXss=11"></object>',
  '<form action="javascript:window.__tritXss=12"><button>go</button></form>',
  '```html\n<script>window.__tritXss=13</script>\n```',
  'End of the hostile answer.',
].join('\n\n');
