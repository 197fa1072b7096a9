// Chat prompts, pure: which chat format a model speaks, how a conversation becomes prompt text, and how the
// conversation is trimmed to a token budget. No I/O; the caller passes a token counter backed by the model.
//
// Formats (see docs in ARCHITECTURE.md, "Chat formats"):
// - 'bitnet': BitNet b1.58 2B4T was trained on `<|begin_of_text|>System: …<|eot_id|>User: …<|eot_id|>Assistant: `
//   (each message is "Role: content" closed by <|eot_id|>). The converter that made the official GGUF stores a
//   different Jinja string ("Human: … BITNETAssistant: " + eos) that no engine renders: llama.cpp's BitNet fork only
//   searches it for "BITNET" to pick a built-in format. So a template containing "BITNET" is a detection key, never
//   rendered; we build the trained layout ourselves.
// - 'jinja': any other `tokenizer.chat_template`, rendered with @huggingface/jinja after a probe shows it works
//   (in the server, in a sandboxed worker with a deadline and a heap limit: the template comes from the model file).
// - 'none': no usable chat format (e.g. the shipped code model: FIM tokens, no template). Chat is refused with
//   a message that says why and what to do.
//
// Prompt text is returned as pieces: `special` pieces are the format's own scaffolding and are tokenized with
// special tokens recognised; message content never is, so a file that contains "<|eot_id|>" cannot end a turn.

import { Template } from '@huggingface/jinja';

export interface ChatModelTraits {
  name: string;
  /** tokenizer.chat_template, "" when absent. */
  chatTemplate: string;
  /** Text of the BOS / EOS / end-of-turn tokens ("" when the model has none). */
  bosText: string;
  eosText: string;
  eotText: string;
  /** The tokenizer adds BOS by itself (tokenizer.ggml.add_bos_token). */
  addBos: boolean;
  /** The model declares fill-in-the-middle tokens (a code-completion model). */
  hasFim: boolean;
  /** String metadata under "trit." ("trit.chat.format": "none" | "bitnet" forces a format). */
  meta: Readonly<Record<string, string>>;
}

/** Renders a Jinja template (the server passes a sandboxed renderer: jinja-sandbox.ts). Throws on any failure. */
export type JinjaRender = (template: string, items: Record<string, unknown>) => string;

export type ChatFormatSpec =
  | { kind: 'bitnet'; bos: string; eot: string }
  | { kind: 'jinja'; template: string; render: JinjaRender; bos: string; eos: string; addBos: boolean; systemRole: boolean }
  | { kind: 'none'; reason: string };

/** Thrown by a renderer that stopped a template for taking too long or too much memory: no point in a retry. */
export class RenderLimitError extends Error {
  override readonly name = 'RenderLimitError';
}

const parsedTemplates = new Map<string, Template>();

/** Renders in this thread (for tests and trusted templates; the server uses the sandbox). */
export const renderInProcess: JinjaRender = (template, items) => {
  let t = parsedTemplates.get(template);
  if (t === undefined) {
    t = new Template(template);
    parsedTemplates.clear();
    parsedTemplates.set(template, t);
  }
  return t.render(items);
};

export interface PromptPiece {
  text: string;
  /** Scaffolding of the chat format: tokenized with special tokens recognised. Content is never special. */
  special: boolean;
}

export interface PromptMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

const NO_CHAT_HINT =
  'Chat needs a chat model, such as the official BitNet b1.58 2B4T GGUF: set "trit.model.path" to it or run "Trit: Select Model File".';

/** The longest chat template we try to parse (real ones are a few kB; this bounds the work on a hostile file). */
export const MAX_TEMPLATE_CHARS = 64 * 1024;

/** Decides the chat format of a model from its metadata; `render` runs Jinja templates (and their probe). */
export function detectChatFormat(traits: ChatModelTraits, render: JinjaRender = renderInProcess): ChatFormatSpec {
  const forced = traits.meta['trit.chat.format'];
  const template = traits.chatTemplate;
  if (forced === 'none') {
    return { kind: 'none', reason: `The model "${traits.name}" is a code-completion model; it was not trained to chat. ${NO_CHAT_HINT}` };
  }
  if (forced === 'bitnet' || template.includes('BITNET')) {
    const eot = traits.eotText || traits.eosText;
    if (eot === '') return { kind: 'none', reason: `The model "${traits.name}" has no end-of-turn token. ${NO_CHAT_HINT}` };
    return { kind: 'bitnet', bos: traits.bosText, eot };
  }
  if (template.trim() !== '') return jinjaFormat(traits, render);
  const what = traits.hasFim ? 'is a code-completion (fill-in-the-middle) model without a chat format' : 'has no chat template';
  return { kind: 'none', reason: `The model "${traits.name}" ${what}. ${NO_CHAT_HINT}` };
}

// Probe contents: private-use markers that no real text contains and that survive case and whitespace filters.
const PROBE = [0, 1, 2, 3].map((i) => `\u{E000}#${i}\u{E001}`);

function jinjaFormat(traits: ChatModelTraits, render: JinjaRender): ChatFormatSpec {
  const unusable = (why: string): ChatFormatSpec => ({
    kind: 'none',
    reason: `The chat template of "${traits.name}" cannot be used (${why}). ${NO_CHAT_HINT}`,
  });
  if (traits.chatTemplate.length > MAX_TEMPLATE_CHARS) return unusable('it is too long');
  const base = { kind: 'jinja' as const, template: traits.chatTemplate, render, bos: traits.bosText, eos: traits.eosText, addBos: traits.addBos };
  // Some templates refuse a system message; they get the system prompt inside the first user message instead.
  let firstError = '';
  for (const systemRole of [true, false]) {
    const spec = { ...base, systemRole };
    const probe: PromptMessage[] = [
      { role: 'system', content: PROBE[0] },
      { role: 'user', content: PROBE[1] },
      { role: 'assistant', content: PROBE[2] },
      { role: 'user', content: PROBE[3] },
    ];
    try {
      const text = renderJinja(spec, probe);
      if (PROBE.every((p) => text.includes(p))) return spec;
      firstError ||= 'it drops part of the conversation';
    } catch (e) {
      firstError ||= errorText(e);
      if (e instanceof RenderLimitError) break;
    }
  }
  return unusable(firstError);
}

function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).slice(0, 200);
}

function renderJinja(spec: Extract<ChatFormatSpec, { kind: 'jinja' }>, messages: readonly PromptMessage[]): string {
  let msgs = messages.map((m) => ({ role: m.role, content: m.content }));
  if (!spec.systemRole && msgs.length > 0 && msgs[0].role === 'system') {
    const [system, ...rest] = msgs;
    const firstUser = rest.findIndex((m) => m.role === 'user');
    if (firstUser >= 0) rest[firstUser] = { role: 'user', content: `${system.content}\n\n${rest[firstUser].content}` };
    msgs = rest;
  }
  return spec.render(spec.template, { messages: msgs, bos_token: spec.bos, eos_token: spec.eos, add_generation_prompt: true });
}

/** Renders messages (the last one a user message) into prompt pieces that end where the answer begins. */
export function renderPrompt(spec: ChatFormatSpec, messages: readonly PromptMessage[]): PromptPiece[] {
  switch (spec.kind) {
    case 'none':
      throw new Error(spec.reason);
    case 'bitnet': {
      const pieces: PromptPiece[] = [];
      if (spec.bos !== '') pieces.push({ text: spec.bos, special: true });
      for (const m of messages) {
        pieces.push({ text: `${roleName(m.role)}: ${m.content.trim()}`, special: false });
        pieces.push({ text: spec.eot, special: true });
      }
      pieces.push({ text: 'Assistant: ', special: false });
      return mergePieces(pieces);
    }
    case 'jinja':
      return renderJinjaPieces(spec, messages);
  }
}

function roleName(role: PromptMessage['role']): string {
  return role === 'system' ? 'System' : role === 'user' ? 'User' : 'Assistant';
}

// Renders with each content replaced by a private-use marker, then puts the content back as non-special pieces.
// The result must equal the plain rendering; if the template transforms content (so that the two differ), the plain
// rendering is used as one special piece: the template's text wins, and control tokens inside content would then
// be recognised, as in every engine that renders templates.
function renderJinjaPieces(spec: Extract<ChatFormatSpec, { kind: 'jinja' }>, messages: readonly PromptMessage[]): PromptPiece[] {
  const marker = (i: number): string => `\u{E000}${i}\u{E001}`;
  const contents = messages.map((m) => m.content.trim());
  const plain = renderJinja(spec, messages.map((m, i) => ({ role: m.role, content: contents[i] })));
  const masked = renderJinja(spec, messages.map((m, i) => ({ role: m.role, content: marker(i) })));
  const pieces: PromptPiece[] = [];
  let rest = masked;
  for (let i = 0; i < contents.length; i++) {
    const at = rest.indexOf(marker(i));
    if (at < 0) return withBos(spec, [{ text: plain, special: true }]);
    if (at > 0) pieces.push({ text: rest.slice(0, at), special: true });
    pieces.push({ text: contents[i], special: false });
    rest = rest.slice(at + marker(i).length);
  }
  if (rest !== '') pieces.push({ text: rest, special: true });
  if (promptText(pieces) !== plain) return withBos(spec, [{ text: plain, special: true }]);
  return withBos(spec, mergePieces(pieces.filter((p) => p.text !== '')));
}

// The caller tokenizes without adding BOS; add it here when the model wants one and the template did not write it.
function withBos(spec: Extract<ChatFormatSpec, { kind: 'jinja' }>, pieces: PromptPiece[]): PromptPiece[] {
  if (!spec.addBos || spec.bos === '') return pieces;
  if (pieces.length > 0 && pieces[0].special && pieces[0].text.startsWith(spec.bos)) return pieces;
  return [{ text: spec.bos, special: true }, ...pieces];
}

/** Joins neighbouring pieces of the same kind, so that text is tokenized in runs as long as possible. */
export function mergePieces(pieces: readonly PromptPiece[]): PromptPiece[] {
  const out: PromptPiece[] = [];
  for (const p of pieces) {
    const last = out[out.length - 1];
    if (last !== undefined && last.special === p.special) last.text += p.text;
    else out.push({ ...p });
  }
  return out;
}

/** Prompt text as one string (for logs and tests). */
export function promptText(pieces: readonly PromptPiece[]): string {
  return pieces.map((p) => p.text).join('');
}
