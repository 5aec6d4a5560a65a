/**
 * What a target's answer asks of us beyond "it failed", pure (the delivery task acts on it):
 * - 429 Too Many Requests and 503 Service Unavailable with `Retry-After` (seconds, or an HTTP
 *   date): no request to that target before then. Capped, so a hostile or broken receiver cannot
 *   park its messages past the 24 h delivery promise with one header (`Retry-After: 99999999`).
 * - 410 Gone: the endpoint was removed on purpose (Discord and Slack answer it for a deleted
 *   webhook). Retrying for a day would only hammer it, so the target is switched off, with the
 *   reason kept on it for the API and the settings page; enabling it again clears the reason.
 */

/** The longest wait a `Retry-After` can impose (the retry ladder takes over past it). */
export const RETRY_AFTER_CAP_MS = 60 * 60 * 1000;

/** Statuses whose `Retry-After` is honoured. */
const WAIT_STATUSES = new Set([429, 503]);

export type TargetAnswer =
  | { kind: 'ok' }
  | { kind: 'failed' }
  | { kind: 'wait'; untilMs: number }
  | { kind: 'gone'; reason: string };

/**
 * The wait a `Retry-After` value asks for, in ms from `now`, capped; null when absent,
 * unparseable or not in the future. Delta-seconds are digits only (RFC 9110 §10.2.3): `1.5`,
 * `-3` or `10s` are not a delay.
 */
export function retryAfterMs(
  header: string | string[] | undefined,
  now: number,
  cap = RETRY_AFTER_CAP_MS,
): number | null {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  if (!value) return null;
  let ms: number;
  if (/^\d+$/.test(value)) ms = Number(value) * 1000;
  else {
    // An HTTP date names a weekday and GMT; Date.parse alone would take "5" or "2026" too.
    if (!/^[A-Za-z]{3},? .*\bGMT$/.test(value)) return null;
    const at = Date.parse(value);
    if (!Number.isFinite(at)) return null;
    ms = at - now;
  }
  if (!Number.isFinite(ms) || ms <= 0) return null;
  return Math.min(ms, cap);
}

/** Classifies an HTTP answer (null status: no answer at all, a network error). */
export function classifyAnswer(
  status: number | null,
  retryAfter: string | string[] | undefined,
  now: number,
): TargetAnswer {
  if (status !== null && status >= 200 && status < 300) return { kind: 'ok' };
  if (status === 410)
    return { kind: 'gone', reason: 'HTTP 410 Gone: the target says this endpoint was removed' };
  if (status !== null && WAIT_STATUSES.has(status)) {
    const wait = retryAfterMs(retryAfter, now);
    if (wait !== null) return { kind: 'wait', untilMs: now + wait };
  }
  return { kind: 'failed' };
}
