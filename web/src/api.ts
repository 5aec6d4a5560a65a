/**
 * The one REST client. Same-origin requests carry the session cookie; a 401 anywhere means the
 * session ended, so the app goes to the login page (except for the session calls themselves,
 * which handle their own 401).
 */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/**
 * A path with every interpolated value encoded as one segment: ``apiPath`/api/albums/${id}` ``.
 * An id from the address bar (`/albums/..%2Fdownloads%2Fexport`) is decoded by the router, and
 * raw it would make `/api/albums/../downloads/export`, which the browser resolves to another
 * endpoint. Every `/api/…` path with a value in it goes through here (web/src/api.test.ts checks).
 */
export function apiPath(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  return strings.reduce(
    (out, part, i) => out + part + (i < values.length ? encodeURIComponent(String(values[i])) : ''),
    '',
  );
}

type Query = Record<string, string | number | boolean | undefined | null | readonly string[]>;

let onUnauthorized: () => void = () => {};

/** Set by the app: what a 401 does (show the login page). */
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

/** `path?query`, leaving out empty values; arrays are comma-joined as the API takes them. */
export function withQuery(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) {
      if (value.length > 0) params.set(key, value.join(','));
    } else params.set(key, String(value));
  }
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method, credentials: 'same-origin', headers: {} };
  if (body !== undefined) {
    init.headers = { 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  if (!res.ok) {
    const message =
      parsed && typeof parsed === 'object' && 'message' in parsed
        ? String((parsed as { message: unknown }).message)
        : `${res.status} ${res.statusText}`;
    if (res.status === 401 && !path.startsWith('/api/session')) onUnauthorized();
    throw new ApiError(res.status, message, parsed);
  }
  return parsed as T;
}

export const api = {
  get<T>(path: string, query?: Query): Promise<T> {
    return request<T>('GET', withQuery(path, query));
  },
  send<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    return request<T>(method, path, body);
  },
};

/** A message to show for any failure: the API's own words when it gave some. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
