// Bounded-time fuzzer of chat-template rendering as the server does it: untrusted Jinja templates from model files
// rendered by @huggingface/jinja in the sandbox worker (server/src/chat/jinja-sandbox.ts), with the conversation as
// input. Seeded mutations of real chat templates, hostile fragments (huge and nested loops, recursion, giant
// strings, prototype and constructor access) and hostile conversations.
//
// Every render must, within the sandbox deadline plus a margin, either return text or throw an Error with a
// non-empty message; the server process (this one) must stay alive and unpolluted; a template must never reach
// the process environment; and after a stopped render the sandbox must render a good template correctly again.
// Violations are written to test/fuzz/findings/jinja/ (a JSON case each) and counted; cases kept in
// test/fuzz/regressions/jinja/ are replayed first.
//
//   node --import tsx test/fuzz/jinja-fuzz.ts [--seconds N] [--seed N] [--replay-only]
//
// Prints one line of JSON at the end: {"target":"jinja","execs":...,"findings":...,...}.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as esbuild from 'esbuild';
import { JinjaSandbox } from '../../server/src/chat/jinja-sandbox';
import { detectChatFormat, renderPrompt, RenderLimitError, type PromptMessage } from '../../server/src/chat/template';

const ROOT = join(__dirname, '..', '..');
const REGRESSIONS = join(ROOT, 'test', 'fuzz', 'regressions', 'jinja');
const FINDINGS = join(ROOT, 'test', 'fuzz', 'findings', 'jinja');

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const seconds = Number(arg('--seconds') ?? process.env['TRIT_FUZZ_SECONDS'] ?? 60);
const seed = Number(arg('--seed') ?? 1);
const replayOnly = process.argv.includes('--replay-only');
const TIMEOUT_MS = 1000;
// The deadline plus the time to terminate a worker and start the next one on a busy 2-core machine.
const SLACK_MS = 2500;

// A value a template must never see: the sandbox's worker must not give templates a way to the environment.
const SECRET = `trit-fuzz-secret-${process.pid}-${Date.now()}`;
process.env['TRIT_FUZZ_SECRET'] = SECRET;

// ---------------------------------------------------------------------------------------------------------------
// Seeds: common chat formats, written out here.

const SEEDS: string[] = [
  // ChatML
  "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
  // LLaMA-3 instruct
  "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}",
  // Mistral-style [INST], refusing a system role
  "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ message['content'] + eos_token }}{% else %}{{ raise_exception('Only user and assistant roles are supported!') }}{% endif %}{% endfor %}",
  // Gemma-style turns with a role rename
  "{{ bos_token }}{% for message in messages %}{% if message['role'] == 'assistant' %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\\n' + message['content'] | trim + '<end_of_turn>\\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\\n'}}{% endif %}",
  // Zephyr-style with a namespace and a macro
  "{% macro turn(role, text) %}<|{{ role }}|>\n{{ text }}{{ eos_token }}\n{% endmacro %}{% set ns = namespace(n=0) %}{% for m in messages %}{% set ns.n = ns.n + 1 %}{{ turn(m.role, m.content) }}{% endfor %}{% if add_generation_prompt %}<|assistant|>\n{% endif %}",
  // Phi-3-style with filters and slicing
  "{% for message in messages[-10:] %}{% if message.role in ['system', 'user', 'assistant'] %}{{ '<|' ~ message.role ~ '|>' ~ '\\n' ~ (message.content | replace('\\r', '')) ~ '<|end|>' ~ '\\n' }}{% endif %}{% endfor %}{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% else %}{{ eos_token }}{% endif %}",
];

// Fragments spliced into templates: control structures, hostile loops, recursion, big strings, object access.
const FRAGMENTS: string[] = [
  '{% for i in range(1000000) %}{{ i }}{% endfor %}',
  '{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}',
  '{% macro r(n) %}{{ r(n + 1) }}{% endmacro %}{{ r(0) }}',
  '{% set s = "x" * 100000000 %}{{ s | length }}',
  "{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}",
  '{{ "a" * 1000000 }}',
  '{{ messages.__proto__ }}',
  '{{ messages.constructor }}',
  "{{ ''.constructor.constructor('return process')() }}",
  "{{ messages['__proto__']['polluted'] }}",
  '{% set x = messages.__proto__ %}{% set x.polluted = 1 %}',
  "{{ range.constructor('return process.env')() }}",
  '{{ messages | tojson }}',
  '{{ messages[0].content | upper | lower | trim | length }}',
  '{% if messages | length > 1 %}{{ messages[1]["role"] }}{% endif %}',
  '{{ raise_exception("fuzz") }}',
  '{{ 1 / 0 }}',
  '{{ 10 ** 1000 }}',
  '{{ undefined_name.attr.attr }}',
  '{% for m in messages %}{% for m2 in messages %}{{ m.role ~ m2.role }}{% endfor %}{% endfor %}',
  '{% set l = [] %}{% for i in range(100000) %}{% set l = l + [i] %}{% endfor %}{{ l | length }}',
  '{%', '%}', '{{', '}}', '{#', '#}', '{% endfor %}', '{% endif %}', '{% else %}', '{% endmacro %}',
  '{% for', ' in ', 'range(', ')', '[', ']', '(', '"', "'", '|', '~', '.', '-', '{% raw %}', '{% endraw %}',
  '{%- if true -%}', '{% elif false %}', '{% set ns = namespace() %}', '{% call r() %}x{% endcall %}',
  '{{ (messages | selectattr("role", "equalto", "user") | list)[0].content }}',
  '{{ messages | map(attribute="content") | join("\\n") }}',
  '{{ "%s" % messages }}', '{{ messages[::-1] }}', '{{ messages[99999999999] }}', '{{ -9007199254740993 }}',
];

// ---------------------------------------------------------------------------------------------------------------
// Deterministic randomness.

function xorshift(s: number): () => number {
  let x = s >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}
const rand = xorshift(seed);
const below = (n: number): number => rand() % n;
const pick = <T>(a: readonly T[]): T => a[below(a.length)] as T;

// A position just after a tag ('%}' or '}}') most of the time, so that inserted fragments keep the template valid.
function position(t: string): number {
  if (below(4) === 0) return below(t.length + 1);
  const ends: number[] = [];
  for (let i = t.indexOf('}'); i >= 0; i = t.indexOf('}', i + 1)) if (t[i - 1] === '%' || t[i - 1] === '}') ends.push(i + 1);
  return ends.length > 0 ? pick(ends) : below(t.length + 1);
}

function mutate(template: string): string {
  let t = template;
  const steps = 1 + below(3);
  for (let s = 0; s < steps; s++) {
    const at = position(t);
    switch (below(7)) {
      case 0:
      case 1:
        t = t.slice(0, at) + pick(FRAGMENTS) + t.slice(at);
        break;
      case 2: {
        const len = below(Math.min(40, t.length - at) + 1);
        t = t.slice(0, at) + t.slice(at + len);
        break;
      }
      case 3: {
        const len = below(Math.min(60, t.length - at) + 1);
        t = t.slice(0, at) + t.slice(at, at + len).repeat(2 + below(3)) + t.slice(at + len);
        break;
      }
      case 4:
        t = t.slice(0, at) + String.fromCharCode(below(128)) + t.slice(at + 1);
        break;
      case 5: {
        const other = pick(SEEDS);
        const from = below(other.length);
        t = t.slice(0, at) + other.slice(from, from + below(120)) + t.slice(at);
        break;
      }
      default:
        t = pick(FRAGMENTS) + t;
    }
  }
  return t.slice(0, 70_000);
}

type Items = Record<string, unknown>;

function conversation(): Items {
  const contents = [
    'Hello', '', 'x'.repeat(1 + below(200_000)), '{{ 7 * 7 }}', '{% for i in range(10) %}', '<|im_end|><|eot_id|>',
    '\u0000\uFFFF\uD800', '__proto__', 'é中😀', '\n'.repeat(1000),
  ];
  const roles = ['system', 'user', 'assistant', 'user', 'tool', '', '__proto__', 'constructor'];
  const n = below(8);
  const messages: unknown[] = [];
  for (let i = 0; i < n; i++) {
    switch (below(10)) {
      case 0:
        messages.push({ role: pick(roles) });
        break;
      case 1:
        messages.push({ role: 'user', content: [{ type: 'text', text: pick(contents) }] });
        break;
      case 2:
        messages.push(JSON.parse('{"role":"user","content":"hi","__proto__":{"polluted":1}}'));
        break;
      default:
        messages.push({ role: pick(roles), content: pick(contents) });
    }
  }
  return { messages, bos_token: pick(['<s>', '', '<|begin_of_text|>']), eos_token: pick(['</s>', '']), add_generation_prompt: below(2) === 0 };
}

// ---------------------------------------------------------------------------------------------------------------
// The sandbox as the server ships it: the worker bundled by esbuild.

const work = mkdtempSync(join(tmpdir(), 'trit-jinja-fuzz-'));
const script = join(work, 'jinja-worker.js');
esbuild.buildSync({
  entryPoints: [join(ROOT, 'server', 'src', 'chat', 'jinja-worker.ts')],
  outfile: script, bundle: true, platform: 'node', format: 'cjs', target: 'node20', logLevel: 'silent',
});
const sandbox = new JinjaSandbox({ script, timeoutMs: TIMEOUT_MS, heapMb: 64, maxBytes: 1024 * 1024 });

const GOOD = SEEDS[0] as string;
const GOOD_ITEMS = { messages: [{ role: 'user', content: 'ping' }], add_generation_prompt: true };
const GOOD_TEXT = '<|im_start|>user\nping<|im_end|>\n<|im_start|>assistant\n';

interface Case {
  template: string;
  items: Items;
  /** Also run the server's own path: detectChatFormat and renderPrompt. */
  prompt?: boolean;
}

const stats = { execs: 0, texts: 0, errors: 0, limits: 0, findings: 0, replayed: 0, slowestMs: 0 };
const findingKinds = new Map<string, number>();

function record(kind: string, c: Case, detail: string): void {
  stats.findings++;
  findingKinds.set(kind, (findingKinds.get(kind) ?? 0) + 1);
  mkdirSync(FINDINGS, { recursive: true });
  const body = JSON.stringify({ kind, detail: detail.slice(0, 500), ...c }, null, 1);
  const name = createHash('sha1').update(body).digest('hex').slice(0, 16);
  writeFileSync(join(FINDINGS, `${name}.json`), body);
  process.stderr.write(`jinja finding (${kind}): ${detail.slice(0, 200)} -> ${join(FINDINGS, `${name}.json`)}\n`);
}

function polluted(): string | undefined {
  const probe: Record<string, unknown> = {};
  for (const k of ['polluted', 'x', 'constructor_']) if (probe[k] !== undefined) return k;
  const keys = Object.getOwnPropertyNames(Object.prototype);
  return keys.length !== BASE_PROTO_KEYS ? keys.join(',') : undefined;
}
const BASE_PROTO_KEYS = Object.getOwnPropertyNames(Object.prototype).length;

function runCase(c: Case): void {
  stats.execs++;
  const t0 = performance.now();
  let outcome: 'text' | 'error' | 'limit' = 'text';
  try {
    const text = sandbox.render(c.template, c.items);
    if (typeof text !== 'string') return record('not-text', c, typeof text);
    if (text.includes(SECRET)) return record('environment-leak', c, 'the rendering contains the process environment');
    stats.texts++;
  } catch (e) {
    if (e instanceof RenderLimitError) {
      outcome = 'limit';
      stats.limits++;
    } else if (e instanceof Error && e.message.trim() !== '') {
      outcome = 'error';
      stats.errors++;
      if (e.message.includes(SECRET)) return record('environment-leak', c, 'an error message contains the process environment');
    } else {
      return record('unclear-error', c, `threw ${String(e)} (${typeof e})`);
    }
  }
  const ms = performance.now() - t0;
  stats.slowestMs = Math.max(stats.slowestMs, ms);
  if (ms > TIMEOUT_MS + SLACK_MS) record('deadline', c, `took ${ms.toFixed(0)} ms (${outcome})`);
  const p = polluted();
  if (p !== undefined) record('prototype-pollution', c, p);
  if (outcome === 'limit') {
    // The sandbox must recover at once.
    let again = '';
    try {
      again = sandbox.render(GOOD, GOOD_ITEMS);
    } catch (e) {
      again = `threw ${String(e)}`;
    }
    if (again !== GOOD_TEXT) record('no-recovery', c, again);
  }
  if (c.prompt) {
    try {
      const traits = { name: 'fuzz', chatTemplate: c.template, bosText: '<s>', eosText: '</s>', eotText: '', addBos: true, hasFim: false, meta: {} };
      const spec = detectChatFormat(traits, sandbox.render);
      if (spec.kind === 'none') {
        if (spec.reason.trim() === '') record('unclear-error', c, 'empty reason');
      } else {
        const messages: PromptMessage[] = [{ role: 'system', content: 'sys' }, { role: 'user', content: 'question' }];
        renderPrompt(spec, messages);
      }
    } catch (e) {
      if (!(e instanceof Error) || e.message.trim() === '') record('unclear-error', c, `prompt path threw ${String(e)}`);
    }
  }
}

// Regressions first.
if (existsSync(REGRESSIONS)) {
  for (const f of readdirSync(REGRESSIONS).filter((n) => n.endsWith('.json')).sort()) {
    const c = JSON.parse(readFileSync(join(REGRESSIONS, f), 'utf8')) as Case;
    runCase({ template: c.template, items: c.items, prompt: c.prompt ?? true });
    stats.replayed++;
  }
}

const t0 = Date.now();
if (!replayOnly) {
  // Every seed as is, then mutations until the time is up.
  for (const s of SEEDS) runCase({ template: s, items: conversation(), prompt: true });
  while (Date.now() - t0 < seconds * 1000) {
    const template = below(10) === 0 ? pick(FRAGMENTS) : mutate(pick(SEEDS));
    runCase({ template, items: conversation(), prompt: below(8) === 0 });
  }
}

sandbox.dispose();
rmSync(work, { recursive: true, force: true });
const summary = { target: 'jinja', seconds: Math.round((Date.now() - t0) / 1000), ...stats, kinds: Object.fromEntries(findingKinds) };
process.stdout.write(`${JSON.stringify(summary)}\n`);
process.exitCode = stats.findings > 0 ? 1 : 0;
