// The conversation of one workspace: its turns, the code attached to the next message, the running answer and its
// cancellation. Kept in the workspace state (on this machine only; it goes nowhere but the local language server).
// The view shows it; it does not own it, so the answer keeps streaming while the view is hidden.

import * as vscode from 'vscode';
import {
  ChatLimits,
  type ChatContext,
  type ChatInfo,
  type ChatParams,
  type ChatPartialResult,
  type ChatResult,
  type ChatTurn,
  type ContextLabel,
  type HostToWebview,
  type ViewTurn,
} from '../../protocol/src/chat';

/** How the session reaches the language server (implemented over the LanguageClient in chat-backend.ts). */
export interface ChatBackend {
  chat(params: ChatParams, onPartial: (p: ChatPartialResult) => void, token: vscode.CancellationToken): Promise<ChatResult>;
  info(): Promise<ChatInfo | null>;
}

interface StoredTurn {
  id: string;
  role: 'user' | 'assistant';
  text: string;
  contexts: ChatContext[];
  status: ViewTurn['status'];
  note?: string;
}

interface Stored {
  version: 1;
  turns: StoredTurn[];
  pending: ChatContext[];
}

const STORAGE_KEY = 'trit.chat.history';
/** Bounds of the stored history: the oldest turns go first. */
const MAX_STORED_TURNS = 200;
const MAX_STORED_CHARS = 4_000_000;

export function labelOf(c: ChatContext): ContextLabel {
  return { kind: c.kind, path: c.path, languageId: c.languageId, startLine: c.startLine, endLine: c.endLine };
}

function viewTurn(t: StoredTurn): ViewTurn {
  const v: ViewTurn = { id: t.id, role: t.role, text: t.text, contexts: t.contexts.map(labelOf), status: t.status };
  if (t.note !== undefined) v.note = t.note;
  return v;
}

export class ChatSession implements vscode.Disposable {
  private turns: StoredTurn[];
  private pending: ChatContext[];
  private running: { id: string; cts: vscode.CancellationTokenSource; done: Promise<void> } | undefined;
  private nextId = Date.now();
  private saveTimer: NodeJS.Timeout | undefined;
  /** Old turns the last answer's prompt left out (to mention it only when it grows). */
  private trimmedTurns = 0;
  private readonly emitter = new vscode.EventEmitter<HostToWebview>();
  private readonly resetEmitter = new vscode.EventEmitter<void>();
  /** Every change, as the message the webview needs to show it. */
  readonly onDidChange = this.emitter.event;
  /** The whole conversation changed (cleared): the view shows it anew. */
  readonly onDidReset = this.resetEmitter.event;

  constructor(
    private readonly state: vscode.Memento,
    private readonly backend: ChatBackend,
    private readonly log: vscode.LogOutputChannel,
  ) {
    const stored = state.get<Stored>(STORAGE_KEY);
    const ok = stored?.version === 1 && Array.isArray(stored.turns) && Array.isArray(stored.pending);
    this.turns = ok ? stored.turns : [];
    this.pending = ok ? stored.pending : [];
    // An answer that was streaming when the window closed is over.
    for (const t of this.turns) if (t.status === 'streaming') t.status = 'stopped';
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  viewTurns(): ViewTurn[] {
    return this.turns.map(viewTurn);
  }

  pendingLabels(): ContextLabel[] {
    return this.pending.map(labelOf);
  }

  /** Attaches code to the next message (Ctrl+L). The same range twice is attached once. */
  attach(ctx: ChatContext): void {
    const same = (c: ChatContext): boolean => c.uri === ctx.uri && c.startLine === ctx.startLine && c.endLine === ctx.endLine;
    this.pending = [...this.pending.filter((c) => !same(c)), ctx].slice(-ChatLimits.contextsPerTurn);
    this.changed({ type: 'pending', pending: this.pendingLabels() });
  }

  detach(index: number): void {
    this.pending = this.pending.filter((_, i) => i !== index);
    this.changed({ type: 'pending', pending: this.pendingLabels() });
  }

  /** The context of the latest user turn that has one (to avoid sending the same file again on a follow-up). */
  lastContext(): ChatContext | undefined {
    for (let i = this.turns.length - 1; i >= 0; i--) {
      const c = this.turns[i].contexts;
      if (c.length > 0) return c[c.length - 1];
    }
    return undefined;
  }

  hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Sends a message with the attached code (or `fallback` when nothing is attached) and streams the answer. */
  send(text: string, fallback: ChatContext[] = []): Promise<void> {
    if (this.running !== undefined) return this.running.done;
    const contexts = this.pending.length > 0 ? this.pending : fallback;
    this.pending = [];
    const user: StoredTurn = { id: this.id(), role: 'user', text, contexts, status: 'done' };
    const answer: StoredTurn = { id: this.id(), role: 'assistant', text: '', contexts: [], status: 'streaming' };
    const history = this.requestTurns();
    this.turns.push(user, answer);
    this.changed({ type: 'pending', pending: [] });
    this.changed({ type: 'turn', turn: viewTurn(user) });
    this.changed({ type: 'turn', turn: viewTurn(answer) });
    const cts = new vscode.CancellationTokenSource();
    const params: ChatParams = { turns: [...history, { role: 'user', content: text, contexts }] };
    const done = this.run(answer, params, cts).finally(() => {
      cts.dispose();
      this.running = undefined;
      this.save();
    });
    this.running = { id: answer.id, cts, done };
    return done;
  }

  /** Stops the running answer (Stop button, Esc, the view closing). */
  stop(): void {
    this.running?.cts.cancel();
  }

  clear(): void {
    this.stop();
    this.turns = [];
    this.pending = [];
    this.trimmedTurns = 0;
    this.save();
    this.resetEmitter.fire();
  }

  dispose(): void {
    this.stop();
    if (this.saveTimer !== undefined) clearTimeout(this.saveTimer);
    this.flush();
    this.emitter.dispose();
    this.resetEmitter.dispose();
  }

  private async run(answer: StoredTurn, params: ChatParams, cts: vscode.CancellationTokenSource): Promise<void> {
    try {
      const result = await this.backend.chat(
        params,
        (p) => {
          answer.text += p.text;
          this.changed({ type: 'delta', id: answer.id, text: p.text });
          this.saveSoon();
        },
        cts.token,
      );
      // The final text is authoritative (a stop string may have cut what was streamed).
      if (result.text !== answer.text && result.text.length > 0) answer.text = result.text;
      answer.status = result.stopReason === 'cancelled' || cts.token.isCancellationRequested ? 'stopped' : 'done';
      const note = noteOf(result, answer.status, result.trimmedTurns > this.trimmedTurns);
      this.trimmedTurns = result.trimmedTurns;
      if (note !== undefined) answer.note = note;
    } catch (e) {
      if (cts.token.isCancellationRequested) answer.status = 'stopped';
      else {
        answer.status = 'error';
        answer.note = e instanceof Error ? e.message : String(e);
        this.log.warn(`chat: ${answer.note}`);
      }
    }
    this.changed({ type: 'end', id: answer.id, status: answer.status, ...(answer.note !== undefined ? { note: answer.note } : {}) });
  }

  /** Earlier exchanges for the request: only complete ones (an answer that failed or is empty is left out). */
  private requestTurns(): ChatTurn[] {
    const out: ChatTurn[] = [];
    for (let i = 0; i + 1 < this.turns.length; i++) {
      const u = this.turns[i];
      const a = this.turns[i + 1];
      if (u.role !== 'user' || a.role !== 'assistant') continue;
      if (a.status === 'error' || a.text.trim() === '') continue;
      out.push({ role: 'user', content: u.text, contexts: u.contexts }, { role: 'assistant', content: a.text });
      i++;
    }
    return out.slice(-ChatLimits.turns + 1);
  }

  private id(): string {
    return `t${(this.nextId++).toString(36)}`;
  }

  private changed(m: HostToWebview): void {
    this.emitter.fire(m);
  }

  private saveSoon(): void {
    this.saveTimer ??= setTimeout(() => {
      this.saveTimer = undefined;
      this.flush();
    }, 2000);
  }

  private save(): void {
    if (this.saveTimer !== undefined) clearTimeout(this.saveTimer);
    this.saveTimer = undefined;
    this.flush();
  }

  private flush(): void {
    let turns = this.turns.slice(-MAX_STORED_TURNS);
    const size = (ts: StoredTurn[]): number => ts.reduce((n, t) => n + t.text.length + t.contexts.reduce((m, c) => m + c.text.length, 0), 0);
    while (turns.length > 2 && size(turns) > MAX_STORED_CHARS) turns = turns.slice(2);
    const stored: Stored = { version: 1, turns, pending: this.pending };
    this.state.update(STORAGE_KEY, stored).then(undefined, (e: unknown) => this.log.warn(`chat: history not saved: ${String(e)}`));
  }
}

function noteOf(r: ChatResult, status: ViewTurn['status'], moreTrimmed: boolean): string | undefined {
  const notes: string[] = [];
  if (status === 'stopped') notes.push('Stopped.');
  else if (r.stopReason === 'length') notes.push('The answer reached the length limit.');
  else if (r.stopReason === 'context') notes.push("The answer filled the model's context.");
  else if (r.stopReason === 'time') notes.push('The answer ran out of time.');
  if (moreTrimmed) notes.push(`${r.trimmedTurns} earlier message${r.trimmedTurns === 1 ? ' was' : 's were'} left out to fit the model's context.`);
  if (r.trimmedContextLines > 0) notes.push(`${r.trimmedContextLines} line${r.trimmedContextLines === 1 ? '' : 's'} of code ${r.trimmedContextLines === 1 ? 'was' : 'were'} left out to fit.`);
  return notes.length > 0 ? notes.join(' ') : undefined;
}
