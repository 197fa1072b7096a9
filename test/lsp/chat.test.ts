// `trit/chat` against the real server process with real models, over stdio like an editor. The BitNet fixture model
// carries the 2B4T converter's chat-template string, so the server speaks the BitNet chat format to it; its weights
// are random, so its words are noise, but tokenization, streaming, prefix reuse and cancellation are all real.
// A model without chat ability is a copy of the fixture without a template and with FIM tokens (the shape of the
// shipped code model), and the shipped model itself when the checkout has it.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CancellationTokenSource, ProgressType } from 'vscode-languageserver-protocol/node';
import type { ChatContext, ChatInfo, ChatParams, ChatResult, ChatTurn } from '../../protocol/src/chat';
import { ROOT, Server, SHIPPED } from './harness';

const BITNET_FIXTURE = join(ROOT, 'test', 'fixtures', 'bitnet', 'models', 'fixture-b158-i2_s.gguf');
const partial = new ProgressType<{ text: string }>();
let nextToken = 0;

const selection: ChatContext = {
  kind: 'selection', uri: 'file:///work/src/stats.py', path: 'src/stats.py', languageId: 'python', startLine: 3, endLine: 5,
  text: 'def mean(values):\n    total = sum(values)\n    return total / len(values)',
};

interface Streamed {
  result: ChatResult;
  parts: string[];
}

/** Sends trit/chat with a partial-result token; `onPart` sees each part as it arrives. */
async function chat(server: Server, params: ChatParams, cts?: CancellationTokenSource, onPart?: (n: number) => void): Promise<Streamed> {
  const token = `chat-test-${++nextToken}`;
  const parts: string[] = [];
  const sub = server.conn.onProgress(partial, token, (p) => {
    parts.push(p.text);
    onPart?.(parts.length);
  });
  try {
    const withToken = { ...params, partialResultToken: token };
    const result = await (cts !== undefined
      ? server.conn.sendRequest<ChatResult>('trit/chat', withToken, cts.token)
      : server.conn.sendRequest<ChatResult>('trit/chat', withToken));
    return { result, parts };
  } finally {
    sub.dispose();
  }
}

describe('trit/chat with the BitNet fixture model', () => {
  let server: Server;
  before(async () => {
    server = await Server.start({ modelPath: BITNET_FIXTURE });
    const status = await server.ready();
    assert.equal(status.state, 'ready', JSON.stringify(status));
  });
  after(async () => server.stop());

  it('trit/chatInfo: the BitNet chat format is recognised from the stored template', async () => {
    const info = await server.conn.sendRequest<ChatInfo>('trit/chatInfo', {});
    assert.deepEqual({ ...info }, { available: true, model: info.model, format: 'bitnet', contextLength: 512 });
  });

  it('streams several partial results and completes, with the text the result reports', async () => {
    const turns: ChatTurn[] = [{ role: 'user', content: 'What does this function do?', contexts: [selection] }];
    const { result, parts } = await chat(server, { turns, maxTokens: 64 });
    assert.ok(parts.length >= 3, `only ${parts.length} partial results`);
    assert.equal(parts.join(''), result.text);
    assert.ok(['eog', 'length', 'stop', 'context'].includes(result.stopReason), result.stopReason);
    assert.ok(result.generatedTokens > 0 && result.generatedTokens <= 64);
    assert.ok(result.promptTokens > 40, `${result.promptTokens}`);
    assert.ok(server.logs.some((l) => /chat: model .* format bitnet/.test(l)));

    // Streamed, not sent in a burst at the end: a cancel sent when the first part arrives still finds the answer
    // being generated. (Timing the parts would measure the machine: on a fast one the whole answer takes a few ms.)
    const cts = new CancellationTokenSource();
    const early = await chat(server, { turns, maxTokens: 4000 }, cts, (n) => { if (n === 1) cts.cancel(); });
    assert.equal(early.result.stopReason, 'cancelled', 'the parts all came after the answer was complete');
    assert.ok(early.result.generatedTokens < 512 - early.result.promptTokens, `${early.result.generatedTokens} generated`);
    assert.equal(early.parts.join(''), early.result.text);
  });

  it('a follow-up turn reuses the earlier prompt from the chat slot', async () => {
    const first: ChatTurn[] = [{ role: 'user', content: 'Explain this code.', contexts: [selection] }];
    const a = await chat(server, { turns: first, maxTokens: 24 });
    const b = await chat(server, {
      turns: [...first, { role: 'assistant', content: a.result.text }, { role: 'user', content: 'And for an empty list?' }],
      maxTokens: 24,
    });
    assert.ok(b.result.promptTokens > a.result.promptTokens);
    // Everything up to the start of the first answer is reused ("Assistant: " then the answer may re-tokenize its
    // last space together with the answer's first word, so allow two tokens).
    assert.ok(b.result.reusedTokens >= a.result.promptTokens - 2, `reused ${b.result.reusedTokens} of ${a.result.promptTokens}`);
  });

  it('cancel mid-stream stops generation within 100 ms', async (t) => {
    const latencies: number[] = [];
    for (let round = 0; round < 3; round++) {
      const cts = new CancellationTokenSource();
      let cancelledAt = 0;
      let partsAtCancel = 0;
      const streamed = chat(server, { turns: [{ role: 'user', content: `Question ${round}: explain this code.`, contexts: [selection] }], maxTokens: 4000 }, cts, (n) => {
        if (n === 5 && cancelledAt === 0) {
          partsAtCancel = n;
          cancelledAt = performance.now();
          cts.cancel(); // sends $/cancelRequest now
        }
      });
      const { result, parts } = await streamed;
      const latency = performance.now() - cancelledAt;
      latencies.push(latency);
      assert.ok(cancelledAt > 0, 'the answer ended before five parts arrived');
      assert.equal(result.stopReason, 'cancelled');
      // Generation stopped far short of its 4000-token budget. How many parts were already in flight when the
      // cancel left depends only on the machine's speed (a fast one streams dozens in a few milliseconds), so the
      // count of parts is not the measure: the time to the response is.
      assert.ok(result.generatedTokens < 1000, `generated ${result.generatedTokens} tokens`);
      assert.ok(partsAtCancel === 5 && parts.length >= partsAtCancel);
      assert.ok(latency <= 100, `response ${latency.toFixed(1)} ms after the cancel`);
    }
    const info = await server.info();
    assert.ok((info.engine?.cancelled ?? 0) >= 3, 'the engine counted the cancelled jobs');
    // The chat slot is free again: a new answer runs to its end.
    const next = await chat(server, { turns: [{ role: 'user', content: 'Once more.' }], maxTokens: 8 });
    assert.notEqual(next.result.stopReason, 'cancelled');
    t.diagnostic(`cancel → response: ${latencies.map((l) => l.toFixed(1)).join(', ')} ms`);
  });

  it('an inline completion does not wait behind a chat answer: it pre-empts it, and the answer resumes', async (t) => {
    const uri = 'file:///work/src/queue.ts';
    await server.open(uri, 'export function push<T>(queue: T[], item: T): number {\n  return queue.', 'typescript');
    let completion: { done: number; queueMs: number; outcome: string } | undefined;
    let chatDone = 0;
    const streamed = chat(server, { turns: [{ role: 'user', content: 'Explain this code in detail.', contexts: [selection] }], maxTokens: 4000 }, undefined, (n) => {
      if (n === 5) {
        void server.complete(uri, { line: 1, character: 15 }, { invoked: true }).then((r) => {
          completion = { done: performance.now(), queueMs: r.stats.queueMs, outcome: r.stats.outcome };
        });
      }
    });
    const { result, parts } = await streamed;
    chatDone = performance.now();
    await server.until('the completion', () => completion);
    assert.ok(completion !== undefined && completion.done < chatDone, 'the completion finished after the chat answer');
    assert.notEqual(completion.outcome, 'error');
    assert.notEqual(result.stopReason, 'cancelled', 'pre-emption is not a cancellation');
    assert.equal(parts.join(''), result.text, 'the answer streamed on without a gap or a repeat');
    assert.ok(server.logs.some((l) => /^chat: .*pre-empted [1-9]\d*×/.test(l)), 'the chat job was pre-empted');
    t.diagnostic(`completion queued ${completion.queueMs.toFixed(1)} ms behind the chat answer`);
    await server.close(uri);
  });

  it('a long conversation is trimmed to the context, oldest turns first', async () => {
    const turns: ChatTurn[] = [];
    for (let i = 0; i < 12; i++) {
      turns.push({ role: 'user', content: `Question ${i}: ${'what does mean() return for a list of numbers? '.repeat(3)}` });
      turns.push({ role: 'assistant', content: `Answer ${i}: ${'it returns the average of the values. '.repeat(4)}` });
    }
    turns.push({ role: 'user', content: 'Last question.', contexts: [selection] });
    const { result } = await chat(server, { turns, maxTokens: 16 });
    assert.ok(result.trimmedTurns > 0 && result.trimmedTurns % 2 === 0, `trimmed ${result.trimmedTurns}`);
    assert.ok(result.promptTokens + 16 <= 512, `prompt ${result.promptTokens}`);
    assert.notEqual(result.stopReason, 'context');
  });

  it('rejects a malformed request with a clear error', async () => {
    await assert.rejects(
      server.conn.sendRequest('trit/chat', { turns: [{ role: 'assistant', content: 'no question' }] }),
      (e: { code: number; message: string }) => e.code === 3103 && /must end with a user turn/.test(e.message),
    );
  });
});

describe('trit/chat with the scripted chat model (a fixed answer with a code block)', () => {
  const model = join(ROOT, 'test', 'fixtures', 'chat', 'scripted-chat.gguf');
  it('streams the whole answer, token by token, and ends it at <|eot_id|>', async () => {
    const spec = '../fixtures/chat/make-scripted-chat-model.mjs';
    const { ANSWER } = (await import(spec)) as { ANSWER: string };
    const server = await Server.start({ modelPath: model });
    try {
      assert.equal((await server.ready()).state, 'ready');
      const { result, parts } = await chat(server, { turns: [{ role: 'user', content: 'Explain this.', contexts: [selection] }] });
      assert.equal(result.text, ANSWER);
      assert.equal(parts.join(''), ANSWER);
      assert.equal(result.stopReason, 'eog');
      assert.equal(parts.length, result.generatedTokens, 'one partial result per generated token');
      assert.match(result.text, /```python\n[\s\S]+\n```/);
    } finally {
      await server.stop();
    }
  });
});

/** Writes a copy of `src` with another chat template (none: no template and FIM token ids, the shape of a
 *  code-completion model). */
async function modelVariant(src: string, dst: string, template?: string): Promise<void> {
  const spec = '../../tools/gguf.mjs';
  const gguf = (await import(spec)) as {
    readGGUF(p: string): { kv: Map<string, { type: number; value: unknown; elemType?: number }>; tensors: { name: string; dims: number[]; type: number }[] };
    readTensorBytes(p: string, f: unknown, t: unknown): Buffer;
    GGUFWriter: new () => { set(k: string, t: number, v: unknown, e?: number): unknown; u32(k: string, v: number): unknown; tensor(n: string, d: number[], t: number, b: Buffer): unknown; writeFile(p: string): number };
  };
  const file = gguf.readGGUF(src);
  const w = new gguf.GGUFWriter();
  for (const [key, kv] of file.kv) if (key !== 'tokenizer.chat_template' && key !== 'general.alignment') w.set(key, kv.type, kv.value, kv.elemType);
  if (template !== undefined) {
    w.set('tokenizer.chat_template', 8, template);
  } else {
    w.u32('tokenizer.ggml.fim_pre_token_id', 256);
    w.u32('tokenizer.ggml.fim_suf_token_id', 257);
    w.u32('tokenizer.ggml.fim_mid_token_id', 258);
  }
  for (const t of file.tensors) w.tensor(t.name, t.dims, t.type, gguf.readTensorBytes(src, file, t));
  w.writeFile(dst);
}

describe('trit/chat with a model that cannot chat', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trit-chat-'));
  const variant = join(dir, 'code-model.gguf');
  after(() => rmSync(dir, { recursive: true, force: true }));

  const models: { name: string; path: () => string; skip: string | false; reason: RegExp }[] = [
    { name: 'a code model made from the fixture (FIM tokens, no template)', path: () => variant, skip: false, reason: /code-completion \(fill-in-the-middle\) model without a chat format/ },
    { name: 'the shipped model', path: () => SHIPPED, skip: existsSync(SHIPPED) ? false : 'models/trit-code.gguf is not in this checkout', reason: /code-completion|not trained to chat|no chat template/ },
  ];
  for (const m of models) {
    it(`${m.name}: the panel is told why, and chat is refused with that reason`, { skip: m.skip }, async () => {
      if (m.path() === variant) await modelVariant(BITNET_FIXTURE, variant);
      const server = await Server.start({ modelPath: m.path() });
      try {
        assert.equal((await server.ready()).state, 'ready');
        const info = await server.conn.sendRequest<ChatInfo>('trit/chatInfo', {});
        assert.equal(info.available, false);
        assert.equal(info.format, 'none');
        assert.match(info.reason ?? '', m.reason);
        assert.match(info.reason ?? '', /trit\.model\.path|Select Model File/);
        const before = (await server.info()).engine?.jobs ?? 0;
        await assert.rejects(
          chat(server, { turns: [{ role: 'user', content: 'Explain this.', contexts: [selection] }] }),
          (e: { code: number; message: string }) => e.code === 3101 && e.message === info.reason,
        );
        assert.equal((await server.info()).engine?.jobs ?? 0, before, 'no generation ran');
      } finally {
        await server.stop();
      }
    });
  }
});

describe('trit/chat with Jinja chat templates from the model file (rendered in the sandbox)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'trit-chat-jinja-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('a usable template: format "jinja", and the answer streams', async () => {
    const path = join(dir, 'chatml.gguf');
    await modelVariant(BITNET_FIXTURE, path,
      "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}{% endfor %}" +
      "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}");
    const server = await Server.start({ modelPath: path });
    try {
      assert.equal((await server.ready()).state, 'ready');
      const info = await server.conn.sendRequest<ChatInfo>('trit/chatInfo', {});
      assert.equal(info.format, 'jinja');
      assert.equal(info.available, true);
      const { result, parts } = await chat(server, { turns: [{ role: 'user', content: 'Explain this.', contexts: [selection] }], maxTokens: 16 });
      assert.ok(parts.length >= 3 && result.promptTokens > 40);
    } finally {
      await server.stop();
    }
  });

  it('a hostile template (endless loop) leaves the model without chat, and the server keeps serving', async () => {
    const path = join(dir, 'hostile.gguf');
    await modelVariant(BITNET_FIXTURE, path, '{% for i in range(100000) %}{% for j in range(100000) %}{{ "" }}{% endfor %}{% endfor %}');
    const server = await Server.start({ modelPath: path });
    try {
      assert.equal((await server.ready()).state, 'ready');
      const t0 = performance.now();
      const info = await server.conn.sendRequest<ChatInfo>('trit/chatInfo', {});
      assert.equal(info.available, false);
      assert.match(info.reason ?? '', /cannot be used \(rendering took longer than \d+ ms/);
      assert.ok(performance.now() - t0 < 10_000);
      assert.equal((await server.info()).state, 'ready', 'the server still answers');
    } finally {
      await server.stop();
    }
  });
});
