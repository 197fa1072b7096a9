// When to restart a crashed language server: pure, so it is unit-tested without VS Code.

/** Crashes within this window count towards giving up. */
export const CRASH_WINDOW_MS = 3 * 60_000;
export const MAX_CRASHES = 5;

export type RestartDecision = { restart: true; delayMs: number; crashes: number } | { restart: false; crashes: number };

/**
 * Records a crash at `now` (keeping only those in the window) and decides: restart after 1, 2, 4, 8, 16 s, or give
 * up after more than MAX_CRASHES crashes in CRASH_WINDOW_MS.
 */
export function onCrash(history: number[], now: number): { history: number[]; decision: RestartDecision } {
  const recent = [...history.filter((t) => now - t < CRASH_WINDOW_MS), now];
  const n = recent.length;
  if (n > MAX_CRASHES) return { history: recent, decision: { restart: false, crashes: n } };
  return { history: recent, decision: { restart: true, delayMs: Math.min(30_000, 1000 * 2 ** (n - 1)), crashes: n } };
}
