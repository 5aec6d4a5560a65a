/**
 * What the API must answer to a request, decided from the request alone: the fuzz test's
 * independent oracle. It restates the documented rules (README, API section) in plain code and
 * never calls SoulSpot's schemas, parsers or services, so a rule the app gets wrong shows up as a
 * disagreement instead of being checked against itself.
 */

import {
  batchProblem,
  isRfc3339,
  patchDownloadProblem,
  reorderProblem,
  settingsPatchProblem,
  type QueueState,
} from './api-oracle-queue.js';

export type Method = 'GET' | 'POST' | 'DELETE' | 'PATCH';

export interface ConcreteRequest {
  method: Method;
  /** Path and query exactly as sent (percent-encoded). */
  url: string;
  headers: Record<string, string>;
  payload?: Buffer;
}

export type Verdict =
  /** Refused with exactly this status. */
  | { accept: false; status: number; why: string }
  /** Accepted: one of these statuses (404/409 depend on the state the id is in). */
  | { accept: true; statuses: number[]; route: RouteName; body?: unknown };

export type RouteName =
  | 'createDownload'
  | 'bulkDownloads'
  | 'listDownloads'
  | 'getDownload'
  | 'cancelDownload'
  | 'retryDownload'
  | 'listBlocklist'
  | 'addBlocklist'
  | 'removeBlocklist'
  | 'health'
  | 'getSettings'
  | 'patchSettings'
  | 'patchDownload'
  | 'reorder'
  | 'batch'
  | 'queue'
  | 'pauseQueue'
  | 'resumeQueue';

const STATUSES = [
  'waiting',
  'searching',
  'queued',
  'downloading',
  'processing',
  'completed',
  'failed',
  'cancelled',
];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const BODY_LIMIT = 64 * 1024;
/** The bulk route takes bigger bodies (README, API section). */
const BULK_BODY_LIMIT = 8 * 1024 * 1024;
const BULK_MAX_ITEMS = 10_000;
/** Reorder and batch take up to 10,000 ids: room for them (README, Queue control). */
const ID_LIST_BODY_LIMIT = 1024 * 1024;
/** Fastify's default limit on one path parameter, in UTF-16 units once decoded. */
const MAX_PARAM_LENGTH = 100;

/** Content-Type values the fuzz sends, and what each one means; nothing else is generated. */
export const CONTENT_TYPES: Record<string, 'json' | 'bad-charset' | 'unsupported'> = {
  'application/json': 'json',
  'application/json; charset=utf-8': 'json',
  'application/json; charset=UTF-8': 'json',
  'application/json;charset="utf-8"': 'json',
  'application/json; charset=utf8': 'json',
  'Application/JSON': 'json',
  'application/json; charset=iso-8859-1': 'bad-charset',
  'application/json; charset=utf-16': 'bad-charset',
  'application/json; charset=latin1': 'bad-charset',
  'text/plain': 'unsupported',
  'text/plain; charset=utf-8': 'unsupported',
  'application/x-www-form-urlencoded': 'unsupported',
  'multipart/form-data; boundary=xyz': 'unsupported',
  'application/jsonx': 'unsupported',
  'application/json-patch+json': 'unsupported',
  'application/xml': 'unsupported',
  json: 'unsupported',
  '': 'unsupported',
  ';;;': 'unsupported',
};

/** Content-Encoding values the fuzz sends: only identity (in any spelling) is accepted. */
export const CONTENT_ENCODINGS = ['identity', 'IDENTITY', 'identity, identity', 'gzip', 'GZIP'];
export const BAD_ENCODINGS = ['deflate', 'br', 'x-gzip', 'gzip, identity', 'identity, br', 'zz'];

const ROUTES: Array<{ method: Method; pattern: RegExp; route: RouteName; ok: number[] }> = [
  { method: 'POST', pattern: /^\/api\/downloads$/, route: 'createDownload', ok: [200, 201] },
  { method: 'POST', pattern: /^\/api\/downloads\/bulk$/, route: 'bulkDownloads', ok: [200] },
  { method: 'GET', pattern: /^\/api\/downloads$/, route: 'listDownloads', ok: [200] },
  { method: 'GET', pattern: /^\/api\/downloads\/([^/]+)$/, route: 'getDownload', ok: [200, 404] },
  {
    method: 'DELETE',
    pattern: /^\/api\/downloads\/([^/]+)$/,
    route: 'cancelDownload',
    ok: [200, 404, 409],
  },
  {
    method: 'POST',
    pattern: /^\/api\/downloads\/([^/]+)\/retry$/,
    route: 'retryDownload',
    ok: [200, 404, 409],
  },
  { method: 'GET', pattern: /^\/api\/blocklist$/, route: 'listBlocklist', ok: [200] },
  { method: 'POST', pattern: /^\/api\/blocklist$/, route: 'addBlocklist', ok: [200, 201] },
  {
    method: 'DELETE',
    pattern: /^\/api\/blocklist\/([^/]+)$/,
    route: 'removeBlocklist',
    ok: [204, 404],
  },
  { method: 'GET', pattern: /^\/api\/health$/, route: 'health', ok: [200] },
  { method: 'GET', pattern: /^\/api\/settings$/, route: 'getSettings', ok: [200] },
  { method: 'PATCH', pattern: /^\/api\/settings$/, route: 'patchSettings', ok: [200] },
  {
    method: 'PATCH',
    pattern: /^\/api\/downloads\/([^/]+)$/,
    route: 'patchDownload',
    ok: [200, 404, 409],
  },
  { method: 'POST', pattern: /^\/api\/downloads\/reorder$/, route: 'reorder', ok: [200] },
  { method: 'POST', pattern: /^\/api\/downloads\/batch$/, route: 'batch', ok: [200] },
  { method: 'GET', pattern: /^\/api\/queue$/, route: 'queue', ok: [200] },
  { method: 'POST', pattern: /^\/api\/queue\/pause$/, route: 'pauseQueue', ok: [200] },
  { method: 'POST', pattern: /^\/api\/queue\/resume$/, route: 'resumeQueue', ok: [200] },
];

const BODY_LIMITS: Partial<Record<RouteName, number>> = {
  bulkDownloads: BULK_BODY_LIMIT,
  reorder: ID_LIST_BODY_LIMIT,
  batch: ID_LIST_BODY_LIMIT,
};

/** Body rules of the queue-control and settings routes (api-oracle-queue.ts). */
const QUEUE_RULES: Partial<Record<RouteName, (body: unknown, state: QueueState) => string | null>> =
  {
    patchSettings: settingsPatchProblem,
    patchDownload: patchDownloadProblem,
    reorder: reorderProblem,
    batch: batchProblem,
  };

export function verdict(req: ConcreteRequest, apiKey: string, state: QueueState): Verdict {
  const [path = '', query = ''] = splitUrl(req.url);
  const match = ROUTES.map((r) => ({ r, m: req.method === r.method && r.pattern.exec(path) })).find(
    (x) => x.m,
  );
  if (!match || !match.m) throw new Error(`the fuzz made a request to no route: ${req.url}`);
  const { r: route, m } = match;
  const refuse = (status: number, why: string): Verdict => ({ accept: false, status, why });

  // The router decodes path parameters before anything else runs.
  let id: string | undefined;
  if (m[1] !== undefined) {
    const decoded = percentDecode(m[1]);
    if (decoded === undefined) return refuse(400, 'path is not percent-encoded UTF-8');
    if (decoded.length > MAX_PARAM_LENGTH) return refuse(414, 'path parameter too long');
    id = decoded;
  }
  if (route.route !== 'health' && req.headers['x-api-key'] !== apiKey)
    return refuse(401, 'no API key');

  const encoding = req.headers['content-encoding'];
  if (
    encoding !== undefined &&
    encoding.split(',').some((c) => c.trim().toLowerCase() !== 'identity')
  )
    return refuse(415, 'Content-Encoding');

  let body: unknown;
  const bodyMethod = req.method !== 'GET';
  const type = req.headers['content-type'];
  const hasBody = req.payload !== undefined && (req.payload.length > 0 || type !== undefined);
  if (bodyMethod && hasBody) {
    const payload = req.payload ?? Buffer.alloc(0);
    const kind = type === undefined ? 'unsupported' : CONTENT_TYPES[type];
    if (kind === undefined) throw new Error(`the fuzz sent an unlisted Content-Type: ${type}`);
    if (kind === 'unsupported') return refuse(415, 'media type');
    if (payload.length > (BODY_LIMITS[route.route] ?? BODY_LIMIT)) return refuse(413, 'too large');
    if (kind === 'bad-charset') return refuse(415, 'charset');
    if (payload.length === 0) return refuse(400, 'empty body');
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(payload);
    } catch {
      return refuse(400, 'not UTF-8');
    }
    const parsed = parseJson(text);
    if (!parsed.ok) return refuse(400, 'not JSON');
    body = parsed.value;
  }

  if (id !== undefined && !UUID.test(id)) return refuse(400, 'id is not a UUID');
  if (route.route === 'createDownload' && !validDownloadRequest(body))
    return refuse(400, 'invalid download request');
  if (route.route === 'bulkDownloads' && !validBulkRequest(body))
    return refuse(400, 'invalid bulk request');
  if (route.route === 'addBlocklist' && !validBlocklistRequest(body))
    return refuse(400, 'invalid blocklist request');
  if (route.route === 'listDownloads' && !validListQuery(query))
    return refuse(400, 'invalid query');
  const problem = QUEUE_RULES[route.route]?.(body, state) ?? null;
  if (problem !== null) return refuse(400, problem);
  return { accept: true, statuses: route.ok, route: route.route, body };
}

function splitUrl(url: string): [string, string] {
  const q = url.indexOf('?');
  return q === -1 ? [url, ''] : [url.slice(0, q), url.slice(q + 1)];
}

function percentDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text);
  } catch {
    return undefined;
  }
}

/** JSON.parse, refusing keys that would reach an object's prototype (as the docs promise). */
function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch {
    return { ok: false };
  }
  // Walked with a stack, not recursion: bodies nest thousands deep.
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (typeof v !== 'object' || v === null) continue;
    if (!Array.isArray(v)) {
      if (Object.hasOwn(v, '__proto__')) return { ok: false };
      const ctor = (v as Record<string, unknown>).constructor;
      if (Object.hasOwn(v, 'constructor') && isObject(ctor) && Object.hasOwn(ctor, 'prototype'))
        return { ok: false };
    }
    pending.push(...Object.values(v));
  }
  return { ok: true, value };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Text both databases store as sent: no NUL, and it survives UTF-8 unchanged (no lone surrogates). */
function storable(s: string): boolean {
  return !s.includes('\u0000') && new TextDecoder().decode(new TextEncoder().encode(s)) === s;
}

function text(v: unknown, max: number, nonBlank = false): boolean {
  return (
    typeof v === 'string' && storable(v) && [...v].length <= max && (!nonBlank || /\S/u.test(v))
  );
}

const optional = (v: unknown, ok: (v: unknown) => boolean): boolean =>
  v === undefined || v === null || ok(v);
const int = (min: number, max: number) => (v: unknown) =>
  typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
const positive = (max: number) => (v: unknown) =>
  typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= max;

function onlyKeys(o: Record<string, unknown>, keys: string[]): boolean {
  return Object.keys(o).every((k) => keys.includes(k));
}

/** The built-in profiles' fixed ids, as the README gives them (…00000000000N, N = 1…4). */
const BUILT_IN_PROFILE_IDS = [1, 2, 3, 4].map((n) => `00000000-0000-4000-8000-00000000000${n}`);

export function validDownloadRequest(b: unknown): boolean {
  if (!isObject(b)) return false;
  const keys = [
    'artist',
    'title',
    'album',
    'albumArtist',
    'trackNumber',
    'discNumber',
    'year',
    'genre',
    'durationSeconds',
    'priority',
    'scheduledAt',
    'qualityProfileId',
    'trackTotal',
    'discTotal',
    'isrc',
    'musicbrainzRecordingId',
    'musicbrainzReleaseId',
    'musicbrainzArtistId',
    'musicbrainzReleaseGroupId',
    'coverUrl',
  ];
  const mbid = (v: unknown) => typeof v === 'string' && UUID.test(v);
  return (
    onlyKeys(b, keys) &&
    text(b.artist, 500, true) &&
    text(b.title, 500, true) &&
    optional(b.album, (v) => text(v, 500)) &&
    optional(b.albumArtist, (v) => text(v, 500)) &&
    optional(b.trackNumber, int(1, 999)) &&
    optional(b.discNumber, int(1, 99)) &&
    optional(b.year, int(1, 9999)) &&
    optional(b.genre, (v) => text(v, 200)) &&
    optional(b.durationSeconds, positive(86_400)) &&
    (b.priority === undefined || int(-1000, 1000)(b.priority)) &&
    optional(b.scheduledAt, isRfc3339) &&
    // The fuzz's server has only the built-in profiles: any other id, well-formed or not, is a 400.
    optional(b.qualityProfileId, (v) => BUILT_IN_PROFILE_IDS.includes(v as string)) &&
    optional(b.trackTotal, int(1, 999)) &&
    optional(b.discTotal, int(1, 99)) &&
    // README: 12 characters, no hyphens: two letters, three letters or digits, seven digits.
    optional(b.isrc, (v) => typeof v === 'string' && /^[A-Z]{2}[A-Z0-9]{3}\d{7}$/.test(v)) &&
    optional(b.musicbrainzRecordingId, mbid) &&
    optional(b.musicbrainzReleaseId, mbid) &&
    optional(b.musicbrainzArtistId, mbid) &&
    optional(b.musicbrainzReleaseGroupId, mbid) &&
    optional(b.coverUrl, (v) => typeof v === 'string' && httpUrl(v))
  );
}

/** An http(s) URL of at most 2000 characters with a host and no white space (README). */
function httpUrl(v: string): boolean {
  if (v.length > 2000 || /\s/.test(v) || !/^https?:\/\//i.test(v) || !text(v, 2000)) return false;
  try {
    return new URL(v).host !== '';
  } catch {
    return false;
  }
}

/** `{items: [...]}`: 1 to 10,000 download requests, nothing else. */
export function validBulkRequest(b: unknown): boolean {
  if (!isObject(b) || !onlyKeys(b, ['items']) || !Array.isArray(b.items)) return false;
  const items: unknown[] = b.items;
  return items.length >= 1 && items.length <= BULK_MAX_ITEMS && items.every(validDownloadRequest);
}

export function validBlocklistRequest(b: unknown): boolean {
  if (!isObject(b)) return false;
  return (
    onlyKeys(b, ['provider', 'username', 'filename', 'reason', 'expiresInDays']) &&
    (b.provider === undefined || b.provider === 'slskd') &&
    text(b.username, 100, true) &&
    optional(b.filename, (v) => text(v, 500, true)) &&
    optional(b.reason, (v) => text(v, 1000)) &&
    optional(b.expiresInDays, positive(36_500))
  );
}

/**
 * Query strings: `+` is a space, percent-encoding that is not UTF-8 is kept as written, a key given
 * twice is a list (refused: every parameter is single), numbers are read as JavaScript reads them.
 */
export function validListQuery(query: string): boolean {
  const seen = new Map<string, string>();
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const rawKey = eq === -1 ? pair : pair.slice(0, eq);
    const rawValue = eq === -1 ? '' : pair.slice(eq + 1);
    const key = queryDecode(rawKey);
    if (seen.has(key)) return false;
    seen.set(key, queryDecode(rawValue));
  }
  for (const [key, value] of seen) {
    if (key === 'status') {
      if (!text(value, 200)) return false;
      const names = value.split(',').map((s) => s.trim());
      if (!names.every((s) => s === '' || STATUSES.includes(s))) return false;
    } else if (key === 'limit') {
      const n = Number(value);
      if (value === '' || !Number.isInteger(n) || n < 1 || n > 500) return false;
    } else if (key === 'cursor') {
      if (!text(value, 500) || !validCursor(value)) return false;
    } else if (key === 'order') {
      if (value !== 'newest' && value !== 'oldest') return false;
    } else return false;
  }
  return true;
}

function queryDecode(raw: string): string {
  const spaced = raw.replace(/\+/g, ' ');
  if (!spaced.includes('%')) return spaced;
  return percentDecode(spaced) || spaced;
}

/** A cursor is base64url of [epoch-ms integer, download id]: what a page's nextCursor holds. */
function validCursor(cursor: string): boolean {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return false;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return false;
  }
  if (!Array.isArray(value) || value.length !== 2) return false;
  const [createdAt, id] = value as unknown[];
  return Number.isSafeInteger(createdAt) && typeof id === 'string' && UUID.test(id);
}

/** A 400 names the part of the request at fault, and the field within it when there is one. */
export const NAMES_A_FIELD = /^(body|querystring|params|headers)(\/|:| |$)/;
