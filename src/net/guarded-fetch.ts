import type { AddressPolicy } from './address-policy.js';
import { safeFetch, SafeFetchError } from './safe-fetch.js';

/**
 * A `fetch` with safe-fetch's rules underneath (address policy checked on every resolved address
 * and pinned, size and time limits, redirects re-checked): for adapters that speak to a URL the
 * API was given (a download client added through /api/download-clients). The adapters keep their
 * own `fetch` code; a client from SOULSPOT_DOWNLOAD_CLIENTS (the operator's own config) keeps
 * plain fetch.
 *
 * Only what the adapters use is carried: GET/POST, a string / URLSearchParams / FormData body,
 * plain headers, an abort signal. `redirect: 'error'` is kept as no redirects followed (the 3xx
 * comes back as it is, which the adapters treat as a failure).
 *
 * A failure never quotes a URL's query: SABnzbd's API key travels there (URL-encoded, so a scrub
 * of the key as written misses it), and the adapters count on fetch's errors not naming the URL.
 */
export function guardedFetch(
  policy: AddressPolicy,
  limits: { maxBytes: number; timeoutMs: number },
): typeof fetch {
  return async (input, init = {}) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const method = (init.method ?? 'GET').toUpperCase();
    if (method !== 'GET' && method !== 'POST') throw new TypeError(`${method} is not supported`);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => (headers[name] = value));
    let body: Buffer | undefined;
    if (init.body !== undefined && init.body !== null) {
      // A Request serializes any body fetch takes, with its content type (a form's boundary).
      const request = new Request('http://body.invalid/', { method: 'POST', body: init.body });
      body = Buffer.from(await request.arrayBuffer());
      const type = request.headers.get('content-type');
      if (type !== null && headers['content-type'] === undefined) headers['content-type'] = type;
    }
    const answer = await safeFetch(url, {
      method: method as 'GET' | 'POST',
      headers,
      ...(body !== undefined ? { body } : {}),
      ...(init.signal ? { signal: init.signal } : {}),
      policy,
      maxBytes: limits.maxBytes,
      timeoutMs: limits.timeoutMs,
      maxRedirects: init.redirect === 'error' ? 0 : 3,
    }).catch((error: unknown) => {
      if (error instanceof SafeFetchError)
        throw new SafeFetchError(error.reason, withoutQueries(error.message));
      throw error;
    });
    const out = new Headers();
    for (const [name, value] of Object.entries(answer.headers)) {
      if (value === undefined) continue;
      for (const v of Array.isArray(value) ? value : [value]) out.append(name, v);
    }
    const empty = [101, 204, 205, 304].includes(answer.status);
    return new Response(empty ? null : new Uint8Array(answer.body), {
      status: answer.status,
      headers: out,
    });
  };
}

/**
 * Every URL's query and fragment in `text` left out: `http://h/api?apikey=…: refused` →
 * `http://h/api?…: refused` (a colon or comma that ends the URL stays).
 */
export function withoutQueries(text: string): string {
  return text.replace(/\b(https?:\/\/[^\s?#]*)[?#]\S*?(?=[:,;)]?(?:\s|$))/gi, '$1?…');
}
