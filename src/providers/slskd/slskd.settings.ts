/** How SoulSpot reaches one slskd daemon. */
export interface SlskdSettings {
  /** Base URL including any `web.url_base` prefix, without `/api/v0`, e.g. `http://localhost:5030`. */
  url: string;
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

/** Fills the defaults in and strips a trailing slash from the URL. */
export function slskdSettings(
  input: Pick<SlskdSettings, 'url'> & Partial<Omit<SlskdSettings, 'url'>>,
): SlskdSettings {
  const settings: SlskdSettings = {
    url: input.url.replace(/\/+$/, ''),
    requestTimeoutMs: input.requestTimeoutMs ?? SLSKD_DEFAULTS.requestTimeoutMs,
    maxResponseBytes: input.maxResponseBytes ?? SLSKD_DEFAULTS.maxResponseBytes,
    cancelWaitMs: input.cancelWaitMs ?? SLSKD_DEFAULTS.cancelWaitMs,
    enqueueSettleMs: input.enqueueSettleMs ?? SLSKD_DEFAULTS.enqueueSettleMs,
    enqueuePollMs: input.enqueuePollMs ?? SLSKD_DEFAULTS.enqueuePollMs,
  };
  if (input.apiKey !== undefined && input.apiKey !== '') settings.apiKey = input.apiKey;
  if (input.downloadsDir !== undefined && input.downloadsDir !== '') {
    settings.downloadsDir = input.downloadsDir;
  }
  return settings;
}
