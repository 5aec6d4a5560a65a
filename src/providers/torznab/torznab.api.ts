import type { ErrorCode } from '../../downloads/error-codes.js';
import {
  checkLiteralHost,
  lanAllowedPolicy,
  type AddressPolicy,
} from '../../net/address-policy.js';
import { safeFetch, SafeFetchError, type SafeResponse } from '../../net/safe-fetch.js';
import { ProviderError } from '../provider.js';
import {
  parseCaps,
  parseFeed,
  readError,
  redactApiKey,
  TorznabDocumentError,
  type FeedPage,
  type IndexerCaps,
} from './torznab.mapping.js';
import type { TorznabSettings } from './torznab.settings.js';

/**
 * Raw Torznab/Newznab HTTP: `t=caps` and one page of `t=search` / `t=music`, through safe-fetch
 * (the URL is the user's: size and time limits, the address policy). Every failure is a
 * `TorznabError` with a message that names the indexer and never the API key; the provider decides
 * what a failure does to the indexer's back-off.
 */

/** The provider id an indexer reports as: one dialect for Torznab and Newznab. */
export const PROVIDER_PREFIX = 'torznab';

export class TorznabError extends ProviderError {
  constructor(
    code: ErrorCode,
    message: string,
    provider: string,
    status: number | undefined,
    /** The host could not be reached at all (no name, connection refused): no escalation. */
    readonly connection: boolean,
    /** The indexer asked to be left alone this long (Retry-After). */
    readonly retryAfterMs?: number,
  ) {
    super(code, message, status, provider);
    this.name = 'TorznabError';
  }
}

export interface TorznabQuery {
  t: 'search' | 'music';
  q?: string;
  artist?: string;
  album?: string;
  offset: number;
  limit: number;
}

export interface TorznabApi {
  caps(signal?: AbortSignal): Promise<IndexerCaps>;
  search(query: TorznabQuery, signal?: AbortSignal): Promise<FeedPage>;
}

/** The address policy for one indexer: public addresses only, unless its setting allows private ones. */
export function indexerAddressPolicy(
  settings: Pick<TorznabSettings, 'id' | 'allowPrivateAddress'>,
): AddressPolicy {
  const settingName = `allowPrivateAddress of indexer "${settings.id}"`;
  return settings.allowPrivateAddress ? lanAllowedPolicy(settingName) : { settingName };
}

/**
 * The problem with an indexer URL that can be told without resolving a name (not http(s), a
 * private or loopback IP literal or `localhost` not allowed), or null. Settings validation uses
 * it; names are checked again at every request, after resolving.
 */
export function indexerUrlProblem(
  settings: Pick<TorznabSettings, 'id' | 'url' | 'allowPrivateAddress'>,
): string | null {
  let url: URL;
  try {
    url = new URL(settings.url);
  } catch {
    return `indexer "${settings.id}": "${settings.url}" is not a URL`;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return `indexer "${settings.id}": only http and https URLs are allowed`;
  }
  const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
  const verdict = checkLiteralHost(url.hostname, port, indexerAddressPolicy(settings));
  return verdict && !verdict.ok ? `indexer "${settings.id}": ${verdict.reason}` : null;
}

/** The request URL: the indexer's endpoint (its own query kept) plus ours. */
export function requestUrl(settings: TorznabSettings, params: Record<string, string>): string {
  const url = new URL(settings.url);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  if (settings.apiKey !== '') url.searchParams.set('apikey', settings.apiKey);
  return url.href;
}

/** Retry-After in ms (seconds or an HTTP date), or undefined. */
function retryAfter(header: string | string[] | undefined, now: number): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined) return undefined;
  if (/^\d{1,7}$/.test(value.trim())) return Number(value) * 1000;
  const at = Date.parse(value);
  return Number.isFinite(at) && at > now ? at - now : undefined;
}

export function createTorznabApi(settings: TorznabSettings): TorznabApi {
  const provider = `${PROVIDER_PREFIX}:${settings.id}`;
  const policy = indexerAddressPolicy(settings);
  const name = `indexer "${settings.id}"`;
  const fail = (
    code: ErrorCode,
    message: string,
    extra: { status?: number; connection?: boolean; retryAfterMs?: number } = {},
  ): TorznabError =>
    new TorznabError(
      code,
      redactApiKey(`${name}: ${message}`, settings.apiKey),
      provider,
      extra.status,
      extra.connection ?? false,
      extra.retryAfterMs,
    );

  async function get(params: Record<string, string>, signal?: AbortSignal): Promise<string> {
    let response: SafeResponse;
    try {
      response = await safeFetch(requestUrl(settings, params), {
        timeoutMs: settings.requestTimeoutMs,
        maxBytes: settings.maxResponseBytes,
        policy,
        headers: { accept: 'application/rss+xml, application/xml, text/xml' },
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      if (signal?.aborted && !(error instanceof SafeFetchError)) {
        throw fail('provider_unavailable', 'no answer before the search deadline');
      }
      if (error instanceof SafeFetchError) {
        const connection =
          error.reason === 'dns' ||
          (error.reason === 'network' &&
            /ECONNREFUSED|EHOSTUNREACH|ENETUNREACH/.test(error.message));
        const what =
          error.reason === 'address_refused'
            ? `address refused: ${error.message}`
            : error.reason === 'timeout'
              ? `no answer within ${settings.requestTimeoutMs} ms`
              : error.reason === 'too_large'
                ? `answer over the ${settings.maxResponseBytes}-byte limit`
                : `unreachable (${error.message})`;
        throw fail('provider_unavailable', what, { connection });
      }
      throw error;
    }
    const body = response.body.toString('utf8');
    if (response.status === 429) {
      const wait = retryAfter(response.headers['retry-after'], Date.now());
      throw fail('rate_limited', 'rate limit reached (HTTP 429)', {
        status: 429,
        ...(wait !== undefined ? { retryAfterMs: wait } : {}),
      });
    }
    // Indexers send their error document with 200 as often as with 4xx.
    let error: ReturnType<typeof readError> = null;
    if (body.trimStart().startsWith('<')) {
      try {
        error = readError(body);
      } catch {
        error = null;
      }
    }
    if (error) throw indexerError(error.code, error.description, response.status);
    if (response.status >= 400) {
      throw fail('provider_unavailable', `HTTP ${response.status}`, { status: response.status });
    }
    return body;
  }

  function indexerError(code: number, description: string, status: number): TorznabError {
    const said = `(code ${code}${description ? `: ${description}` : ''})`;
    if (code >= 100 && code <= 199) {
      return fail(
        'provider_unavailable',
        `the API key is wrong or not allowed ${said}: check it in the indexer's settings`,
        { status },
      );
    }
    if (settings.apiKey === '' && /apikey|missing parameter/i.test(description)) {
      return fail('provider_unavailable', `the indexer requires an API key ${said}`, { status });
    }
    if (code === 500 || code === 501 || /limit reached/i.test(description)) {
      return fail('rate_limited', `API limit reached ${said}`, { status });
    }
    return fail('provider_unavailable', `the indexer refused the request ${said}`, { status });
  }

  function document<T>(read: () => T): T {
    try {
      return read();
    } catch (error) {
      if (error instanceof TorznabDocumentError) {
        throw fail('provider_unavailable', `unexpected answer: ${error.message}`);
      }
      throw error;
    }
  }

  return {
    async caps(signal) {
      const body = await get({ t: 'caps' }, signal);
      return document(() => parseCaps(body));
    },
    async search(query, signal) {
      const params: Record<string, string> = {
        t: query.t,
        cat: settings.categories.join(','),
        extended: '1',
        offset: String(query.offset),
        limit: String(query.limit),
      };
      if (query.q !== undefined && query.q !== '') params.q = query.q;
      if (query.artist !== undefined && query.artist !== '') params.artist = query.artist;
      if (query.album !== undefined && query.album !== '') params.album = query.album;
      const body = await get(params, signal);
      return document(() => parseFeed(body, { indexer: settings.id, protocol: settings.protocol }));
    },
  };
}
