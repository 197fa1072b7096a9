// How long to wait after a keystroke before asking for an automatic completion. Pure (no vscode import): the
// typing benchmark uses the same policy as the extension.

/** Keystroke intervals of the last few keystrokes; pauses over 2 s do not count as typing. */
export class TypingSpeed {
  private last: number | undefined;
  private readonly gaps: number[] = [];

  constructor(private readonly size = 12) {}

  keystroke(now: number): void {
    if (this.last !== undefined) {
      const gap = now - this.last;
      if (gap > 0 && gap < 2000) {
        this.gaps.push(gap);
        if (this.gaps.length > this.size) this.gaps.shift();
      }
    }
    this.last = now;
  }

  /** Median gap between recent keystrokes, in ms; undefined until there are a few. */
  medianGapMs(): number | undefined {
    if (this.gaps.length < 3) return undefined;
    const s = [...this.gaps].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
  }
}

/** Median of recent model latencies (cache hits excluded), in ms. */
export class LatencyTracker {
  private readonly values: number[] = [];

  constructor(private readonly size = 10) {}

  add(ms: number): void {
    this.values.push(ms);
    if (this.values.length > this.size) this.values.shift();
  }

  medianMs(): number | undefined {
    if (this.values.length === 0) return undefined;
    const s = [...this.values].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)];
  }
}

/**
 * Whether a request's latency says how fast completions come while typing: answers that ran the model, without a
 * long prompt evaluation (the first request in a new place evaluates the whole prompt once; it is not typical).
 */
export function countsForDebounce(s: { source: string; outcome: string; evaluatedTokens: number; prefillTokens: number }): boolean {
  return s.source === 'model' && (s.outcome === 'items' || s.outcome === 'empty') && s.evaluatedTokens + s.prefillTokens <= 64;
}

export interface DebounceInput {
  /** The setting trit.completion.debounceMs: the shortest wait. */
  minMs: number;
  adaptive: boolean;
  typingGapMs: number | undefined;
  latencyMs: number | undefined;
  /** Longest wait (default 400 ms). */
  maxMs?: number;
}

/**
 * The wait before an automatic request. Normally the setting's minimum. While the user types so fast that a
 * suggestion could not appear before the next keystroke anyway — bursts faster than 60 ms a key, or completions
 * taking more than twice the gap between keys — wait for a pause instead (a bit longer than that gap), so the engine
 * does not start work that the next keystroke cancels.
 */
export function debounceDelay(d: DebounceInput): number {
  const max = d.maxMs ?? 400;
  if (!d.adaptive || d.typingGapMs === undefined) return d.minMs;
  const gap = d.typingGapMs;
  const slow = d.latencyMs !== undefined && d.latencyMs > 2 * gap;
  if (gap >= 60 && !slow) return d.minMs;
  return Math.round(Math.min(max, Math.max(d.minMs, 1.5 * gap)));
}
