/** How SoulSpot reaches one slskd daemon. */
export interface SlskdSettings {
  /**
   * Base URL including any `web.url_base` prefix, without `/api/v0`, e.g. `http://localhost:5030`.
   * Never with a user and password: those are taken out into `basicAuth` (see `slskdSettings`).
   */
  url: string;
  /** `Authorization` header value for a URL written with `user:password@` (a proxy in front of slskd). */
  basicAuth?: string;
  /** Sent as `X-API-Key`. Omit only when slskd runs with authentication disabled. */
  apiKey?: string;
  /**
   * Where slskd's finished files are visible to SoulSpot. Overrides `GET /options` →
   * `directories.downloads`, which is slskd's own view and differs when slskd runs in a container.
   */
  downloadsDir?: string;
  /** Per-request deadline, covering the response body too. */
  requestTimeoutMs: number;
  /** A response body larger than this is refused (the stream is aborted, not buffered). */
  maxResponseBytes: number;
  /** How long `cancel` waits for slskd to report the cancelled transfer as Completed before removing it. */
  cancelWaitMs: number;
  /**
   * After an enqueue that timed out (slskd connects to the peer before it records anything), how long
   * SoulSpot keeps looking for the transfer before it calls the source failed. Longer than
   * Soulseek.NET takes to give up on a peer connection (a 10 s connect timeout, then the indirect
   * attempt through the server).
   */
  enqueueSettleMs: number;
  /** How often the enqueue is looked up meanwhile. */
  enqueuePollMs: number;
}

export const SLSKD_DEFAULTS = {
  requestTimeoutMs: 10_000,
  maxResponseBytes: 16 * 1024 * 1024,
  cancelWaitMs: 10_000,
  enqueueSettleMs: 60_000,
  enqueuePollMs: 500,
} as const satisfies Partial<SlskdSettings>;

/**
 * Takes `user:password@` out of the URL. fetch refuses a URL that carries credentials (every call
 * would fail, read as "slskd unreachable"), and the URL is quoted in error messages, which end up
 * in a download's errorMessage (API, events) and in logs. So the URL kept here never has them; they
 * are sent as HTTP Basic auth instead, as a browser or curl would for such a URL.
 */
function splitCredentials(raw: string): { url: string; basicAuth?: string } {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return { url: raw.replace(/\/+$/, '') };
  }
  if (parsed.username === '' && parsed.password === '') return { url: raw.replace(/\/+$/, '') };
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  return {
    url: parsed.toString().replace(/\/+$/, ''),
    basicAuth: `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`,
  };
}

/** Fills the defaults in, strips a trailing slash from the URL and takes credentials out of it. */
export function slskdSettings(
  input: Pick<SlskdSettings, 'url'> & Partial<Omit<SlskdSettings, 'url' | 'basicAuth'>>,
): SlskdSettings {
  const { url, basicAuth } = splitCredentials(input.url);
  const settings: SlskdSettings = {
    url,
    requestTimeoutMs: input.requestTimeoutMs ?? SLSKD_DEFAULTS.requestTimeoutMs,
    maxResponseBytes: input.maxResponseBytes ?? SLSKD_DEFAULTS.maxResponseBytes,
    cancelWaitMs: input.cancelWaitMs ?? SLSKD_DEFAULTS.cancelWaitMs,
    enqueueSettleMs: input.enqueueSettleMs ?? SLSKD_DEFAULTS.enqueueSettleMs,
    enqueuePollMs: input.enqueuePollMs ?? SLSKD_DEFAULTS.enqueuePollMs,
  };
  if (basicAuth !== undefined) settings.basicAuth = basicAuth;
  if (input.apiKey !== undefined && input.apiKey !== '') settings.apiKey = input.apiKey;
  if (input.downloadsDir !== undefined && input.downloadsDir !== '') {
    settings.downloadsDir = input.downloadsDir;
  }
  return settings;
}
