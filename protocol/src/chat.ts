// The chat contract: the `trit/chat` and `trit/chatInfo` LSP methods (client ⇄ server) and the messages between the
// chat webview and the extension host. Types and constants only; the validators live in chat-validate.ts. Nothing
// here imports a library, so the webview bundle can use it too.

import { request } from './lsp';

/** LSP request: answer a conversation. Streams the answer as partial results (`$/progress` on partialResultToken). */
export const ChatMethod = 'trit/chat';
/** LSP request: can the loaded model chat, and in which format? */
export const ChatInfoMethod = 'trit/chatInfo';

/** Limits applied on receipt (webview → host and client → server). Larger inputs are rejected, not truncated. */
export const ChatLimits = {
  /** Characters of one typed message. */
  messageChars: 32_000,
  /** Characters of one context attachment (a selection or a window of a file). */
  contextChars: 200_000,
  /** Attachments per user turn. */
  contextsPerTurn: 8,
  /** Turns in one request (the server trims older ones to the token budget anyway). */
  turns: 200,
  /** Characters of one code block sent back for copy / insert. */
  codeChars: 1_000_000,
  /** Upper bound for `maxTokens`. */
  maxTokens: 8192,
} as const;

/** JSON-RPC error codes of `trit/chat` (application range, outside the JSON-RPC and LSP reserved ranges). */
export const ChatErrorCode = {
  /** The loaded model has no chat format (e.g. the shipped code-completion model). */
  ModelCannotChat: 3101,
  /** No model is loaded (still loading, or loading failed). */
  ModelNotLoaded: 3102,
  /** The request is malformed. */
  InvalidRequest: 3103,
} as const;

/** Code that goes with a user turn: what the user selected, or the current file around the cursor. */
export interface ChatContext {
  kind: 'selection' | 'file';
  /** Document URI (for the client; the server only displays `path`). */
  uri: string;
  /** Path shown to the model and the user: workspace-relative when possible. */
  path: string;
  languageId: string;
  /** 1-based, inclusive line range of `text` in the document. */
  startLine: number;
  endLine: number;
  /** 1-based line of the cursor, for kind 'file': the server keeps the lines nearest to it when trimming. */
  cursorLine?: number;
  text: string;
}

export interface ChatTurn {
  role: 'user' | 'assistant';
  content: string;
  /** Only on user turns. */
  contexts?: ChatContext[];
}

export interface ChatParams {
  /** The conversation, oldest first; the last turn is the user's new message. */
  turns: ChatTurn[];
  /** Most tokens to generate; the server's setting when absent. */
  maxTokens?: number;
  /** LSP partial-result token: each `$/progress` value is a `ChatPartialResult`. */
  partialResultToken?: number | string;
}

/** One streamed piece of the answer (appended to what came before). */
export interface ChatPartialResult {
  text: string;
}

export type ChatStopReason = 'eog' | 'stop' | 'length' | 'cancelled' | 'time' | 'context';

export interface ChatResult {
  /** The whole answer (also when it was streamed, so clients without partial results get it too). */
  text: string;
  stopReason: ChatStopReason;
  /** Tokens of the prompt, of which `reusedTokens` came from the slot's KV cache (prefix reuse across turns). */
  promptTokens: number;
  reusedTokens: number;
  generatedTokens: number;
  /** Old turns left out to fit the token budget. */
  trimmedTurns: number;
  /** Context lines left out to fit the token budget. */
  trimmedContextLines: number;
  timeToFirstTokenMs: number;
  totalMs: number;
}

export type ChatFormat = 'bitnet' | 'jinja' | 'none';

export interface ChatInfo {
  /** True when the loaded model can hold a conversation. */
  available: boolean;
  /** Model name for display ("" when no model is loaded). */
  model: string;
  format: ChatFormat;
  /** When not available: why, in one sentence for the user. */
  reason?: string;
  /** Context length of the chat slot in tokens. */
  contextLength: number;
}

// ---- Webview ⇄ extension host ---------------------------------------------------------------------------------

/** What the webview shows of an attachment (the code itself stays in the extension host). */
export interface ContextLabel {
  kind: ChatContext['kind'];
  path: string;
  languageId: string;
  startLine: number;
  endLine: number;
}

export type ViewTurnStatus = 'streaming' | 'done' | 'stopped' | 'error';

export interface ViewTurn {
  id: string;
  role: 'user' | 'assistant';
  text: string;
  contexts: ContextLabel[];
  status: ViewTurnStatus;
  /** Error message (status 'error') or a note such as "stopped: length limit". */
  note?: string;
}

export interface EditorState {
  /** An editor is open to insert into. */
  hasEditor: boolean;
  /** It has a non-empty selection: "Insert" replaces it. */
  hasSelection: boolean;
}

/** Commands the webview may ask the host to run (a closed list: the webview never names a command itself). */
export type ViewCommand = 'selectModel' | 'openSettings' | 'showLogs';

export type HostToWebview =
  | { type: 'state'; turns: ViewTurn[]; pending: ContextLabel[]; info: ChatInfo | null; busy: boolean; editor: EditorState }
  | { type: 'info'; info: ChatInfo | null }
  | { type: 'turn'; turn: ViewTurn }
  | { type: 'delta'; id: string; text: string }
  | { type: 'end'; id: string; status: ViewTurnStatus; note?: string }
  | { type: 'pending'; pending: ContextLabel[] }
  | { type: 'editor'; editor: EditorState }
  | { type: 'focus'; draft?: string };

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'send'; text: string }
  | { type: 'stop' }
  | { type: 'copy'; code: string }
  | { type: 'insert'; code: string }
  | { type: 'removeContext'; index: number }
  | { type: 'clear' }
  | { type: 'openLink'; href: string }
  | { type: 'command'; command: ViewCommand };

// ---- Typed descriptors (see lsp.ts) --------------------------------------------------------------------------

export const ChatRequest = request<ChatParams, ChatResult>(ChatMethod);
export const ChatInfoRequest = request<Record<string, never>, ChatInfo>(ChatInfoMethod);
