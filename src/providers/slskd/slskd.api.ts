import { ExponentialBackoff, handleWhen, retry } from 'cockatiel';
import { ProviderError } from '../provider.js';
import type { SlskdSettings } from './slskd.settings.js';
import {
  StateSchema,
  type SlskdState,
  OptionsSchema,
  type SlskdOptions,
  ResponseSchema,
  type SlskdResponse,
  SearchSchema,
  type SlskdSearch,
  TransferSchema,
  type SlskdTransfer,
  UserGroupSchema,
  type SlskdUserGroup,
  BatchSchema,
  type SlskdBatch,
  BatchEnqueueResultSchema,
  LegacyEnqueueResultSchema,
  type SlskdLegacyEnqueueResult,
  EventEntrySchema,
  type SearchRequest,
  type EnqueueFile,
  type BatchEnqueueRequest,
  type BatchEnqueueReply,
  type EventsPage,
  PositionSchema,
  BrowseDirectorySchema,
  type SlskdBrowseDirectory,
} from './slskd.schemas.js';
import {
  check,
  errorText,
  httpError,
  readCapped,
  snippet,
  transportError,
  type Operation,
} from './slskd.errors.js';
import { Type, type TSchema } from 'typebox';

/*
 * The raw slskd HTTP layer: one method per route SoulSpot uses (reference: /work/shared/slskd-api.md).
 * Every body is size-capped and schema-checked; every failure becomes a ProviderError. Schemas allow
 * extra fields (slskd adds some in every release) and mark as optional whatever slskd omits when null.
 */

// ---------------------------------------------------------------------------------------------
// The client
// ---------------------------------------------------------------------------------------------

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
  /**
   * The files of one folder of a peer (`POST /users/{u}/directory`). slskd answers an array; older
   * Soulseek.NET versions one object, which comes back as a one-element array.
   */
  postDirectory(username: string, directory: string): Promise<SlskdBrowseDirectory[]>;
}

const RATE_LIMIT_ATTEMPTS = 4;

/** One HTTP request to slskd as it ended, for metrics (`soulspot_slskd_request_*`). */
export interface SlskdRequestObservation {
  /** The route with its variable parts as placeholders (`/searches/{id}`): a bounded label. */
  route: string;
  method: string;
  /** The HTTP status, or null when no answer came (connection refused, timeout). */
  status: number | null;
  seconds: number;
  /** The ProviderError code of a failed request; null when it succeeded. */
  errorCode: string | null;
}

/**
 * `path` with usernames and ids replaced by placeholders, so a metric label has a bounded set of
 * values (one per route SoulSpot calls), never one per peer or transfer.
 */
export function routeTemplate(path: string): string {
  const s = (path.split('?')[0] ?? '').split('/').filter(Boolean);
  const tail = (from: number, names: string[]): string =>
    s
      .slice(from)
      .map((part, i) => names[i] ?? part)
      .map((part) => `/${part}`)
      .join('');
  if (s[0] === 'searches') return `/searches${tail(1, ['{id}'])}`;
  if (s[0] === 'users') return `/users${tail(1, ['{username}'])}`;
  if (s[0] === 'transfers' && s[1] === 'downloads') {
    if (s[2] === 'batches') return `/transfers/downloads/batches${tail(3, ['{id}'])}`;
    return `/transfers/downloads${tail(2, ['{username}', '{id}'])}`;
  }
  return `/${s.join('/')}`;
}

export interface SlskdApiOptions {
  /** Called once per HTTP request (every try of a rate-limited one). */
  observe?: (observation: SlskdRequestObservation) => void;
}

export function createSlskdApi(
  settings: SlskdSettings,
  apiOptions: SlskdApiOptions = {},
): SlskdApi {
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

  /** One request, timed and reported to the observer when there is one. */
  async function requestOnce(path: string, options: RequestOptions): Promise<RawReply> {
    const observe = apiOptions.observe;
    if (!observe) return send(path, options);
    const started = performance.now();
    const route = routeTemplate(path);
    const method = options.method ?? 'GET';
    const seconds = (): number => (performance.now() - started) / 1000;
    try {
      const reply = await send(path, options);
      observe({ route, method, status: reply.status, seconds: seconds(), errorCode: null });
      return reply;
    } catch (error) {
      const provider = error instanceof ProviderError ? error : null;
      observe({
        route,
        method,
        status: provider?.status ?? null,
        seconds: seconds(),
        errorCode: provider?.code ?? 'unknown',
      });
      throw error;
    }
  }

  async function send(path: string, options: RequestOptions): Promise<RawReply> {
    const method = options.method ?? 'GET';
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (settings.apiKey !== undefined) headers['X-API-Key'] = settings.apiKey;
    if (settings.basicAuth !== undefined) headers.Authorization = settings.basicAuth;
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

    async postDirectory(username, directory) {
      const path = `/users/${user(username)}/directory`;
      const reply = await request(path, {
        method: 'POST',
        body: { directory },
        operation: 'browse',
      });
      const json = Array.isArray(reply.json) ? reply.json : [reply.json];
      return check(Type.Array(BrowseDirectorySchema), json, 'Directory[]', `POST ${path}`);
    },
  };
}

export * from './slskd.schemas.js';
export { check, errorText, httpError } from './slskd.errors.js';
