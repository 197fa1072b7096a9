// The sandbox for chat templates from model files: templates render as in-process, and hostile ones (endless
// loops, huge allocations, huge output) are stopped with an error while the caller's thread stays responsive.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import * as esbuild from 'esbuild';
import { JinjaSandbox } from '../../server/src/chat/jinja-sandbox';
import { detectChatFormat, renderInProcess } from '../../server/src/chat/template';

// The worker as the server ships it: bundled by esbuild (worker threads do not take a TypeScript loader).
const dir = mkdtempSync(join(tmpdir(), 'trit-jinja-'));
const script = join(dir, 'jinja-worker.js');
esbuild.buildSync({
  entryPoints: [join(__dirname, '..', '..', 'server', 'src', 'chat', 'jinja-worker.ts')],
  outfile: script, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'silent',
});
const sandbox = new JinjaSandbox({
  script,
  timeoutMs: 3000,
  heapMb: 64,
  maxBytes: 1024 * 1024,
});
after(() => {
  sandbox.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const CHATML =
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}" +
  "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const items = { messages: [{ role: 'user', content: 'Hi <b>there</b>' }], add_generation_prompt: true, bos_token: '<s>', eos_token: '</s>' };

describe('JinjaSandbox', () => {
  it('renders exactly what the in-process renderer renders', () => {
    assert.equal(sandbox.render(CHATML, items), renderInProcess(CHATML, items));
    assert.equal(sandbox.render(CHATML, items), '<|im_start|>user\nHi <b>there</b><|im_end|>\n<|im_start|>assistant\n');
  });

  it("passes the template's own errors through", () => {
    assert.throws(() => sandbox.render("{{ raise_exception('Only user and assistant roles') }}", items), /Only user and assistant roles/);
    assert.throws(() => sandbox.render('{% for x in %}', items));
  });

  const hostile: [string, string][] = [
    ['an endless loop', '{% for i in range(100000) %}{% for j in range(100000) %}{{ "" }}{% endfor %}{% endfor %}'],
    ['a huge allocation', '{% set x = range(2000000000) %}{{ x | length }}'],
  ];
  for (const [what, template] of hostile) {
    it(`stops ${what}, then renders again`, () => {
      const t0 = performance.now();
      assert.throws(() => sandbox.render(template, items), /took longer|out of memory|Invalid array length|allocation/i);
      assert.ok(performance.now() - t0 < 6000, 'the deadline was not kept');
      assert.equal(sandbox.render(CHATML, items), renderInProcess(CHATML, items));
    });
  }

  it('refuses a rendering larger than the limit', () => {
    assert.throws(() => sandbox.render(`{% for i in range(3000) %}{{ '${'x'.repeat(1000)}' }}{% endfor %}`, items), /too long/);
  });

  it('a missing worker script is a clear error, not a timeout', () => {
    const missing = new JinjaSandbox({ script: join(dir, 'nope.js'), timeoutMs: 3000 });
    const t0 = performance.now();
    assert.throws(() => missing.render(CHATML, items), /chat template renderer is missing/);
    assert.ok(performance.now() - t0 < 500);
  });

  it('a model with a hostile template gets no chat, with the reason', () => {
    const spec = detectChatFormat(
      { name: 'evil', chatTemplate: hostile[0][1], bosText: '<s>', eosText: '</s>', eotText: '', addBos: true, hasFim: false, meta: {} },
      sandbox.render,
    );
    assert.equal(spec.kind, 'none');
    assert.match(spec.kind === 'none' ? spec.reason : '', /cannot be used \(rendering took longer/);
  });
});
