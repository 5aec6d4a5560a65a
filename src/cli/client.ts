import type { ExitKind } from './exit-codes.js';

/** A failure the CLI reports in one sentence, with the exit code its kind maps to. */
export class CliError extends Error {
  constructor(
    readonly kind: ExitKind,
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export interface ApiClient {
  readonly url: string;
  request<T>(method: string, path: string, body?: unknown, timeoutMs?: number): Promise<T>;
  /** The raw response of a streaming GET (the event stream), after the same error checks. */
  stream(path: string, headers: Record<string, string>, signal: AbortSignal): Promise<Response>;
}

/** The HTTP status classes the CLI tells apart, and the exit code each maps to. */
export function kindForStatus(status: number): ExitKind {
  if (status === 401 || status === 403) return 'auth';
  if (status === 400 || status === 413 || status === 415) return 'usage';
  if (status >= 500) return 'unreachable';
  return 'someFailed';
}

export function createClient(opts: { url: string; apiKey: string | undefined }): ApiClient {
  const base = opts.url.replace(/\/+$/, '');
  const headers = (extra: Record<string, string> = {}): Record<string, string> => ({
    accept: 'application/json',
    ...(opts.apiKey ? { 'x-api-key': opts.apiKey } : {}),
    ...extra,
  });
  const send = async (
    method: string,
    path: string,
    init: RequestInit,
    signal: AbortSignal,
  ): Promise<Response> => {
    try {
      return await fetch(`${base}${path}`, { method, ...init, signal });
    } catch (error) {
      if (signal.aborted && (signal.reason as Error | undefined)?.name === 'TimeoutError')
        throw new CliError(
          'unreachable',
          `SoulSpot at ${base} did not answer ${method} ${path} in time`,
        );
      if ((error as Error).name === 'AbortError') throw error;
      throw new CliError('unreachable', unreachableMessage(base, error));
    }
  };
  const check = async (res: Response, method: string, path: string): Promise<void> => {
    if (res.ok) return;
    const text = await res.text().catch(() => '');
    let message = '';
    try {
      message = String((JSON.parse(text) as { message?: unknown }).message ?? '');
    } catch {
      // Not SoulSpot's JSON error: say what answered instead.
    }
    if (res.status === 401 || res.status === 403) {
      throw new CliError(
        'auth',
        opts.apiKey
          ? `SoulSpot at ${base} refused the API key (${res.status}): check --api-key or SOULSPOT_API_KEY`
          : `SoulSpot at ${base} needs an API key: pass --api-key or set SOULSPOT_API_KEY`,
        res.status,
      );
    }
    throw new CliError(
      kindForStatus(res.status),
      `${method} ${path} failed (${res.status}): ${message || res.statusText || 'no message'}`,
      res.status,
    );
  };
  return {
    url: base,
    async request<T>(method: string, path: string, body?: unknown, timeoutMs = 30_000) {
      const signal = AbortSignal.timeout(timeoutMs);
      const res = await send(
        method,
        path,
        body === undefined
          ? { headers: headers() }
          : {
              headers: headers({ 'content-type': 'application/json' }),
              body: JSON.stringify(body),
            },
        signal,
      );
      await check(res, method, path);
      const text = await res.text();
      if (text === '') return null as T;
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new CliError(
          'unreachable',
          `${base} answered ${method} ${path} with something other than JSON: is it SoulSpot?`,
        );
      }
    },
    async stream(path, extra, signal) {
      const res = await send('GET', path, { headers: headers(extra) }, signal);
      await check(res, 'GET', path);
      return res;
    },
  };
}

function unreachableMessage(base: string, error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code;
  const why =
    code === 'ECONNREFUSED'
      ? 'connection refused'
      : code === 'ENOTFOUND'
        ? 'no such host'
        : code === 'ETIMEDOUT'
          ? 'timed out'
          : (cause?.message ?? (error as Error).message);
  return `Cannot reach SoulSpot at ${base} (${why}). Is it running? Give its address with --url or SOULSPOT_URL, or use --standalone.`;
}
