// Validation of chat messages on receipt. Everything that crosses a process or sandbox boundary (webview → host,
// host → webview, client → server) is `unknown` until one of these functions has checked it field by field.
// Each returns the typed value, or a string that says what is wrong (for the log; never shown raw to the model).

import {
  ChatLimits,
  type ChatContext,
  type ChatInfo,
  type ChatParams,
  type ChatTurn,
  type ContextLabel,
  type EditorState,
  type HostToWebview,
  type ViewCommand,
  type ViewTurn,
  type ViewTurnStatus,
  type WebviewToHost,
} from './chat';

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

class Invalid extends Error {}

type Obj = Record<string, unknown>;

function fail(path: string, what: string): never {
  throw new Invalid(`${path}: ${what}`);
}

function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'expected an object');
  return v as Obj;
}

function str(v: unknown, path: string, maxChars: number): string {
  if (typeof v !== 'string') fail(path, 'expected a string');
  if (v.length > maxChars) fail(path, `longer than ${maxChars} characters`);
  return v;
}

function int(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) fail(path, `expected an integer in [${min}, ${max}]`);
  return v;
}

function bool(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') fail(path, 'expected a boolean');
  return v;
}

function oneOf<T extends string>(v: unknown, path: string, values: readonly T[]): T {
  if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) fail(path, `expected one of ${values.join(', ')}`);
  return v as T;
}

function arr<T>(v: unknown, path: string, maxItems: number, item: (x: unknown, p: string) => T): T[] {
  if (!Array.isArray(v)) fail(path, 'expected an array');
  if (v.length > maxItems) fail(path, `more than ${maxItems} items`);
  return v.map((x, i) => item(x, `${path}[${i}]`));
}

function optional<T>(v: unknown, read: (x: unknown) => T): T | undefined {
  return v === undefined ? undefined : read(v);
}

function run<T>(read: () => T): Checked<T> {
  try {
    return { ok: true, value: read() };
  } catch (e) {
    if (e instanceof Invalid) return { ok: false, error: e.message };
    throw e;
  }
}

const MAX_LINE = 100_000_000;
const MAX_SHORT = 4096;
const MAX_ID = 64;

function lineRange(o: Obj, path: string): { startLine: number; endLine: number } {
  const startLine = int(o.startLine, `${path}.startLine`, 1, MAX_LINE);
  const endLine = int(o.endLine, `${path}.endLine`, startLine, MAX_LINE);
  return { startLine, endLine };
}

function chatContext(v: unknown, path: string): ChatContext {
  const o = obj(v, path);
  const ctx: ChatContext = {
    kind: oneOf(o.kind, `${path}.kind`, ['selection', 'file'] as const),
    uri: str(o.uri, `${path}.uri`, MAX_SHORT),
    path: str(o.path, `${path}.path`, MAX_SHORT),
    languageId: str(o.languageId, `${path}.languageId`, 128),
    ...lineRange(o, path),
    text: str(o.text, `${path}.text`, ChatLimits.contextChars),
  };
  const cursorLine = optional(o.cursorLine, (x) => int(x, `${path}.cursorLine`, 1, MAX_LINE));
  if (cursorLine !== undefined) ctx.cursorLine = cursorLine;
  return ctx;
}

function chatTurn(v: unknown, path: string): ChatTurn {
  const o = obj(v, path);
  const role = oneOf(o.role, `${path}.role`, ['user', 'assistant'] as const);
  const turn: ChatTurn = { role, content: str(o.content, `${path}.content`, role === 'user' ? ChatLimits.messageChars : ChatLimits.codeChars) };
  const contexts = optional(o.contexts, (x) => arr(x, `${path}.contexts`, ChatLimits.contextsPerTurn, chatContext));
  if (contexts !== undefined) {
    if (role !== 'user' && contexts.length > 0) fail(`${path}.contexts`, 'only user turns carry context');
    turn.contexts = contexts;
  }
  return turn;
}

/** Checks the parameters of a `trit/chat` request (server side). */
export function checkChatParams(v: unknown): Checked<ChatParams> {
  return run(() => {
    const o = obj(v, 'params');
    const turns = arr(o.turns, 'params.turns', ChatLimits.turns, chatTurn);
    if (turns.length === 0) fail('params.turns', 'is empty');
    if (turns[turns.length - 1].role !== 'user') fail('params.turns', 'must end with a user turn');
    const params: ChatParams = { turns };
    const maxTokens = optional(o.maxTokens, (x) => int(x, 'params.maxTokens', 1, ChatLimits.maxTokens));
    if (maxTokens !== undefined) params.maxTokens = maxTokens;
    const token = o.partialResultToken;
    if (token !== undefined) {
      if (typeof token !== 'string' && !(typeof token === 'number' && Number.isInteger(token))) {
        fail('params.partialResultToken', 'expected an integer or a string');
      }
      params.partialResultToken = token;
    }
    return params;
  });
}

function contextLabel(v: unknown, path: string): ContextLabel {
  const o = obj(v, path);
  return {
    kind: oneOf(o.kind, `${path}.kind`, ['selection', 'file'] as const),
    path: str(o.path, `${path}.path`, MAX_SHORT),
    languageId: str(o.languageId, `${path}.languageId`, 128),
    ...lineRange(o, path),
  };
}

const STATUSES = ['streaming', 'done', 'stopped', 'error'] as const satisfies readonly ViewTurnStatus[];

function viewTurn(v: unknown, path: string): ViewTurn {
  const o = obj(v, path);
  const turn: ViewTurn = {
    id: str(o.id, `${path}.id`, MAX_ID),
    role: oneOf(o.role, `${path}.role`, ['user', 'assistant'] as const),
    text: str(o.text, `${path}.text`, ChatLimits.codeChars),
    contexts: arr(o.contexts, `${path}.contexts`, ChatLimits.contextsPerTurn, contextLabel),
    status: oneOf(o.status, `${path}.status`, STATUSES),
  };
  const note = optional(o.note, (x) => str(x, `${path}.note`, MAX_SHORT));
  if (note !== undefined) turn.note = note;
  return turn;
}

function chatInfo(v: unknown, path: string): ChatInfo | null {
  if (v === null) return null;
  const o = obj(v, path);
  const info: ChatInfo = {
    available: bool(o.available, `${path}.available`),
    model: str(o.model, `${path}.model`, MAX_SHORT),
    format: oneOf(o.format, `${path}.format`, ['bitnet', 'jinja', 'none'] as const),
    contextLength: int(o.contextLength, `${path}.contextLength`, 0, 1 << 24),
  };
  const reason = optional(o.reason, (x) => str(x, `${path}.reason`, MAX_SHORT));
  if (reason !== undefined) info.reason = reason;
  return info;
}

/** Checks a `trit/chatInfo` response (client side). */
export function checkChatInfo(v: unknown): Checked<ChatInfo | null> {
  return run(() => chatInfo(v, 'info'));
}

function editorState(v: unknown, path: string): EditorState {
  const o = obj(v, path);
  return { hasEditor: bool(o.hasEditor, `${path}.hasEditor`), hasSelection: bool(o.hasSelection, `${path}.hasSelection`) };
}

/** Checks a message that arrived in the webview from the extension host. */
export function checkHostToWebview(v: unknown): Checked<HostToWebview> {
  return run((): HostToWebview => {
    const o = obj(v, 'message');
    switch (o.type) {
      case 'state':
        return {
          type: 'state',
          turns: arr(o.turns, 'turns', 10_000, viewTurn),
          pending: arr(o.pending, 'pending', ChatLimits.contextsPerTurn, contextLabel),
          info: chatInfo(o.info, 'info'),
          busy: bool(o.busy, 'busy'),
          editor: editorState(o.editor, 'editor'),
        };
      case 'info':
        return { type: 'info', info: chatInfo(o.info, 'info') };
      case 'turn':
        return { type: 'turn', turn: viewTurn(o.turn, 'turn') };
      case 'delta':
        return { type: 'delta', id: str(o.id, 'id', MAX_ID), text: str(o.text, 'text', ChatLimits.codeChars) };
      case 'end': {
        const m: HostToWebview = { type: 'end', id: str(o.id, 'id', MAX_ID), status: oneOf(o.status, 'status', STATUSES) };
        const note = optional(o.note, (x) => str(x, 'note', MAX_SHORT));
        if (note !== undefined) m.note = note;
        return m;
      }
      case 'pending':
        return { type: 'pending', pending: arr(o.pending, 'pending', ChatLimits.contextsPerTurn, contextLabel) };
      case 'editor':
        return { type: 'editor', editor: editorState(o.editor, 'editor') };
      case 'focus': {
        const draft = optional(o.draft, (x) => str(x, 'draft', ChatLimits.messageChars));
        return draft === undefined ? { type: 'focus' } : { type: 'focus', draft };
      }
      default:
        return fail('message.type', `unknown type ${JSON.stringify(o.type)}`);
    }
  });
}

const COMMANDS = ['selectModel', 'openSettings', 'showLogs'] as const satisfies readonly ViewCommand[];

/** Checks a message that arrived in the extension host from the webview (an untrusted sandbox). */
export function checkWebviewToHost(v: unknown): Checked<WebviewToHost> {
  return run((): WebviewToHost => {
    const o = obj(v, 'message');
    switch (o.type) {
      case 'ready':
      case 'stop':
      case 'clear':
        return { type: o.type };
      case 'send': {
        const text = str(o.text, 'text', ChatLimits.messageChars);
        if (text.trim() === '') fail('text', 'is empty');
        return { type: 'send', text };
      }
      case 'copy':
      case 'insert':
        return { type: o.type, code: str(o.code, 'code', ChatLimits.codeChars) };
      case 'removeContext':
        return { type: 'removeContext', index: int(o.index, 'index', 0, ChatLimits.contextsPerTurn - 1) };
      case 'openLink': {
        const href = str(o.href, 'href', MAX_SHORT);
        if (!/^https?:\/\/[^\s]+$/i.test(href)) fail('href', 'only http and https links can be opened');
        return { type: 'openLink', href };
      }
      case 'command':
        return { type: 'command', command: oneOf(o.command, 'command', COMMANDS) };
      default:
        return fail('message.type', `unknown type ${JSON.stringify(o.type)}`);
    }
  });
}
