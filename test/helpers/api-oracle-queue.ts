import { isNamingPattern } from './api-oracle-naming.js';
import ipaddr from 'ipaddr.js';

/**
 * The oracle's rules for the queue-control and settings routes (README, "Queue control"), written
 * apart from SoulSpot's schemas like the rest of api-oracle.ts: each returns why a body is refused
 * (a 400), or null when it is valid.
 */

/** What the oracle must know of the database: whether a download exists (a reorder's anchor). */
export interface QueueState {
  isDownload(id: string): boolean;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const isId = (v: unknown): v is string => typeof v === 'string' && UUID.test(v);
const MAX_IDS = 10_000;

/** Text both databases store as sent, of `min` to `max` code points. */
function text(v: unknown, min: number, max: number): v is string {
  if (typeof v !== 'string' || v.includes('\u0000')) return false;
  if (new TextDecoder().decode(new TextEncoder().encode(v)) !== v) return false;
  const length = [...v].length;
  return length >= min && length <= max;
}
const integer = (min: number, max: number) => (v: unknown) =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const number = (min: number, max: number) => (v: unknown) =>
  typeof v === 'number' && Number.isFinite(v) && v >= min && v <= max;
const unknownKey = (o: Obj, keys: string[]) => Object.keys(o).find((k) => !keys.includes(k));

/** A list of ids: 1 to 10,000 lowercase UUIDs. */
const idList = (v: unknown): v is string[] =>
  Array.isArray(v) && v.length >= 1 && v.length <= MAX_IDS && v.every(isId);

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const leap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;

/** RFC 3339 date-time: four-digit year, a real date, seconds 00–59, Z or ±hh:mm; T/Z in any case. */
export function isRfc3339(v: unknown): boolean {
  if (typeof v !== 'string') return false;
  const m =
    /^(\d\d\d\d)-(\d\d)-(\d\d)[Tt](\d\d):(\d\d):(\d\d)(?:\.\d+)?(?:[Zz]|[+-](\d\d):(\d\d))$/.exec(
      v,
    );
  if (!m) return false;
  const [y, mo, d, h, mi, s, oh = 0, om = 0] = m.slice(1).map((x) => Number(x ?? 0));
  if (mo! < 1 || mo! > 12 || d! < 1) return false;
  const monthDays = mo === 2 && leap(y!) ? 29 : DAYS_IN_MONTH[mo! - 1]!;
  return d! <= monthDays && h! <= 23 && mi! <= 59 && s! <= 59 && oh <= 23 && om <= 59;
}

/**
 * IANA time zone names, in any case: those Intl lists, and the links it accepts but leaves out of
 * that list (the fuzz sends these by name).
 */
const ZONES = new Set(
  [
    ...Intl.supportedValuesOf('timeZone'),
    'UTC',
    'Etc/UTC',
    'GMT',
    'Etc/GMT+5',
    'Asia/Kolkata',
    'US/Eastern',
  ].map((z) => z.toLowerCase()),
);

const DAY =
  '(?:sun|mon|tue|wed|thu|fri|sat|sunday|monday|tuesday|wednesday|thursday|friday|saturday)';
const DAY_LIST = new RegExp(
  `^\\s*(?:\\*|daily|all)\\s*$|^(?:\\s*${DAY}\\s*(?:-\\s*${DAY}\\s*)?)(?:,\\s*${DAY}\\s*(?:-\\s*${DAY}\\s*)?)*$`,
  'i',
);
/** "HH:MM", 00:00 to 23:59, ASCII digits. */
const clock = (v: unknown) =>
  typeof v === 'string' &&
  /^[0-9]{2}:[0-9]{2}$/.test(v) &&
  Number(v.slice(0, 2)) < 24 &&
  Number(v.slice(3)) < 60;

function validWindows(v: unknown): boolean {
  if (!Array.isArray(v) || v.length > 20) return false;
  return v.every(
    (w) =>
      isObject(w) &&
      unknownKey(w, ['days', 'from', 'to']) === undefined &&
      text(w.days, 1, 40) &&
      DAY_LIST.test(w.days) &&
      clock(w.from) &&
      clock(w.to),
  );
}

const SETTINGS: Record<string, (v: unknown) => boolean> = {
  maxConcurrent: integer(1, 10_000),
  maxConcurrentFiling: integer(1, 1000),
  maxFilingBacklog: integer(0, 100_000),
  maxQueuedAtSource: integer(0, 100_000),
  maxConcurrentPerUser: integer(1, 1000),
  maxQueueSize: integer(0, 10_000_000),
  maxRetries: integer(0, 100),
  retryBackoffSeconds: (v) =>
    Array.isArray(v) && v.length >= 1 && v.length <= 20 && v.every(number(0, 7 * 86_400)),
  stallTimeoutSeconds: integer(1, 7 * 86_400),
  searchTimeoutSeconds: integer(1, 600),
  blocklistFailures: integer(1, 1000),
  blocklistWindowHours: number(0.001, 24 * 365),
  blocklistDays: number(0.0001, 3650),
  queuePaused: (v) => typeof v === 'boolean',
  timeZone: (v) => text(v, 1, 64) && ZONES.has(v.toLowerCase()),
  timeWindows: validWindows,
  namingPattern: isNamingPattern,
  multiDiscNamingPattern: isNamingPattern,
  transcodeAction: (v) => v === 'reject' || v === 'warn',
  tagFiles: (v) => typeof v === 'boolean',
  embedCover: (v) => typeof v === 'boolean',
  writeFolderCover: (v) => typeof v === 'boolean',
  fetchAllowedRanges: (v) =>
    Array.isArray(v) &&
    v.length <= 50 &&
    v.every((r) => text(r, 1, 50) && /^[0-9a-fA-F.:]+\/\d{1,3}$/.test(r) && cidr(r)),
  allowedPrivateTargets: (v) =>
    Array.isArray(v) && v.length <= 50 && v.every((r) => text(r, 1, 260) && allowedTarget(r)),
  notificationGroupSeconds: number(0, 3600),
  diskLowMb: integer(0, 100_000_000),
  toastEvents: (v) =>
    Array.isArray(v) &&
    new Set(v).size === v.length &&
    v.every((e) => typeof e === 'string' && NOTIFICATION_EVENT_NAMES.includes(e)),
  backupRetention: integer(1, 1000),
};

/** The notification events, written out apart from the app's list. */
const NOTIFICATION_EVENT_NAMES = [
  'download.completed',
  'download.failed',
  'album.completed',
  'batch.completed',
  'provider.offline',
  'provider.online',
  'disk.low',
  'queue.idle',
];

/** host[:port] (a DNS name or IP literal, IPv6 in brackets with a port) or a CIDR range. */
function allowedTarget(entry: string): boolean {
  const e = entry.trim();
  if (e.includes('/')) return cidr(e);
  const bracket = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(e);
  if (bracket) return ipaddr.IPv6.isValid(bracket[1]!) && port(bracket[2]);
  if (ipaddr.IPv6.isValid(e)) return true;
  const m = /^([^:]+)(?::(\d{1,5}))?$/.exec(e);
  if (!m) return false;
  const host = m[1]!;
  const name = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i.test(host);
  return (ipaddr.isValid(host) || name) && port(m[2]);
}
function port(p: string | undefined): boolean {
  return p === undefined || (Number(p) >= 1 && Number(p) <= 65_535);
}
function cidr(range: string): boolean {
  try {
    ipaddr.parseCIDR(range);
    return true;
  } catch {
    return false;
  }
}

export const SETTING_NAMES = Object.keys(SETTINGS);

/** One or more settings, each valid or null (back to its default). */
export function settingsPatchProblem(b: unknown): string | null {
  if (!isObject(b)) return 'not an object';
  if (Object.keys(b).length === 0) return 'empty patch';
  const unknown = unknownKey(b, SETTING_NAMES);
  if (unknown !== undefined) return `unknown setting ${unknown}`;
  const bad = Object.entries(b).find(([k, v]) => v !== null && !SETTINGS[k]!(v));
  return bad ? `invalid ${bad[0]}` : null;
}

export function patchDownloadProblem(b: unknown): string | null {
  if (!isObject(b)) return 'not an object';
  if (Object.keys(b).length === 0) return 'empty patch';
  if (unknownKey(b, ['priority', 'position', 'scheduledAt']) !== undefined) return 'unknown key';
  if ('priority' in b && !integer(-1000, 1000)(b.priority)) return 'priority';
  if ('position' in b && !integer(0, 10_000_000)(b.position)) return 'position';
  if ('scheduledAt' in b && b.scheduledAt !== null && !isRfc3339(b.scheduledAt))
    return 'scheduledAt';
  return null;
}

/** `{ids, before? | after?}`; the download to place them next to exists and is not moved. */
export function reorderProblem(b: unknown, state: QueueState): string | null {
  if (!isObject(b)) return 'not an object';
  if (unknownKey(b, ['ids', 'before', 'after']) !== undefined) return 'unknown key';
  if (!idList(b.ids)) return 'ids';
  for (const side of ['before', 'after'] as const) if (side in b && !isId(b[side])) return side;
  if ('before' in b && 'after' in b) return 'both before and after';
  const anchor = (b.before ?? b.after) as string | undefined;
  if (anchor === undefined) return null;
  if (b.ids.includes(anchor)) return 'anchor is one of the moved';
  return state.isDownload(anchor) ? null : 'anchor does not exist';
}

const ACTIONS = ['cancel', 'retry', 'set_priority', 'pause', 'resume', 'remove'];
const FILTER_STATUSES = [
  'waiting',
  'searching',
  'queued',
  'downloading',
  'processing',
  'completed',
  'failed',
  'cancelled',
  'paused',
  'scheduled',
];

function filterProblem(f: unknown): string | null {
  if (!isObject(f)) return 'filter';
  if (unknownKey(f, ['status', 'text', 'createdBefore', 'createdAfter']) !== undefined)
    return 'filter key';
  if (
    'status' in f &&
    !(
      Array.isArray(f.status) &&
      f.status.length >= 1 &&
      f.status.length <= 10 &&
      f.status.every((s) => FILTER_STATUSES.includes(s as string))
    )
  )
    return 'filter/status';
  if ('text' in f && !text(f.text, 1, 200)) return 'filter/text';
  for (const k of ['createdBefore', 'createdAfter'])
    if (k in f && !isRfc3339(f[k])) return `filter/${k}`;
  return null;
}

/** Exactly one of ids and filter, one action, a priority (required for set_priority). */
export function batchProblem(b: unknown): string | null {
  if (!isObject(b)) return 'not an object';
  if (unknownKey(b, ['ids', 'filter', 'action', 'priority']) !== undefined) return 'unknown key';
  if (!ACTIONS.includes(b.action as string)) return 'action';
  if ('ids' in b && !idList(b.ids)) return 'ids';
  if ('filter' in b) {
    const problem = filterProblem(b.filter);
    if (problem) return problem;
  }
  if ('priority' in b && !integer(-1000, 1000)(b.priority)) return 'priority';
  if ('ids' in b === 'filter' in b) return 'ids or filter';
  if (b.action === 'set_priority' && !('priority' in b)) return 'priority required';
  return null;
}
