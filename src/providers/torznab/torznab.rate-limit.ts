/**
 * Requests per minute to one indexer, as a sliding window: at most `perMinute` requests in any 60
 * seconds. Many indexers count API hits per day or hour and ban a client that bursts; a search of
 * three pages across several tracks at once is such a burst. The clock is injected so tests and
 * the back-off share one notion of time.
 */

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const SYSTEM_CLOCK: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason as Error);
        return;
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(signal?.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

const WINDOW_MS = 60_000;

export interface RateLimiter {
  /** How long until a request may go (0: now). */
  delay(): number;
  /**
   * Waits for a free place in the window and takes it; false (nothing taken) when that would be
   * after `deadline` (epoch ms).
   */
  acquire(deadline: number, signal?: AbortSignal): Promise<boolean>;
}

export function createRateLimiter(perMinute: number, clock: Clock): RateLimiter {
  const limit = Math.max(1, Math.floor(perMinute));
  /** Times of the requests in the window, oldest first. */
  const sent: number[] = [];
  const prune = (now: number): void => {
    while (sent.length > 0 && sent[0]! <= now - WINDOW_MS) sent.shift();
  };
  const delay = (): number => {
    const now = clock.now();
    prune(now);
    return sent.length < limit ? 0 : sent[0]! + WINDOW_MS - now;
  };
  return {
    delay,
    async acquire(deadline, signal) {
      for (;;) {
        const wait = delay();
        if (wait === 0) {
          sent.push(clock.now());
          return true;
        }
        if (clock.now() + wait > deadline) return false;
        await clock.sleep(wait, signal);
      }
    },
  };
}
