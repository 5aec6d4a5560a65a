/**
 * When a feed is polled next. Pure.
 *
 * After a failure the wait doubles per consecutive failure (interval × 2^failures), up to a cap of
 * 6 hours, or the feed's own interval when that is longer: a dead feed is still looked at four
 * times a day, and backing off never makes a slow feed poll faster than its interval.
 */
export const BACKOFF_CAP_MS = 6 * 3_600_000;

/** The wait after `failures` consecutive failed polls (0: the interval). */
export function pollDelayMs(intervalMinutes: number, failures: number): number {
  const interval = intervalMinutes * 60_000;
  if (failures <= 0) return interval;
  const cap = Math.max(interval, BACKOFF_CAP_MS);
  // 2^30 minutes is past any cap: the exponent stops growing there (no Infinity arithmetic).
  return Math.min(cap, interval * 2 ** Math.min(failures, 30));
}

/** How long one poll may hold a feed before another process may take it (fetch deadline + margin). */
export const POLL_LEASE_MS = 60_000;
/** The whole fetch of a feed, redirects included. */
export const FETCH_TIMEOUT_MS = 20_000;
/** The largest feed document read (a larger one is refused, the poll counted as failed). */
export const MAX_FEED_BYTES = 5 * 1024 * 1024;
