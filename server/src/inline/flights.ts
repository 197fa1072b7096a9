// In-flight generations that later requests can join. While the model is still writing a suggestion, the user
// often types its first characters; the editor then cancels the request and asks again one character later. A
// generation is therefore owned here, not by the request that started it: a new request whose text before the cursor
// is the old one plus characters the generation has produced (or may still produce) waits for it and takes the rest,
// instead of starting over. A generation nobody waits for is stopped after a short grace period, and a request that
// cannot join stops the one in flight (the latest keystroke wins).
import type { CacheKey } from './cache';
import type { PostprocessInput } from './postprocess';

export interface Flight {
  readonly key: CacheKey;
  /** How the generation's text is post-processed (for partial answers to requests that join it). */
  readonly pp: PostprocessInput;
  /** The completion text generated so far (after the cursor of `key`). */
  progress: string;
  /** Called on each progress update. */
  readonly watchers: Set<() => void>;
  /** A request was answered with part of it: let it finish (and fill the cache) even when nobody waits. */
  answered: boolean;
  /** Candidates when the generation ends; undefined when it was stopped. */
  result: Promise<string[] | undefined>;
  readonly abort: AbortController;
  users: number;
  settled: boolean;
  grace?: NodeJS.Timeout;
}

/** Answer early with part of the suggestion when the whole takes longer than `afterMs`. */
export interface PartialOption {
  afterMs: number;
  /** The candidate to show for the text generated so far, or undefined when there is not enough yet. */
  partial(progress: string): string | undefined;
}

export interface Answer {
  candidates: string[];
  /** True when `candidates` hold the start of a suggestion still being generated. */
  partial: boolean;
}

export interface Joinable {
  flight: Flight;
  /** What the user typed since the flight's request. */
  typed: string;
}

export class Flights {
  private readonly byUri = new Map<string, Flight>();

  constructor(
    private readonly graceMs = 250,
    private readonly maxTypedChars = 64,
  ) {}

  /** The unfinished generation for this document that a request at `key` can join, if any. */
  find(key: CacheKey): Joinable | undefined {
    const flight = this.byUri.get(key.uri);
    if (!flight || flight.settled || flight.key.variant !== key.variant || flight.key.suffix !== key.suffix) return undefined;
    const old = flight.key.prefix;
    const limit = Math.min(this.maxTypedChars, key.prefix.length);
    for (let n = 0; n <= limit; n++) {
      const typed = key.prefix.slice(key.prefix.length - n);
      // Both prefixes are tails of the document text: the text before `typed` must end the old prefix, over all of
      // it when it is short and over a long stretch when it is a tail.
      const before = key.prefix.slice(0, key.prefix.length - n);
      if (before.length < Math.min(old.length, 256) || !old.endsWith(before)) continue;
      // Join when the generation has produced what was typed, or has begun to and may go on to produce it; not
      // while it has produced nothing, when the odds that it will are low and a new run costs little more.
      const p = flight.progress;
      const agrees = p.length >= typed.length ? p.startsWith(typed) : p.length > 0 && typed.startsWith(p);
      return agrees ? { flight, typed } : undefined;
    }
    return undefined;
  }

  /** Starts a generation for `key`, stopping the document's previous one. */
  start(key: CacheKey, pp: PostprocessInput, run: (signal: AbortSignal, onProgress: (text: string) => void) => Promise<string[] | undefined>): Flight {
    this.cancel(key.uri);
    const abort = new AbortController();
    const flight: Flight = {
      key, pp, progress: '', watchers: new Set(), answered: false, abort, users: 0, settled: false, result: Promise.resolve(undefined),
    };
    flight.result = run(abort.signal, (text) => {
      flight.progress = text;
      for (const w of flight.watchers) w();
    }).finally(() => {
      flight.settled = true;
      if (flight.grace) clearTimeout(flight.grace);
      if (this.byUri.get(key.uri) === flight) this.byUri.delete(key.uri);
    });
    this.byUri.set(key.uri, flight);
    return flight;
  }

  /**
   * Waits for the flight's candidates; resolves undefined at once when `signal` aborts (the flight goes on a while).
   * With `early`, answers with part of the suggestion once `early.afterMs` have passed and there is enough of it.
   */
  join(flight: Flight, signal: AbortSignal, early?: PartialOption): Promise<Answer | undefined> {
    if (signal.aborted) return Promise.resolve(undefined);
    flight.users++;
    if (flight.grace) {
      clearTimeout(flight.grace);
      flight.grace = undefined;
    }
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let left = false;
      const leave = (value: Answer | undefined): void => {
        if (left) return;
        left = true;
        signal.removeEventListener('abort', onAbort);
        if (timer) clearTimeout(timer);
        flight.watchers.delete(tryPartial);
        flight.users--;
        if (flight.users === 0 && !flight.settled && !flight.answered) {
          flight.grace = setTimeout(() => flight.abort.abort(), this.graceMs);
        }
        resolve(value);
      };
      const onAbort = (): void => leave(undefined);
      const tryPartial = (): void => {
        const part = early?.partial(flight.progress);
        if (part === undefined) return;
        flight.answered = true;
        leave({ candidates: [part], partial: true });
      };
      signal.addEventListener('abort', onAbort, { once: true });
      if (early && early.afterMs > 0) {
        timer = setTimeout(() => {
          // From now on every piece of progress may be enough to show.
          flight.watchers.add(tryPartial);
          tryPartial();
        }, early.afterMs);
      }
      void flight.result.then(
        (v) => leave(v === undefined ? undefined : { candidates: v, partial: false }),
        () => leave(undefined),
      );
    });
  }

  cancel(uri: string): void {
    const flight = this.byUri.get(uri);
    if (!flight) return;
    this.byUri.delete(uri);
    if (flight.grace) clearTimeout(flight.grace);
    flight.abort.abort();
  }

  cancelAll(): void {
    for (const uri of [...this.byUri.keys()]) this.cancel(uri);
  }
}
