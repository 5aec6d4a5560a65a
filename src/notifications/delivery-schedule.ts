import { retryDelayMs } from '../queue/backoff.js';

/**
 * When a failed delivery is tried again: the wait after attempt 1, 2, 3… (±10% jitter,
 * queue/backoff.ts), growing from seconds to hours. A target down for hours is still reached: the
 * waits add up to 29 h (at least 26 h with the jitter), so anything that comes back within a day
 * gets its messages; after the last attempt the job is dead and its error shows in the deliveries.
 * The invariant test holds the sum (with the worst jitter) at 24 h or more.
 */
export const DELIVERY_RETRY_SECONDS = [
  10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 10_800, 14_400, 21_600, 21_600, 21_600,
] as const;

/** The first try and one per wait. */
export const DELIVERY_MAX_ATTEMPTS = DELIVERY_RETRY_SECONDS.length + 1;

/** The wait after attempt `attempt` (1-based) failed. */
export function deliveryRetryDelayMs(
  attempt: number,
  ladder: readonly number[] = DELIVERY_RETRY_SECONDS,
  random = Math.random,
): number {
  return retryDelayMs(attempt, ladder, random);
}

/**
 * How long a message may be held back by a target's Retry-After before it is given up. A held
 * job spends no attempt (a hold is not a failure), so a target that answers every try with 429 and
 * a new Retry-After would otherwise keep its messages waiting for ever. Two days: past the retry
 * ladder's day, a "download completed" that late is no longer news.
 */
export const DELIVERY_HOLD_LIMIT_MS = 48 * 3600 * 1000;
