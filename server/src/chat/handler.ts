// `trit/chat` and `trit/chatInfo`: the LSP adapters around the pure prompt code. A chat answer runs on the engine's
// "chat" slot at background priority: inline completions pre-empt it, and it resumes on its reused KV prefix. The
// answer streams to the client as LSP partial results (`$/progress` on the request's partialResultToken); the
// request's cancellation (the Stop button, or the view closing) aborts the engine job.

import { createHash } from 'node:crypto';
import { CancellationToken, ProgressType, RequestType, RequestType0, ResponseError, type Connection, type Disposable } from 'vscode-languageserver/node';
import {
  ChatErrorCode,
  ChatInfoMethod,
  ChatMethod,
  type ChatInfo,
  type ChatPartialResult,
  type ChatParams,
  type ChatResult,
  type ChatTurn,
} from '../../../protocol/src/chat';
import { checkChatParams } from '../../../protocol/src/chat-validate';
import type { Engine } from '../engine/engine';
import { JinjaSandbox } from './jinja-sandbox';
import { buildChatPrompt, type CountTokens } from './prompt';
import { detectChatFormat, type ChatFormatSpec, type ChatModelTraits, type PromptPiece } from './template';

export const SYSTEM_PROMPT =
  'You are Trit, a coding assistant that runs offline inside the code editor. Answer the question about the code ' +
  'clearly and briefly. Use Markdown, and put code in fenced code blocks with a language name.';

/** Default answer length; the client may ask for another (up to ChatLimits.maxTokens). */
export const DEFAULT_MAX_TOKENS = 1024;
/** Share of the context kept free for the answer when the context is short. */
const ANSWER_SHARE = 0.5;
const CHAT_SLOT = 'chat';
const SAMPLING = { temperature: 0.6, topK: 40, topP: 0.9 };

export interface ChatLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface ChatDeps {
  /** The engine of the loaded model, or undefined while none is loaded. */
  engine(): Engine | undefined;
  /** Why there is no engine (loading, or the load error), for the user. */
  notReadyReason(): string;
  /** The worker script that renders Jinja chat templates (dist/jinja-worker.js). */
  jinjaWorker: string;
  log: ChatLogger;
}

const partialResult = new ProgressType<ChatPartialResult>();
// Typed with one by-name parameter, so the connection hands the handler (params, token) whatever the client sent.
// The parameters stay `unknown` until checkChatParams has looked at them.
const chatRequest = new RequestType<unknown, ChatResult, void>(ChatMethod);
const chatInfoRequest = new RequestType0<ChatInfo, void>(ChatInfoMethod);

/** Chat format and token cache of one loaded model. */
interface ModelChat {
  engine: Engine;
  spec: ChatFormatSpec;
  /** Tokens of recently seen prompt pieces (old turns repeat in every request). */
  pieceTokens: Map<string, number[]>;
}

export class ChatHandler {
  private current: ModelChat | undefined;
  /** The first turn kept in the last prompt, and a fingerprint of the turns up to it (see prompt.ts, keepFrom). */
  private trim: { firstKept: number; fingerprint: string } | undefined;

  private readonly jinja: JinjaSandbox;

  constructor(private readonly deps: ChatDeps) {
    this.jinja = new JinjaSandbox({ script: deps.jinjaWorker });
  }

  register(connection: Connection): Disposable[] {
    return [
      connection.onRequest(chatInfoRequest, (): ChatInfo => this.info()),
      connection.onRequest(chatRequest, (params, token) =>
        this.chat(params, token, (text, progressToken) => {
          if (progressToken !== undefined) void connection.sendProgress(partialResult, progressToken, { text });
        }),
      ),
    ];
  }

  info(): ChatInfo {
    const model = this.model();
    if (model === undefined) return { available: false, model: '', format: 'none', reason: this.deps.notReadyReason(), contextLength: 0 };
    const { engine, spec } = model;
    const base = { model: engine.info.name, format: spec.kind, contextLength: engine.info.nCtx };
    return spec.kind === 'none' ? { ...base, available: false, reason: spec.reason } : { ...base, available: true };
  }

  /** Answers a conversation; `emit` receives the answer's text as it is generated. */
  async chat(
    raw: unknown,
    token: CancellationToken,
    emit: (text: string, progressToken: ChatParams['partialResultToken']) => void,
  ): Promise<ChatResult | ResponseError<void>> {
    const started = performance.now();
    const checked = checkChatParams(raw);
    if (!checked.ok) return new ResponseError(ChatErrorCode.InvalidRequest, `Invalid trit/chat request: ${checked.error}`);
    const params = checked.value;
    const model = this.model();
    if (model === undefined) return new ResponseError(ChatErrorCode.ModelNotLoaded, this.deps.notReadyReason());
    const { engine, spec } = model;
    if (spec.kind === 'none') return new ResponseError(ChatErrorCode.ModelCannotChat, spec.reason);

    const nCtx = engine.info.nCtx;
    const wanted = params.maxTokens ?? DEFAULT_MAX_TOKENS;
    const reserve = Math.max(1, Math.min(wanted, Math.floor(nCtx * ANSWER_SHARE)));
    const count: CountTokens = (pieces) => this.tokens(model, pieces).length;
    const keepFrom = this.keepFrom(params.turns);
    const built = buildChatPrompt(spec, params.turns, count, { system: SYSTEM_PROMPT, budget: nCtx - reserve, keepFrom });
    this.trim = { firstKept: built.firstKept, fingerprint: fingerprint(params.turns, built.firstKept) };
    const prompt = this.tokens(model, built.pieces);

    const abort = new AbortController();
    const onCancel = token.onCancellationRequested(() => abort.abort());
    let firstTokenMs = 0;
    try {
      const result = await engine.run({
        slot: CHAT_SLOT,
        prompt,
        priority: 'background',
        maxTokens: Math.max(1, Math.min(wanted, nCtx - prompt.length)),
        sampling: SAMPLING,
        stop: spec.kind === 'bitnet' ? ['\nUser:'] : [],
        signal: abort.signal,
        onText: (piece) => {
          if (firstTokenMs === 0) firstTokenMs = performance.now() - started;
          emit(piece, params.partialResultToken);
        },
      });
      const totalMs = performance.now() - started;
      this.deps.log.info(
        `chat: ${result.stopReason}, prompt ${prompt.length} tokens (${result.reusedTokens} reused), ` +
          `${result.generatedTokens} generated, first token ${firstTokenMs.toFixed(0)} ms, total ${totalMs.toFixed(0)} ms, ` +
          `trimmed ${built.trimmedTurns} turns / ${built.trimmedContextLines} context lines, pre-empted ${result.preemptions}×`,
      );
      return {
        text: result.text,
        stopReason: result.stopReason,
        promptTokens: prompt.length,
        reusedTokens: result.reusedTokens,
        generatedTokens: result.generatedTokens,
        trimmedTurns: built.trimmedTurns,
        trimmedContextLines: built.trimmedContextLines,
        timeToFirstTokenMs: Math.round(firstTokenMs),
        totalMs: Math.round(totalMs),
      };
    } finally {
      onCancel.dispose();
    }
  }

  /** The chat state of the loaded model, rebuilt when the model changes. */
  private model(): ModelChat | undefined {
    const engine = this.deps.engine();
    if (engine === undefined) return undefined;
    if (this.current?.engine !== engine) {
      const spec = detectChatFormat(traitsOf(engine), this.jinja.render);
      this.current = { engine, spec, pieceTokens: new Map() };
      this.trim = undefined;
      this.deps.log.info(`chat: model "${engine.info.name}" format ${spec.kind}${spec.kind === 'none' ? ` (${spec.reason})` : ''}`);
    }
    return this.current;
  }

  private tokens(model: ModelChat, pieces: readonly PromptPiece[]): number[] {
    const out: number[] = [];
    for (const p of pieces) {
      const key = `${p.special ? 's' : 't'}${p.text}`;
      let ids = model.pieceTokens.get(key);
      if (ids === undefined) {
        ids = p.special ? model.engine.tokenizeScaffold(p.text) : model.engine.tokenize(p.text);
        if (model.pieceTokens.size >= 512) model.pieceTokens.clear();
        model.pieceTokens.set(key, ids);
      }
      out.push(...ids);
    }
    return out;
  }

  private keepFrom(turns: readonly ChatTurn[]): number {
    const t = this.trim;
    if (t === undefined || t.firstKept >= turns.length) return 0;
    return fingerprint(turns, t.firstKept) === t.fingerprint ? t.firstKept : 0;
  }
}

function fingerprint(turns: readonly ChatTurn[], firstKept: number): string {
  return createHash('sha256').update(JSON.stringify(turns.slice(0, firstKept + 1))).digest('hex');
}

/** What the chat-format decision needs to know about a model. */
export function traitsOf(engine: Engine): ChatModelTraits {
  const info = engine.info;
  const s = info.special;
  return {
    name: info.name || info.path.split(/[\\/]/).pop() || 'model',
    chatTemplate: info.chatTemplate,
    bosText: engine.tokenText(s.bos),
    eosText: engine.tokenText(s.eos),
    eotText: engine.tokenText(s.eot),
    addBos: info.addBos,
    hasFim: s.fimPre >= 0 && s.fimSuf >= 0 && s.fimMid >= 0,
    meta: info.meta,
  };
}
