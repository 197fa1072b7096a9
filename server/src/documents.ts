// The open documents, kept in sync incrementally (didOpen / didChange with ranges / didClose), and the places the
// user edited, which feed the extra-context ring.
import { TextDocument } from 'vscode-languageserver-textdocument';
import type {
  Connection,
  DidChangeTextDocumentParams,
  DidCloseTextDocumentParams,
  DidOpenTextDocumentParams,
  DidSaveTextDocumentParams,
} from 'vscode-languageserver/node';

export interface DocumentEvents {
  onOpen?(doc: TextDocument): void;
  /** `line`: a line the change touched (after the change). */
  onEdit?(doc: TextDocument, line: number): void;
  onSave?(doc: TextDocument): void;
  onClose?(uri: string): void;
}

export class Documents {
  private readonly docs = new Map<string, TextDocument>();

  constructor(private readonly events: DocumentEvents = {}) {}

  listen(connection: Connection): void {
    connection.onDidOpenTextDocument((p) => this.open(p));
    connection.onDidChangeTextDocument((p) => this.change(p));
    connection.onDidCloseTextDocument((p) => this.close(p));
    connection.onDidSaveTextDocument((p) => this.save(p));
  }

  get(uri: string): TextDocument | undefined {
    return this.docs.get(uri);
  }

  all(): TextDocument[] {
    return [...this.docs.values()];
  }

  open(p: DidOpenTextDocumentParams): void {
    const { uri, languageId, version, text } = p.textDocument;
    const doc = TextDocument.create(uri, languageId, version, text);
    this.docs.set(uri, doc);
    this.events.onOpen?.(doc);
  }

  change(p: DidChangeTextDocumentParams): void {
    const doc = this.docs.get(p.textDocument.uri);
    if (!doc) return;
    TextDocument.update(doc, p.contentChanges, p.textDocument.version);
    const last = p.contentChanges[p.contentChanges.length - 1];
    if (last && 'range' in last) {
      const added = last.text.split('\n').length - 1;
      this.events.onEdit?.(doc, last.range.start.line + added);
    } else {
      this.events.onEdit?.(doc, 0);
    }
  }

  save(p: DidSaveTextDocumentParams): void {
    const doc = this.docs.get(p.textDocument.uri);
    if (doc) this.events.onSave?.(doc);
  }

  close(p: DidCloseTextDocumentParams): void {
    this.docs.delete(p.textDocument.uri);
    this.events.onClose?.(p.textDocument.uri);
  }
}
