// The ring of extra-context chunks: pieces of other open and recently edited files that go before the current
// file in a completion prompt (as llama.vscode does). The ring changes only at moments that already cost a
// prompt re-evaluation (switching to another document, saving, opening a file), never while the user types in
// one document, so the chunks stay inside the reused KV prefix.
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { ExtraChunk } from './context';

export interface RingOptions {
  /** Lines per chunk; chunks start on multiples of this. */
  chunkLines: number;
  maxChunks: number;
  /** A new chunk replaces an old one whose lines are at least this similar (Jaccard). */
  similarity: number;
}

const DEFAULTS: RingOptions = { chunkLines: 32, maxChunks: 16, similarity: 0.9 };

function lineSet(text: string): Set<string> {
  return new Set(text.split('\n').map((l) => l.trim()).filter((l) => l !== ''));
}

function jaccard(a: Set<string>, b: Set<string>): number {
  let common = 0;
  for (const x of a) if (b.has(x)) common++;
  const union = a.size + b.size - common;
  return union === 0 ? 1 : common / union;
}

export class ExtraContextRing {
  private readonly options: RingOptions;
  private chunks: (ExtraChunk & { start: number; lines: Set<string> })[] = [];
  /** Edited lines not yet turned into chunks, per document. */
  private readonly pending = new Map<string, Set<number>>();
  private seq = 0;
  private lastUri: string | undefined;

  constructor(
    private readonly getDocument: (uri: string) => TextDocument | undefined,
    private readonly displayPath: (uri: string) => string,
    options: Partial<RingOptions> = {},
  ) {
    this.options = { ...DEFAULTS, ...options };
  }

  /** A file was opened: its first lines (imports, declarations) are a good chunk. */
  noteOpen(doc: TextDocument): void {
    this.add(doc, 0);
  }

  noteEdit(uri: string, line: number): void {
    const start = Math.floor(line / this.options.chunkLines) * this.options.chunkLines;
    let lines = this.pending.get(uri);
    if (!lines) this.pending.set(uri, (lines = new Set()));
    lines.add(start);
  }

  /** Saving ends a stretch of editing: that file's edited chunks enter the ring now. */
  noteSave(doc: TextDocument): void {
    this.flush(doc.uri);
  }

  noteClose(uri: string): void {
    this.pending.delete(uri);
  }

  /**
   * The chunks for a completion request in `uri`. When the request is for another document than the previous one,
   * the edits made in other documents are turned into chunks first.
   */
  forRequest(uri: string): readonly ExtraChunk[] {
    if (uri !== this.lastUri) {
      for (const other of [...this.pending.keys()]) if (other !== uri) this.flush(other);
      this.lastUri = uri;
    }
    return this.chunks;
  }

  get size(): number {
    return this.chunks.length;
  }

  private flush(uri: string): void {
    const starts = this.pending.get(uri);
    this.pending.delete(uri);
    const doc = this.getDocument(uri);
    if (!starts || !doc) return;
    for (const start of [...starts].sort((a, b) => a - b)) this.add(doc, start);
  }

  private add(doc: TextDocument, start: number): void {
    const { chunkLines, maxChunks, similarity } = this.options;
    const end = Math.min(doc.lineCount, start + chunkLines);
    if (start >= end) return;
    const text = doc.getText({ start: { line: start, character: 0 }, end: { line: end, character: 0 } });
    const lines = lineSet(text);
    if (lines.size < 3) return; // nothing worth the tokens
    this.chunks = this.chunks.filter(
      (c) => !(c.uri === doc.uri && c.start === start) && jaccard(c.lines, lines) < similarity,
    );
    this.chunks.push({ uri: doc.uri, path: this.displayPath(doc.uri), text, seq: ++this.seq, start, lines });
    while (this.chunks.length > maxChunks) this.chunks.shift();
  }
}
