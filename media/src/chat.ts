// Entry point of the chat webview. Talks to the extension host only through postMessage; every message received is
// validated before use. The transcript lives in the host (workspace state); the webview keeps only its draft and
// scroll position (getState/setState), so it can be torn down when hidden and rebuilt when shown again.

import type { WebviewToHost } from '../../protocol/src/chat';
import { checkHostToWebview } from '../../protocol/src/chat-validate';
import { createRenderer } from './markdown';
import { ChatView } from './view';

interface WebviewApi<S> {
  postMessage(message: WebviewToHost): void;
  getState(): S | undefined;
  setState(state: S): void;
}
declare function acquireVsCodeApi<S>(): WebviewApi<S>;

interface SavedState {
  draft: string;
}

const vscode = acquireVsCodeApi<SavedState>();
const post = (m: WebviewToHost): void => vscode.postMessage(m);
const root = document.getElementById('app') ?? document.body;

const view = new ChatView(root, createRenderer(window), {
  send: (text) => post({ type: 'send', text }),
  stop: () => post({ type: 'stop' }),
  copy: (code) => post({ type: 'copy', code }),
  insert: (code) => post({ type: 'insert', code }),
  removeContext: (index) => post({ type: 'removeContext', index }),
  openLink: (href) => post({ type: 'openLink', href }),
  command: (command) => post({ type: 'command', command }),
  draftChanged: (draft) => vscode.setState({ draft }),
});

const saved = vscode.getState();
if (saved !== undefined && typeof saved.draft === 'string') view.draft = saved.draft;

window.addEventListener('message', (event: MessageEvent<unknown>) => {
  const checked = checkHostToWebview(event.data);
  if (!checked.ok) return; // Not ours, or malformed: ignore (the host never sends such a message).
  const m = checked.value;
  switch (m.type) {
    case 'state':
      view.setState(m.turns, m.pending, m.info, m.busy, m.editor);
      break;
    case 'info':
      view.setInfo(m.info);
      break;
    case 'turn':
      view.addTurn(m.turn);
      break;
    case 'delta':
      view.appendDelta(m.id, m.text);
      break;
    case 'end':
      view.endTurn(m.id, m.status, m.note);
      break;
    case 'pending':
      view.setPending(m.pending);
      break;
    case 'editor':
      view.setEditor(m.editor);
      break;
    case 'focus':
      view.focus(m.draft);
      break;
  }
});

post({ type: 'ready' });
view.input.focus();
