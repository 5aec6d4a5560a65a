import { Cron } from 'croner';

/**
 * Weekly time windows outside which no new transfer starts (e.g. only at night on weekdays). Pure:
 * the calendar maths (weekdays, time zones, daylight-saving jumps) is croner's; nothing here reads a
 * clock — callers pass `now`.
 */

/** One window as the API takes it: `{ days: "mon-fri", from: "01:00", to: "07:00" }`. */
export interface TimeWindow {
  /** "mon-fri", "sat,sun", "mon,wed-fri", "*" (every day). The day the window OPENS. */
  days: string;
  /** Local time "HH:MM" it opens. */
  from: string;
  /** Local time "HH:MM" it closes; at or before `from` means the next day (22:00–06:00). */
  to: string;
}

export interface WindowState {
  /** True when there are no windows (no restriction) or now is inside one. */
  open: boolean;
  /** When `open` flips next (epoch ms); null when there are no windows. */
  changesAt: number | null;
}

const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const FULL_DAY_NAMES = [
  'sunday',
  'monday',
  'tuesday',
  'wednesday',
  'thursday',
  'friday',
  'saturday',
] as const;
const TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** Why a window is not valid, or null. Messages name the field, for 400 answers. */
export function describeWindowProblem(window: TimeWindow, timeZone: string): string | null {
  if (!TIME.test(window.from)) return `from must be a time "HH:MM" (got "${window.from}")`;
  if (!TIME.test(window.to)) return `to must be a time "HH:MM" (got "${window.to}")`;
  if (dayField(window.days) === null)
    return `days must be day names or ranges such as "mon-fri" or "sat,sun" (got "${window.days}")`;
  if (!isTimeZone(timeZone)) return `timeZone "${timeZone}" is not a known time zone`;
  return null;
}

export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** "mon-fri" → "1-5", "sat,sun" → "6,0", "*" → "*"; null when it is not a day list. */
function dayField(days: string): string | null {
  const text = days.trim().toLowerCase();
  if (text === '*' || text === 'daily' || text === 'all') return '*';
  const parts = text.split(',').map((p) => p.trim());
  const out: string[] = [];
  for (const part of parts) {
    const [a, b, ...rest] = part.split('-').map((d) => d.trim());
    if (rest.length > 0 || a === undefined) return null;
    const start = dayNumber(a);
    if (start < 0) return null;
    if (b === undefined) {
      out.push(String(start));
      continue;
    }
    const end = dayNumber(b);
    if (end < 0) return null;
    // A range that wraps the week ("fri-mon") is spelled out: cron ranges do not wrap.
    for (let d = start; ; d = (d + 1) % 7) {
      out.push(String(d));
      if (d === end) break;
    }
  }
  return out.length === 0 ? null : [...new Set(out)].join(',');
}

/**
 * "mon" or "monday" → 1; -1 for anything else. Only the abbreviation or the whole name: a prefix
 * match let "monxyz" (or "sunny") through as a day.
 */
function dayNumber(name: string): number {
  const i = DAY_NAMES.indexOf(name.slice(0, 3) as (typeof DAY_NAMES)[number]);
  return i >= 0 && (name.length === 3 || name === FULL_DAY_NAMES[i]) ? i : -1;
}

function cronFor(time: string, days: string, timeZone: string): Cron {
  const [, hh, mm] = TIME.exec(time) as RegExpExecArray;
  return new Cron(`0 ${Number(mm)} ${Number(hh)} * * ${days}`, { timezone: timeZone });
}

/** Where the windows stand at `now`, and when that changes next. */
export function windowState(windows: TimeWindow[], timeZone: string, now: number): WindowState {
  if (windows.length === 0) return { open: true, changesAt: null };
  const at = new Date(now);
  let closesAt: number | null = null;
  let opensAt: number | null = null;
  for (const window of windows) {
    const days = dayField(window.days);
    if (days === null) continue;
    const start = cronFor(window.from, days, timeZone);
    // The window closes at the first `to` after it opened, whatever day that is.
    const end = cronFor(window.to, '*', timeZone);
    const lastStart = start.previousRuns(1, at)[0];
    if (lastStart) {
      const lastEnd = end.nextRun(lastStart);
      if (lastEnd && lastEnd.getTime() > now) {
        closesAt = Math.max(closesAt ?? 0, lastEnd.getTime());
        continue;
      }
    }
    // A start exactly at `now` counts as open (previousRuns excludes `now` itself).
    const next = start.nextRun(new Date(now - 1));
    if (next && next.getTime() <= now) {
      const e = end.nextRun(next);
      if (e) closesAt = Math.max(closesAt ?? 0, e.getTime());
      continue;
    }
    if (next) opensAt = Math.min(opensAt ?? Number.POSITIVE_INFINITY, next.getTime());
  }
  if (closesAt !== null) return { open: true, changesAt: closesAt };
  return { open: false, changesAt: opensAt };
}
