// The chat's DOM: transcript, model banner, attachments and composer. Built with DOM calls only; the one place where
// model text becomes markup is `renderAnswer`, through the sanitising renderer.

import type { ChatInfo, ContextLabel, EditorState, ViewTurn } from '../../protocol/src/chat';
import type { Renderer } from './markdown';

export interface ViewHandlers {
  send(text: string): void;
  stop(): void;
  copy(code: string): void;
  insert(code: string): void;
  removeContext(index: number): void;
  openLink(href: string): void;
  command(name: 'selectModel' | 'openSettings' | 'showLogs'): void;
  draftChanged(draft: string): void;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<Record<string, string>> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) if (v !== undefined) e.setAttribute(k, v);
  e.append(...children);
  return e;
}

export function contextText(c: ContextLabel): string {
  const lines = c.startLine === c.endLine ? `${c.startLine}` : `${c.startLine}-${c.endLine}`;
  return `${c.path}:${lines}`;
}

export class ChatView {
  readonly input: HTMLTextAreaElement;
  private readonly log: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly banner: HTMLElement;
  private readonly chips: HTMLElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly stopButton: HTMLButtonElement;
  private readonly turns = new Map<string, { turn: ViewTurn; node: HTMLElement }>();
  private readonly dirty = new Set<string>();
  private frame = 0;
  private busy = false;
  private info: ChatInfo | null = null;
  private editor: EditorState = { hasEditor: false, hasSelection: false };

  constructor(root: HTMLElement, private readonly renderer: Renderer, private readonly on: ViewHandlers) {
    this.banner = el('div', { id: 'banner', role: 'status', hidden: '' });
    this.log = el('div', { id: 'log', role: 'log', 'aria-label': 'Conversation' });
    this.empty = el('div', { id: 'empty' },
      el('p', {}, 'Ask about your code. Everything stays on this machine.'),
      el('p', {}, 'Select code and press ', el('kbd', {}, 'Ctrl+L'), ' to add it here, or run ', el('em', {}, 'Trit: Explain Selection'), ', ', el('em', {}, 'Fix'), ', ', el('em', {}, 'Write Tests'), ' or ', el('em', {}, 'Document'), ' from the editor.'),
      el('p', {}, 'Without a selection, the code around the cursor is sent.'),
    );
    this.chips = el('div', { id: 'chips', 'aria-label': 'Attached code' });
    this.input = el('textarea', { id: 'input', rows: '1', 'aria-label': 'Message', placeholder: 'Ask about the code…' });
    this.sendButton = el('button', { id: 'send', type: 'submit', title: 'Send (Enter)' }, 'Send');
    this.stopButton = el('button', { id: 'stop', type: 'button', class: 'secondary', title: 'Stop (Esc)', hidden: '' }, 'Stop');
    const form = el('form', { id: 'composer' }, this.chips, this.input,
      el('div', { class: 'composer-row' }, el('span', { id: 'hint' }, 'Enter send · Shift+Enter new line · Esc stop'), this.stopButton, this.sendButton));
    root.append(this.banner, this.log, this.empty, form);
    this.autosize();

    form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.submit();
    });
    this.stopButton.addEventListener('click', () => this.on.stop());
    this.input.addEventListener('keydown', (e) => this.onKey(e));
    this.input.addEventListener('input', () => {
      this.autosize();
      this.on.draftChanged(this.input.value);
    });
    document.addEventListener('keydown', (e) => {
      if (e.key === 'Escape' && this.busy && e.target !== this.input) {
        e.preventDefault();
        this.on.stop();
      }
    });
    this.log.addEventListener('click', (e) => this.onLogClick(e));
    this.banner.addEventListener('click', (e) => {
      const cmd = (e.target as Element).closest('button')?.getAttribute('data-command');
      if (cmd === 'selectModel' || cmd === 'openSettings' || cmd === 'showLogs') this.on.command(cmd);
    });
  }

  // ---- State from the host ------------------------------------------------------------------------------------

  setState(turns: ViewTurn[], pending: ContextLabel[], info: ChatInfo | null, busy: boolean, editor: EditorState): void {
    this.turns.clear();
    this.log.replaceChildren();
    for (const t of turns) this.addTurn(t);
    this.updateEmpty();
    this.setPending(pending);
    this.setInfo(info);
    this.setEditor(editor);
    this.setBusy(busy);
    this.scrollToEnd(true);
  }

  addTurn(turn: ViewTurn): void {
    const node = el('div', { class: `turn ${turn.role}` });
    this.turns.set(turn.id, { turn: { ...turn }, node });
    this.log.append(node);
    this.paint(turn.id);
    this.updateEmpty();
    if (turn.role === 'assistant' && turn.status === 'streaming') this.setBusy(true);
    this.scrollToEnd(true);
  }

  appendDelta(id: string, text: string): void {
    const entry = this.turns.get(id);
    if (entry === undefined) return;
    entry.turn.text += text;
    this.schedule(id);
  }

  endTurn(id: string, status: ViewTurn['status'], note: string | undefined): void {
    const entry = this.turns.get(id);
    if (entry === undefined) return;
    entry.turn.status = status;
    if (note === undefined) delete entry.turn.note;
    else entry.turn.note = note;
    this.paint(id);
    this.setBusy(false);
  }

  setPending(pending: ContextLabel[]): void {
    this.chips.replaceChildren(...pending.map((c, i) => {
      const remove = el('button', { type: 'button', class: 'chip-remove', title: 'Remove', 'aria-label': `Remove ${contextText(c)}` }, '×');
      remove.addEventListener('click', () => this.on.removeContext(i));
      return el('span', { class: 'chip', title: `${c.languageId}, ${c.kind === 'selection' ? 'selected lines' : 'around the cursor'}` }, contextText(c), remove);
    }));
  }

  setInfo(info: ChatInfo | null): void {
    this.info = info;
    const blocked = info !== null && !info.available;
    this.banner.hidden = !blocked;
    if (blocked) {
      this.banner.replaceChildren(
        el('p', { class: 'banner-title' }, 'This model cannot chat'),
        el('p', {}, info.reason ?? 'The loaded model has no chat format.'),
        el('div', { class: 'banner-actions' },
          el('button', { type: 'button', 'data-command': 'selectModel' }, 'Select Model File…'),
          el('button', { type: 'button', class: 'secondary', 'data-command': 'openSettings' }, 'Open settings')),
      );
    }
    this.input.disabled = blocked;
    this.updateControls();
    this.updateEmpty();
  }

  /** The welcome text shows only for an empty conversation with a model that can chat. */
  private updateEmpty(): void {
    const none = this.turns.size === 0;
    this.log.hidden = none;
    this.empty.hidden = !none || (this.info !== null && !this.info.available);
  }

  setEditor(editor: EditorState): void {
    this.editor = editor;
    for (const b of Array.from(this.log.querySelectorAll<HTMLButtonElement>('button[data-action="insert"]'))) this.labelInsert(b);
  }

  setBusy(busy: boolean): void {
    this.busy = busy;
    this.updateControls();
  }

  focus(draft?: string): void {
    if (draft !== undefined && this.input.value.trim() === '') {
      this.input.value = draft;
      this.on.draftChanged(draft);
    }
    this.autosize();
    this.input.focus();
  }

  // ---- Rendering ------------------------------------------------------------------------------------------------

  private schedule(id: string): void {
    this.dirty.add(id);
    if (this.frame !== 0) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      const follow = this.nearEnd();
      for (const d of this.dirty) this.paint(d);
      this.dirty.clear();
      this.scrollToEnd(follow);
    });
  }

  private paint(id: string): void {
    const entry = this.turns.get(id);
    if (entry === undefined) return;
    const { turn, node } = entry;
    const body = el('div', { class: 'body' });
    if (turn.role === 'user') body.textContent = turn.text;
    else body.append(this.renderAnswer(turn.text));
    const parts: Node[] = [el('div', { class: 'who' }, turn.role === 'user' ? 'You' : 'Trit')];
    if (turn.contexts.length > 0) {
      parts.push(el('div', { class: 'turn-contexts' }, ...turn.contexts.map((c) => el('span', { class: 'chip', title: c.languageId }, contextText(c)))));
    }
    parts.push(body);
    if (turn.note !== undefined) parts.push(el('div', { class: `note ${turn.status}` }, turn.note));
    node.className = `turn ${turn.role} ${turn.status}`;
    node.setAttribute('aria-busy', String(turn.status === 'streaming'));
    node.replaceChildren(...parts);
  }

  /** Sanitised markdown, with a toolbar over each code block. */
  private renderAnswer(text: string): DocumentFragment {
    const fragment = this.renderer.render(text);
    for (const pre of Array.from(fragment.querySelectorAll('pre'))) {
      const code = pre.querySelector('code');
      const lang = /(?:^|\s)language-([\w+#.-]+)/.exec(code?.className ?? '')?.[1] ?? '';
      const insert = el('button', { type: 'button', class: 'secondary', 'data-action': 'insert' }, 'Insert');
      this.labelInsert(insert);
      const bar = el('div', { class: 'code-bar' }, el('span', { class: 'code-lang' }, lang),
        el('button', { type: 'button', class: 'secondary', 'data-action': 'copy', title: 'Copy to the clipboard' }, 'Copy'), insert);
      const block = el('div', { class: 'code-block' });
      pre.replaceWith(block);
      block.append(bar, pre);
    }
    return fragment;
  }

  private labelInsert(b: HTMLButtonElement): void {
    b.textContent = this.editor.hasSelection ? 'Replace selection' : 'Insert at cursor';
    b.title = this.editor.hasEditor ? (this.editor.hasSelection ? 'Replace the selection in the editor with this code' : 'Insert this code at the cursor') : 'Open an editor to insert into';
    b.disabled = !this.editor.hasEditor;
  }

  private updateControls(): void {
    this.stopButton.hidden = !this.busy;
    this.sendButton.hidden = this.busy;
    this.sendButton.disabled = this.input.disabled;
  }

  // ---- Input ----------------------------------------------------------------------------------------------------

  private submit(): void {
    const text = this.input.value;
    if (this.busy || this.input.disabled || text.trim() === '') return;
    this.input.value = '';
    this.autosize();
    this.on.draftChanged('');
    this.on.send(text);
  }

  private onKey(e: KeyboardEvent): void {
    if (e.isComposing) return;
    if (e.key === 'Enter' && !e.shiftKey && !e.altKey && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      this.submit();
    } else if (e.key === 'Escape' && this.busy) {
      e.preventDefault();
      this.on.stop();
    } else if (e.key === 'ArrowUp' && this.input.value === '') {
      const last = [...this.turns.values()].reverse().find((t) => t.turn.role === 'user');
      if (last !== undefined) {
        e.preventDefault();
        this.input.value = last.turn.text;
        this.autosize();
        this.on.draftChanged(this.input.value);
      }
    }
  }

  private onLogClick(e: MouseEvent): void {
    const target = e.target as Element;
    const link = target.closest('a');
    if (link !== null) {
      // Never let the webview navigate: the host opens http(s) links after VS Code's own confirmation.
      e.preventDefault();
      const href = link.getAttribute('href') ?? '';
      if (/^https?:\/\//i.test(href)) this.on.openLink(href);
      return;
    }
    const button = target.closest('button[data-action]');
    const code = button?.closest('.code-block')?.querySelector('pre > code')?.textContent;
    if (button === null || button === undefined || code === undefined || code === null) return;
    const action = button.getAttribute('data-action');
    if (action === 'copy') {
      this.on.copy(code);
      button.textContent = 'Copied';
      setTimeout(() => (button.textContent = 'Copy'), 1200);
    } else if (action === 'insert') this.on.insert(code);
  }

  private autosize(): void {
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight + 2, Math.floor(window.innerHeight * 0.4))}px`;
  }

  private nearEnd(): boolean {
    return this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 40;
  }

  private scrollToEnd(follow: boolean): void {
    if (follow) this.log.scrollTop = this.log.scrollHeight;
  }

  get draft(): string {
    return this.input.value;
  }

  set draft(text: string) {
    this.input.value = text;
    this.autosize();
  }

  hasTurns(): boolean {
    return this.turns.size > 0;
  }

  get chatInfo(): ChatInfo | null {
    return this.info;
  }
}
