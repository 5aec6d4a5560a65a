import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { Type, type Static, type TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { ProviderError } from '../provider.js';
import type { ErrorCode } from '../../downloads/error-codes.js';
import type { SlskdSettings } from './slskd.settings.js';
import { classifyExceptionText } from './slskd.mapping.js';

/*
 * The raw slskd HTTP layer: one method per route SoulSpot uses (reference: /work/shared/slskd-api.md).
 * Every body is size-capped and schema-checked; every failure becomes a ProviderError. Schemas allow
 * extra fields (slskd adds some in every release) and mark as optional whatever slskd omits when null.
 */

// ---------------------------------------------------------------------------------------------
// Schemas
// ---------------------------------------------------------------------------------------------

const Int = Type.Number();
const Str = Type.String();
const Bool = Type.Boolean();
const Opt = <T extends TSchema>(schema: T) => Type.Optional(schema);

export const StateSchema = Type.Object({
  version: Opt(Type.Object({ current: Opt(Str), full: Opt(Str) })),
  server: Type.Object({
    state: Opt(Str),
    address: Opt(Str),
    isConnected: Bool,
    isLoggedIn: Bool,
    isConnecting: Opt(Bool),
    isLoggingIn: Opt(Bool),
  }),
});
export type SlskdState = Static<typeof StateSchema>;

export const OptionsSchema = Type.Object({
  directories: Opt(Type.Object({ downloads: Opt(Str), incomplete: Opt(Str) })),
  // slskd ≥ 0.26 retries failed downloads itself; how often decides when a failure is final.
  transfers: Opt(
    Type.Object({
      download: Opt(Type.Object({ retry: Opt(Type.Object({ attempts: Opt(Type.Number()) })) })),
    }),
  ),
});
export type SlskdOptions = Static<typeof OptionsSchema>;

export const FileSchema = Type.Object({
  filename: Str,
  size: Int,
  extension: Opt(Str),
  bitRate: Opt(Int),
  bitDepth: Opt(Int),
  sampleRate: Opt(Int),
  length: Opt(Int),
  isVariableBitRate: Opt(Bool),
  isLocked: Opt(Bool),
  code: Opt(Int),
});
export type SlskdFile = Static<typeof FileSchema>;

export const ResponseSchema = Type.Object({
  username: Str,
  files: Type.Array(FileSchema),
  fileCount: Opt(Int),
  lockedFiles: Opt(Type.Array(FileSchema)),
  lockedFileCount: Opt(Int),
  hasFreeUploadSlot: Opt(Bool),
  queueLength: Opt(Int),
  uploadSpeed: Opt(Int),
  token: Opt(Int),
});
export type SlskdResponse = Static<typeof ResponseSchema>;

export const SearchSchema = Type.Object({
  id: Str,
  searchText: Opt(Str),
  state: Str,
  isComplete: Opt(Bool),
  startedAt: Opt(Str),
  endedAt: Opt(Str),
  responseCount: Opt(Int),
  fileCount: Opt(Int),
  lockedFileCount: Opt(Int),
  token: Opt(Int),
  responses: Opt(Type.Array(ResponseSchema)),
});
export type SlskdSearch = Static<typeof SearchSchema>;

export const TransferSchema = Type.Object({
  id: Str,
  username: Str,
  filename: Str,
  size: Int,
  state: Str,
  direction: Opt(Str),
  batchId: Opt(Str),
  requestedAt: Opt(Str),
  enqueuedAt: Opt(Str),
  startedAt: Opt(Str),
  endedAt: Opt(Str),
  bytesTransferred: Opt(Int),
  bytesRemaining: Opt(Int),
  averageSpeed: Opt(Int),
  percentComplete: Opt(Int),
  placeInQueue: Opt(Int),
  exception: Opt(Str),
  attempts: Opt(Int),
  nextAttemptAt: Opt(Str),
  removed: Opt(Bool),
  elapsedTime: Opt(Str),
  remainingTime: Opt(Str),
});
export type SlskdTransfer = Static<typeof TransferSchema>;

export const UserGroupSchema = Type.Object({
  username: Str,
  directories: Type.Array(
    Type.Object({ directory: Opt(Str), fileCount: Opt(Int), files: Type.Array(TransferSchema) }),
  ),
});
export type SlskdUserGroup = Static<typeof UserGroupSchema>;

export const BatchSchema = Type.Object({
  id: Str,
  username: Opt(Str),
  searchId: Opt(Str),
  direction: Opt(Str),
  createdAt: Opt(Str),
  transfers: Opt(Type.Array(TransferSchema)),
});
export type SlskdBatch = Static<typeof BatchSchema>;

export const BatchEnqueueResultSchema = Type.Object({
  batch: Opt(BatchSchema),
  failures: Opt(Type.Array(Type.Object({ filename: Opt(Str), message: Opt(Str) }))),
});
export type SlskdBatchEnqueueResult = Static<typeof BatchEnqueueResultSchema>;

/** ≥0.24 legacy enqueue reply. `failed` items serialize as `{}` (C# value tuples): only the count matters. */
export const LegacyEnqueueResultSchema = Type.Object({
  enqueued: Opt(Type.Array(TransferSchema)),
  failed: Opt(Type.Array(Type.Unknown())),
});
export type SlskdLegacyEnqueueResult = Static<typeof LegacyEnqueueResultSchema>;

export const EventEntrySchema = Type.Object({
  id: Opt(Str),
  timestamp: Opt(Str),
  type: Str,
  /** A JSON string (camelCase, nulls kept). */
  data: Opt(Str),
});
export type SlskdEventEntry = Static<typeof EventEntrySchema>;

/** The parsed `data` of a `DownloadFileComplete` event (lenient: only what SoulSpot reads). */
export const DownloadFileCompleteSchema = Type.Object({
  localFilename: Str,
  remoteFilename: Opt(Str),
  transfer: Opt(
    Type.Object({ id: Opt(Str), username: Opt(Str), filename: Opt(Str), state: Opt(Str) }),
  ),
});
export type SlskdDownloadFileComplete = Static<typeof DownloadFileCompleteSchema>;

const PositionSchema = Type.Number();

export interface SearchRequest {
  id: string;
  searchText: string;
  /** Milliseconds, despite slskd's doc comment saying seconds. Inactivity timeout. */
  searchTimeout: number;
  responseLimit?: number;
  fileLimit?: number;
}

export interface EnqueueFile {
  filename: string;
  size: number;
}

export interface BatchEnqueueRequest {
  id: string;
  username: string;
  files: EnqueueFile[];
  searchId?: string;
}

/** A reply whose status decides the outcome; the body is set only for 2xx. */
export type BatchEnqueueReply =
  { status: 200 | 201 | 207; body: SlskdBatchEnqueueResult } | { status: 409; message: string };

export interface EventsPage {
  entries: SlskdEventEntry[];
  /** From `X-Total-Count`, when sent. */
  total?: number;
}

// ---------------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------------

/** Which operation a failure came from: the same status means different things per route. */
type Operation = 'search' | 'enqueue' | 'other';

interface RequestOptions {
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  body?: unknown;
  operation?: Operation;
  /** Statuses returned to the caller instead of being thrown. */
  accept?: readonly number[];
}

interface RawReply {
  status: number;
  headers: Headers;
  /** Parsed JSON, or undefined for an empty body. */
  json: unknown;
  /** The body as text (for error messages). */
  text: string;
}

export interface SlskdApi {
  getApplication(): Promise<SlskdState>;
  getOptions(): Promise<SlskdOptions>;
  postSearch(request: SearchRequest): Promise<SlskdSearch>;
  /** null on 404. */
  getSearch(id: string, includeResponses?: boolean): Promise<SlskdSearch | null>;
  /** null on 404. */
  getSearchResponses(id: string): Promise<SlskdResponse[] | null>;
  /** Cancels a running search. false on 404. */
  cancelSearch(id: string): Promise<boolean>;
  /** false on 404. */
  deleteSearch(id: string): Promise<boolean>;
  /** 0.26+. 409 (batch id exists) comes back as a reply, not an error. */
  postBatch(request: BatchEnqueueRequest): Promise<BatchEnqueueReply>;
  /** 0.26+. null on 404. */
  getBatch(id: string): Promise<SlskdBatch | null>;
  /** Legacy enqueue. ≤0.23 answers 201 with an empty body: then the result is `{}`. */
  postLegacyEnqueue(username: string, files: EnqueueFile[]): Promise<SlskdLegacyEnqueueResult>;
  getAllDownloads(): Promise<SlskdUserGroup[]>;
  /** The user's non-removed downloads; null on 404 (slskd's "nothing left for this user"). */
  getUserDownloads(username: string): Promise<SlskdUserGroup | null>;
  /** Removed ones too. null on 404. */
  getDownload(username: string, id: string): Promise<SlskdTransfer | null>;
  getPosition(username: string, id: string): Promise<number>;
  deleteDownload(username: string, id: string, remove: boolean): Promise<void>;
  /** Newest first. */
  getEvents(offset: number, limit: number): Promise<EventsPage>;
}

const RATE_LIMIT_ATTEMPTS = 4;

export function createSlskdApi(settings: SlskdSettings): SlskdApi {
  const base = `${settings.url.replace(/\/+$/, '')}/api/v0`;
  const rateLimitRetry = retry(
    handleWhen((error) => error instanceof ProviderError && error.code === 'rate_limited'),
    {
      maxAttempts: RATE_LIMIT_ATTEMPTS,
      // Decorrelated jitter (cockatiel's default generator) from ~200 ms up to 3 s.
      backoff: new ExponentialBackoff({ initialDelay: 200, maxDelay: 3_000 }),
    },
  );

  async function request(path: string, options: RequestOptions = {}): Promise<RawReply> {
    return rateLimitRetry.execute(() => requestOnce(path, options));
  }

  async function requestOnce(path: string, options: RequestOptions): Promise<RawReply> {
    const method = options.method ?? 'GET';
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (settings.apiKey !== undefined) headers['X-API-Key'] = settings.apiKey;
    let body: string | undefined;
    if (options.body !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    const what = `${method} ${path}`;
    const signal = AbortSignal.timeout(settings.requestTimeoutMs);
    let response: Response;
    let text: string;
    try {
      response = await fetch(`${base}${path}`, { method, headers, body, signal });
      text = await readCapped(response, settings.maxResponseBytes, what);
    } catch (error) {
      throw transportError(error, what, settings, options.operation ?? 'other');
    }
    const reply: RawReply = {
      status: response.status,
      headers: response.headers,
      json: undefined,
      text,
    };
    const ok = response.status >= 200 && response.status < 300;
    if (ok || options.accept?.includes(response.status) === true) {
      if (text.trim() !== '') {
        try {
          reply.json = JSON.parse(text);
        } catch {
          if (ok) {
            throw new ProviderError(
              'unknown',
              `slskd sent malformed JSON for ${what} (HTTP ${response.status}): ${snippet(text)}`,
              response.status,
            );
          }
          reply.json = text;
        }
      }
      return reply;
    }
    throw httpError(response.status, errorText(text), what, options.operation ?? 'other');
  }

  /** GET that maps 404 to null. */
  async function getOrNull<T extends TSchema>(path: string, schema: T, name: string) {
    const reply = await request(path, { accept: [404] });
    if (reply.status === 404) return null;
    return check(schema, reply.json, name, `GET ${path}`);
  }

  const user = (username: string) => encodeURIComponent(username);
  const id = (value: string) => encodeURIComponent(value);

  return {
    async getApplication() {
      const reply = await request('/application');
      return check(StateSchema, reply.json, 'State', 'GET /application');
    },

    async getOptions() {
      const reply = await request('/options');
      return check(OptionsSchema, reply.json, 'Options', 'GET /options');
    },

    async postSearch(searchRequest) {
      const reply = await request('/searches', {
        method: 'POST',
        body: searchRequest,
        operation: 'search',
      });
      return check(SearchSchema, reply.json, 'Search', 'POST /searches');
    },

    async getSearch(searchId, includeResponses = false) {
      return getOrNull(
        `/searches/${id(searchId)}?includeResponses=${includeResponses}`,
        SearchSchema,
        'Search',
      );
    },

    async getSearchResponses(searchId) {
      return getOrNull(
        `/searches/${id(searchId)}/responses`,
        Type.Array(ResponseSchema),
        'Response[]',
      );
    },

    async cancelSearch(searchId) {
      const reply = await request(`/searches/${id(searchId)}`, { method: 'PUT', accept: [404] });
      return reply.status !== 404;
    },

    async deleteSearch(searchId) {
      const reply = await request(`/searches/${id(searchId)}`, {
        method: 'DELETE',
        accept: [404],
      });
      return reply.status !== 404;
    },

    async postBatch(batchRequest) {
      const path = '/transfers/downloads/batches';
      const reply = await request(path, {
        method: 'POST',
        body: batchRequest,
        operation: 'enqueue',
        accept: [409],
      });
      if (reply.status === 409) return { status: 409, message: errorText(reply.text) };
      const status = reply.status === 200 || reply.status === 207 ? reply.status : 201;
      const body = check(
        BatchEnqueueResultSchema,
        reply.json ?? {},
        'batch result',
        `POST ${path}`,
      );
      return { status, body };
    },

    async getBatch(batchId) {
      return getOrNull(`/transfers/downloads/batches/${id(batchId)}`, BatchSchema, 'Batch');
    },

    async postLegacyEnqueue(username, files) {
      const path = `/transfers/downloads/${user(username)}`;
      const reply = await request(path, { method: 'POST', body: files, operation: 'enqueue' });
      return check(
        LegacyEnqueueResultSchema,
        reply.json ?? {},
        'legacy enqueue result',
        `POST ${path}`,
      );
    },

    async getAllDownloads() {
      const reply = await request('/transfers/downloads');
      return check(
        Type.Array(UserGroupSchema),
        reply.json ?? [],
        'UserGroup[]',
        'GET /transfers/downloads',
      );
    },

    async getUserDownloads(username) {
      return getOrNull(`/transfers/downloads/${user(username)}`, UserGroupSchema, 'UserGroup');
    },

    async getDownload(username, transferId) {
      return getOrNull(
        `/transfers/downloads/${user(username)}/${id(transferId)}`,
        TransferSchema,
        'Transfer',
      );
    },

    async getPosition(username, transferId) {
      const path = `/transfers/downloads/${user(username)}/${id(transferId)}/position`;
      const reply = await request(path);
      return check(PositionSchema, reply.json, 'position', `GET ${path}`);
    },

    async deleteDownload(username, transferId, remove) {
      await request(`/transfers/downloads/${user(username)}/${id(transferId)}?remove=${remove}`, {
        method: 'DELETE',
      });
    },

    async getEvents(offset, limit) {
      const path = `/events?offset=${offset}&limit=${limit}`;
      const reply = await request(path);
      const entries = check(
        Type.Array(EventEntrySchema),
        reply.json ?? [],
        'event[]',
        `GET ${path}`,
      );
      const header = reply.headers.get('x-total-count');
      const total = header === null ? Number.NaN : Number(header);
      return Number.isFinite(total) ? { entries, total } : { entries };
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

const validators = new WeakMap<TSchema, ReturnType<typeof Compile>>();

/** Schema-checks a parsed body; throws a ProviderError naming the first few problems. */
export function check<T extends TSchema>(
  schema: T,
  value: unknown,
  name: string,
  what: string,
): Static<T> {
  let validator = validators.get(schema);
  if (validator === undefined) {
    validator = Compile(schema);
    validators.set(schema, validator);
  }
  if (validator.Check(value)) return value as Static<T>;
  const problems = validator
    .Errors(value)
    .slice(0, 3)
    .map((e) => `${e.instancePath === '' ? '(root)' : e.instancePath} ${e.message}`)
    .join('; ');
  throw new ProviderError(
    'unknown',
    `slskd sent an unexpected ${name} for ${what}: ${problems || 'schema mismatch'}`,
  );
}

/** Reads the body, aborting once it passes `limit` bytes. */
async function readCapped(response: Response, limit: number, what: string): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw oversize(what, limit, response.status);
  }
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw oversize(what, limit, response.status);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, total).toString('utf8');
}

function oversize(what: string, limit: number, status: number): ProviderError {
  return new ProviderError(
    'unknown',
    `slskd's response to ${what} is larger than the ${limit}-byte limit; refused`,
    status,
  );
}

/** An error body is a JSON string literal, an empty body, or (behind a proxy) anything at all. */
export function errorText(text: string): string {
  const trimmed = text.trim();
  if (trimmed === '') return '';
  try {
    const parsed: unknown = JSON.parse(trimmed);
    if (typeof parsed === 'string') return parsed;
    if (parsed !== null && typeof parsed === 'object') {
      const record = parsed as Record<string, unknown>;
      for (const key of ['message', 'title', 'detail', 'error']) {
        if (typeof record[key] === 'string') return record[key];
      }
    }
  } catch {
    // not JSON: use the text itself
  }
  return snippet(trimmed);
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 300)}…` : flat;
}

const OFFLINE = /appears to be offline/i;
const NOT_LOGGED_IN = /not (?:connected|logged in)|must be connected|logged in to use/i;

/** Maps a non-2xx status to a ProviderError (see the brief's table and reference §5.1). */
export function httpError(
  status: number,
  message: string,
  what: string,
  operation: Operation,
): ProviderError {
  const detail = message === '' ? '' : `: ${message}`;
  const fail = (code: ErrorCode, text: string) => new ProviderError(code, text, status);
  if (status === 401 || status === 403) {
    return fail(
      'slskd_unavailable',
      `slskd refused the API key (HTTP ${status} on ${what}); check the configured key`,
    );
  }
  if (status === 429) {
    return fail(
      'rate_limited',
      `slskd is busy with another request (HTTP 429 on ${what})${detail}`,
    );
  }
  if (OFFLINE.test(message)) return fail('source_offline', message);
  if (NOT_LOGGED_IN.test(message) || (status === 409 && operation === 'search')) {
    return fail('slskd_unavailable', `slskd is not logged in to Soulseek${detail}`);
  }
  if (status === 400) {
    if (operation === 'enqueue') {
      return fail('transfer_rejected', `slskd rejected the enqueue request${detail}`);
    }
    if (operation === 'search') {
      return fail('no_results', `slskd rejected the search text${detail}`);
    }
    return fail('unknown', `slskd rejected ${what} (HTTP 400)${detail}`);
  }
  if (status === 502 || status === 503 || status === 504) {
    return fail('slskd_unavailable', `slskd is unreachable behind its proxy (HTTP ${status})`);
  }
  if (status >= 500 && operation === 'enqueue' && message !== '') {
    // The legacy endpoint answers 500 for everything: offline users, unreachable peers, …
    const classified = classifyExceptionText(message);
    if (classified !== null) return fail(classified.code, classified.message);
    return fail('transfer_failed', `slskd could not enqueue the file${detail}`);
  }
  // A server error on any other route is slskd's own trouble: downloads wait for it.
  return fail(
    status >= 500 ? 'slskd_unavailable' : 'unknown',
    `slskd answered HTTP ${status} to ${what}${detail}`,
  );
}

/** Maps a fetch failure (no HTTP status) to a ProviderError. */
function transportError(
  error: unknown,
  what: string,
  settings: SlskdSettings,
  operation: Operation,
): ProviderError {
  if (error instanceof ProviderError) return error;
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    // An enqueue may legitimately take long (slskd connects to the peer first); any other call
    // that hangs means slskd itself is in trouble, and downloads should wait for it.
    return new ProviderError(
      operation === 'enqueue' ? 'timeout' : 'slskd_unavailable',
      `slskd did not answer ${what} within ${settings.requestTimeoutMs} ms`,
    );
  }
  const cause =
    error instanceof Error ? (error.cause as { code?: unknown } | undefined) : undefined;
  const code = typeof cause?.code === 'string' ? cause.code : '';
  const reason =
    code !== ''
      ? code
      : error instanceof Error
        ? (error.cause instanceof Error ? error.cause.message : '') || error.message
        : String(error);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return new ProviderError('timeout', `slskd did not answer ${what} in time (${code})`);
  }
  return new ProviderError(
    'slskd_unavailable',
    `slskd is unreachable at ${settings.url} (${reason}) during ${what}`,
  );
}
