// Completion cache: an LRU of finished suggestions keyed by the text around the cursor.
//
// Two kinds of hits, both without running the model:
// - exact: the same text before and after the cursor as an earlier request;
// - typed-through: the user has typed the first characters of a suggestion that is still on screen; the cache
//   finds the earlier request by walking back over the characters just typed and returns the rest.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';

export interface CacheKey {
  uri: string;
  /** Everything else that changes the answer: prompt mode, shape, model, settings. */
  variant: string;
  /** Text before the cursor (only its tail is used). */
  prefix: string;
  /** Text after the cursor (only its head is used). */
  suffix: string;
}

export interface CacheEntry {
  /** Completions at the cursor, best first. May be empty: "the model had nothing to say here". */
  items: readonly string[];
  /** Candidates that were asked for (1 for automatic requests, more for an explicit trigger). */
  wanted: number;
}

export interface CacheHit {
  kind: 'exact' | 'typed-through';
  items: string[];
  /** The characters typed since the cached request (empty for an exact hit). */
  typed: string;
}

export interface CacheOptions {
  maxEntries?: number;
  /** Characters of the prefix that form the key. */
  prefixChars?: number;
  /** Characters of the suffix that form the key. */
  suffixChars?: number;
  /** How many typed characters to walk back over. */
  maxTypedChars?: number;
}

export class CompletionCache {
  private readonly lru: LRUCache<string, CacheEntry>;
  private readonly prefixChars: number;
  private readonly suffixChars: number;
  private readonly maxTypedChars: number;

  constructor(options: CacheOptions = {}) {
    this.lru = new LRUCache({ max: options.maxEntries ?? 256 });
    this.prefixChars = options.prefixChars ?? 2000;
    this.suffixChars = options.suffixChars ?? 500;
    this.maxTypedChars = options.maxTypedChars ?? 64;
  }

  private key(k: CacheKey, prefixEnd: number): string {
    const prefix = k.prefix.slice(Math.max(0, prefixEnd - this.prefixChars), prefixEnd);
    // Stored as a digest: the text around the cursor is kilobytes, and the cache holds hundreds of entries.
    return `${k.uri}\u0000` + createHash('sha256').update(`${k.variant}\u0000${k.suffix.slice(0, this.suffixChars)}\u0000${prefix}`).digest('base64');
  }

  set(k: CacheKey, entry: CacheEntry): void {
    this.lru.set(this.key(k, k.prefix.length), entry);
  }

  /** A hit whose request asked for at least `wanted` candidates: exact first, then typed-through. */
  get(k: CacheKey, wanted = 1): CacheHit | undefined {
    const exact = this.lru.get(this.key(k, k.prefix.length));
    if (exact !== undefined && exact.wanted >= wanted) return { kind: 'exact', items: [...exact.items], typed: '' };
    const limit = Math.min(this.maxTypedChars, k.prefix.length);
    for (let i = 1; i <= limit; i++) {
      const end = k.prefix.length - i;
      const entry = this.lru.get(this.key(k, end));
      if (entry === undefined || entry.wanted < wanted) continue;
      const typed = k.prefix.slice(end);
      const items = entry.items.filter((s) => s.length > typed.length && s.startsWith(typed)).map((s) => s.slice(typed.length));
      // The rest of a suggestion is worth showing only if it is more than whitespace.
      const useful = items.filter((s) => s.trim() !== '');
      if (useful.length > 0) return { kind: 'typed-through', items: useful, typed };
    }
    return undefined;
  }

  clear(uri?: string): void {
    if (uri === undefined) {
      this.lru.clear();
      return;
    }
    const head = `${uri}\u0000`;
    for (const key of [...this.lru.keys()]) if (key.startsWith(head)) this.lru.delete(key);
  }

  get size(): number {
    return this.lru.size;
  }
}
