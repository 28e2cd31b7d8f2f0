/** Exponential backoff with full jitter: 0.5 s doubling to `maxMs`, so a fleet does not retry in step. */
export function backoffDelay(attempt: number, maxMs = 30_000, random = Math.random): number {
  const ceiling = Math.min(maxMs, 500 * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Waits `ms`, or less when `signal` aborts (without throwing: the caller checks the signal). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
