/**
 * The period a statistics request asks for (pure). A period is [from, to) in epoch ms:
 * - `period=day|week|month`: the last 24 hours, 7 days or 30 days up to now (rolling, now included);
 * - `period=all`: every finished download (the service spans it from the first to the last);
 * - `from`/`to`: epoch ms, or ISO 8601 (a date `2026-03-01` is that UTC midnight; a date-time needs
 *   its offset, `Z` or `±hh:mm`, so it never depends on the server's zone). `from` alone runs to
 *   now; `to` alone from the beginning. `to` is exclusive; `from` must not be after `to`.
 * - nothing: the last 7 days.
 * Giving `period` together with `from` or `to` is refused: the answer would ignore one of them.
 */

export const PERIODS = ['day', 'week', 'month', 'all'] as const;
export type Period = (typeof PERIODS)[number];

const HOUR = 3_600_000;
export const PERIOD_MS: Record<Exclude<Period, 'all'>, number> = {
  day: 24 * HOUR,
  week: 7 * 24 * HOUR,
  month: 30 * 24 * HOUR,
};

/** The latest time accepted: ECMAScript's largest date. */
const MAX_TIME = 8.64e15;

export interface RangeQuery {
  period?: Period;
  from?: string;
  to?: string;
}

export type ResolvedRange =
  | { kind: 'range'; from: number; to: number }
  | { kind: 'all' }
  | { kind: 'error'; field: 'period' | 'from' | 'to'; message: string };

const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?(Z|[+-]\d{2}:\d{2}))?$/;

/** Epoch ms of `text` (digits, or ISO 8601 as above), or null when it is neither or no real time. */
export function parseTime(text: string): number | null {
  if (/^\d{1,16}$/.test(text)) {
    const ms = Number(text);
    return ms <= MAX_TIME ? ms : null;
  }
  const m = ISO.exec(text);
  if (!m) return null;
  const [year, month, day, hour, minute, second] = m
    .slice(1, 7)
    .map((v) => (v === undefined ? 0 : Number(v))) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  const offsetText = m[8];
  let offset = 0;
  if (offsetText && offsetText !== 'Z') {
    const oh = Number(offsetText.slice(1, 3));
    const om = Number(offsetText.slice(4, 6));
    if (oh > 23 || om > 59) return null;
    offset = (offsetText[0] === '-' ? -1 : 1) * (oh * 60 + om) * 60_000;
  }
  const millis = Number((m[7] ?? '0').padEnd(3, '0'));
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC maps years 0–99 to 1900–1999; such a year is no history anyone has.
  if (year < 1970) return null;
  const t = utc - offset;
  return t >= 0 && t <= MAX_TIME ? t : null;
}

export function resolveRange(q: RangeQuery, now: number): ResolvedRange {
  if (q.period !== undefined && (q.from !== undefined || q.to !== undefined)) {
    return { kind: 'error', field: 'period', message: 'give either period or from/to, not both' };
  }
  if (q.from === undefined && q.to === undefined) {
    const period = q.period ?? 'week';
    if (period === 'all') return { kind: 'all' };
    return { kind: 'range', from: Math.max(0, now + 1 - PERIOD_MS[period]), to: now + 1 };
  }
  const from = q.from === undefined ? 0 : parseTime(q.from);
  if (from === null) return badTime('from');
  const to = q.to === undefined ? now + 1 : parseTime(q.to);
  if (to === null) return badTime('to');
  if (from > to) return { kind: 'error', field: 'from', message: 'must not be after to' };
  return { kind: 'range', from, to };
}

const badTime = (field: 'from' | 'to'): ResolvedRange => ({
  kind: 'error',
  field,
  message: 'must be epoch milliseconds or an ISO 8601 date or date-time with offset',
});
