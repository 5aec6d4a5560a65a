import type { Static, TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import type { ErrorCode } from '../../downloads/error-codes.js';
import { redactUrlCredentials } from '../../log/redact.js';
import { ProviderError } from '../provider.js';
import { classifyExceptionText } from './slskd.mapping.js';
import type { SlskdSettings } from './slskd.settings.js';

/**
 * Which operation a failure came from: the same status means different things per route. `browse`
 * (a peer's folder listing) makes slskd connect to the peer, like an enqueue: a slow or failing
 * answer is usually that peer's, not slskd's, so it must not count as "daemon down".
 */
export type Operation = 'search' | 'enqueue' | 'browse' | 'other';

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
export async function readCapped(response: Response, limit: number, what: string): Promise<string> {
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

export function snippet(text: string): string {
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
  if (status >= 500 && operation === 'browse') {
    // slskd answers 500 when it could not reach the peer or the peer refused the listing.
    const classified = message === '' ? null : classifyExceptionText(message);
    if (classified !== null) return fail(classified.code, classified.message);
    return fail('source_offline', `slskd could not list the peer's folder${detail}`);
  }
  // A server error on any other route is slskd's own trouble: downloads wait for it.
  return fail(
    status >= 500 ? 'slskd_unavailable' : 'unknown',
    `slskd answered HTTP ${status} to ${what}${detail}`,
  );
}

/** Maps a fetch failure (no HTTP status) to a ProviderError. */
export function transportError(
  error: unknown,
  what: string,
  settings: SlskdSettings,
  operation: Operation,
): ProviderError {
  if (error instanceof ProviderError) return error;
  const name = error instanceof Error ? error.name : '';
  if (name === 'TimeoutError' || name === 'AbortError') {
    // An enqueue or a browse may legitimately take long (slskd connects to the peer first, and an
    // unresponsive peer is normal); any other call that hangs means slskd itself is in trouble,
    // and downloads should wait for it.
    return new ProviderError(
      operation === 'enqueue' || operation === 'browse' ? 'timeout' : 'slskd_unavailable',
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
  // The message is stored as a download's errorMessage (API, events): never with URL credentials,
  // even if a caller built the settings by hand (slskdSettings takes them out of the URL).
  return new ProviderError(
    'slskd_unavailable',
    redactUrlCredentials(`slskd is unreachable at ${settings.url} (${reason}) during ${what}`),
  );
}
