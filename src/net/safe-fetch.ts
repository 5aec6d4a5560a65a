import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { checkTarget, type AddressPolicy } from './address-policy.js';

/**
 * A request to a URL someone else chose (a cover URL from a request, a notification target), safe
 * against server-side request forgery and against a server that sends too much or too slowly:
 *
 * - http and https only, no credentials in the URL;
 * - the name is resolved here and EVERY address checked (address-policy.ts); the connection is then
 *   pinned to the checked address through the socket's `lookup`, so a second DNS answer (rebinding)
 *   never gets a say; TLS still verifies the certificate against the host name;
 * - redirects are followed by hand, each new URL checked again like the first, at most
 *   `maxRedirects` of them; one to another origin goes without the credential headers
 *   (`authorization`, `cookie`);
 * - at most `maxBytes` of body: a larger Content-Length is refused before reading, and the count
 *   of bytes actually received ends the transfer as soon as it passes the limit (a missing or lying
 *   Content-Length changes nothing);
 * - one deadline for the whole exchange, redirects included.
 */

export interface SafeFetchOptions {
  /** Default 10 MB. */
  maxBytes?: number;
  /** The whole exchange, redirects included. Default 15 s. */
  timeoutMs?: number;
  /** Default 3. */
  maxRedirects?: number;
  /**
   * Schemes (`magnet:`) whose redirects are answered, not followed: the 3xx comes back with its
   * `location` for the caller to read. Any other redirect off http(s) is refused (bad_url).
   */
  answerRedirectsTo?: readonly string[];
  policy?: AddressPolicy;
  headers?: Record<string, string>;
  /** Default GET. */
  method?: 'GET' | 'POST';
  /** The request body (with POST). */
  body?: string | Buffer;
  signal?: AbortSignal;
  /**
   * Name resolution, replaceable in tests; default the system resolver (dns.lookup, all). It is
   * raced against the deadline and the caller's signal, so a resolver that never answers cannot
   * hold a fetch past either.
   */
  resolve?: (host: string, signal: AbortSignal) => Promise<string[]>;
}

export interface SafeResponse {
  /** The URL that answered (after redirects). */
  url: string;
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export type SafeFetchFailure =
  | 'bad_url'
  | 'address_refused'
  | 'dns'
  | 'too_large'
  | 'timeout'
  | 'too_many_redirects'
  | 'network';

export class SafeFetchError extends Error {
  constructor(
    readonly reason: SafeFetchFailure,
    message: string,
  ) {
    super(message);
    this.name = 'SafeFetchError';
  }
}

const DEFAULTS = { maxBytes: 10 * 1024 * 1024, timeoutMs: 15_000, maxRedirects: 3 };

export async function safeFetch(
  url: string,
  options: SafeFetchOptions = {},
): Promise<SafeResponse> {
  const maxRedirects = options.maxRedirects ?? DEFAULTS.maxRedirects;
  const timeoutMs = options.timeoutMs ?? DEFAULTS.timeoutMs;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = options.signal ? AbortSignal.any([options.signal, deadline]) : deadline;
  let current = url;
  let headers = options.headers;
  for (let hop = 0; ; hop++) {
    const target = parseTarget(current);
    const address = await pickAddress(target, options, signal, timeoutMs);
    signal.throwIfAborted();
    const response = await requestOnce(target, address, { ...options, headers }, signal, timeoutMs);
    const location = response.headers.location;
    // A POST is re-sent only where the status says the method stays (307, 308); a 301/302/303
    // would turn it into a GET without the body, which delivers nothing: that answer is returned
    // as it is, for the caller to count as a failure.
    const follows =
      (options.method ?? 'GET') === 'GET' || response.status === 307 || response.status === 308;
    if (response.status >= 300 && response.status < 400 && location && follows) {
      if (hop >= maxRedirects)
        throw new SafeFetchError(
          'too_many_redirects',
          `${url}: more than ${maxRedirects} redirects`,
        );
      const next = new URL(location, current);
      // An indexer's download link may redirect to a magnet link: nothing to fetch, an answer.
      if (options.answerRedirectsTo?.includes(next.protocol)) return { ...response, url: current };
      // Credentials are for the origin they were given for (as fetch does): a redirect elsewhere
      // must not hand an ntfy access token to whoever the first server points at.
      if (next.origin !== target.origin) headers = withoutCredentials(headers);
      current = next.href;
      continue;
    }
    return { ...response, url: current };
  }
}

const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

function withoutCredentials(
  headers: Record<string, string> | undefined,
): Record<string, string> | undefined {
  if (!headers) return headers;
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => !CREDENTIAL_HEADERS.has(name.toLowerCase())),
  );
}

function parseTarget(raw: string): URL {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new SafeFetchError('bad_url', `${raw} is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new SafeFetchError('bad_url', `${u.protocol} URLs are not fetched (http and https only)`);
  if (u.username || u.password)
    throw new SafeFetchError('bad_url', 'URLs with credentials are not fetched');
  return u;
}

/** Resolves the host and checks every address: one refused address refuses the name. */
async function pickAddress(
  target: URL,
  options: SafeFetchOptions,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<string> {
  const hostname = target.hostname;
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  const port = Number(target.port) || (target.protocol === 'https:' ? 443 : 80);
  let addresses: string[];
  if (isIP(host) !== 0) {
    addresses = [host];
  } else {
    const aborted = (): Error =>
      options.signal?.aborted
        ? (options.signal.reason as Error)
        : new SafeFetchError('timeout', `${host}: no address within ${timeoutMs} ms`);
    signal.throwIfAborted();
    let onAbort = (): void => undefined;
    // dns.lookup cannot be cancelled (it holds a libuv thread until the system resolver answers):
    // the race lets the fetch go at the deadline or on cancel, whatever the resolver does.
    const gone = new Promise<never>((_, reject) => {
      onAbort = () => reject(aborted());
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      addresses = await Promise.race([(options.resolve ?? systemResolve)(host, signal), gone]);
    } catch (error) {
      if (signal.aborted) throw aborted();
      throw new SafeFetchError('dns', `cannot resolve ${host}: ${(error as Error).message}`);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
    if (addresses.length === 0) throw new SafeFetchError('dns', `${host} has no address`);
  }
  let first: string | null = null;
  for (const address of addresses) {
    const verdict = checkTarget({ host, port, address }, options.policy);
    // A name with one internal address among public ones is refused as a whole: which one a
    // client would use is not ours to predict, and split answers are a rebinding trick.
    if (!verdict.ok) throw new SafeFetchError('address_refused', `${host}: ${verdict.reason}`);
    first ??= verdict.address;
  }
  return first as string;
}

function systemResolve(host: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    dnsLookup(host, { all: true, verbatim: true }, (error, found: LookupAddress[]) => {
      if (error) reject(error);
      else resolve(found.map((a) => a.address));
    });
  });
}

/** The socket's name resolution answers only the address checked above. */
function pinnedLookup(address: string): LookupFunction {
  const family = address.includes(':') ? 6 : 4;
  return ((_host: string, opts: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (opts?.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as LookupFunction;
}

function requestOnce(
  target: URL,
  address: string,
  options: SafeFetchOptions,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<Omit<SafeResponse, 'url'>> {
  const maxBytes = options.maxBytes ?? DEFAULTS.maxBytes;
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (error: Error | null, value?: Omit<SafeResponse, 'url'>): void => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', onAbort);
      if (error) {
        request.destroy();
        reject(error);
      } else resolve(value!);
    };
    const onAbort = (): void =>
      finish(
        options.signal?.aborted
          ? (options.signal.reason as Error)
          : new SafeFetchError(
              'timeout',
              `${target.href}: no complete answer within ${timeoutMs} ms`,
            ),
      );
    const body = options.body;
    const request = client.request(
      target,
      {
        method: options.method ?? 'GET',
        lookup: pinnedLookup(address),
        headers: {
          'user-agent': 'SoulSpot',
          ...(body !== undefined ? { 'content-length': String(Buffer.byteLength(body)) } : {}),
          ...options.headers,
        },
        // Redirects are ours to follow (and check); no agent keeps a socket to a checked address.
        agent: false,
      },
      (response) => {
        const status = response.statusCode ?? 0;
        const declared = Number(response.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxBytes) {
          finish(tooLarge(target, maxBytes, `it announces ${declared} bytes`));
          return;
        }
        const chunks: Buffer[] = [];
        let received = 0;
        response.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > maxBytes) {
            finish(tooLarge(target, maxBytes, `more than ${maxBytes} bytes arrived`));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () =>
          finish(null, { status, headers: response.headers, body: Buffer.concat(chunks) }),
        );
        response.on('error', (error) => finish(network(target, error)));
        response.on('aborted', () => finish(network(target, new Error('connection closed'))));
      },
    );
    request.on('error', (error) => finish(network(target, error)));
    request.end(body);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

function tooLarge(target: URL, maxBytes: number, detail: string): SafeFetchError {
  return new SafeFetchError(
    'too_large',
    `${target.href} is over the ${maxBytes}-byte limit: ${detail}`,
  );
}

function network(target: URL, error: Error): SafeFetchError {
  return new SafeFetchError('network', `${target.href}: ${error.message}`);
}
