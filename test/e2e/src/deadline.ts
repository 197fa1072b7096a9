// Every wait in the harness goes through `within`, so that nothing can hang: each has a limit and a message that
// says what did not happen and where to look.

export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

/** Resolves or rejects like `work`, or rejects with `message` (plus the limit) after `ms`. */
export async function within<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineError(`${message} (within ${Math.round(ms / 1000)} s)`)), ms);
  });
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `probe` every `everyMs` until it returns a value other than undefined, or fails with `message`. */
export async function pollUntil<T>(probe: () => Promise<T | undefined> | T | undefined, ms: number, message: string,
  everyMs = 200): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() >= deadline) throw new DeadlineError(`${message} (within ${Math.round(ms / 1000)} s)`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
