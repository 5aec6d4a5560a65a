import type { ProviderId } from '../providers/release.js';

/**
 * The fixed list of error codes a download or an attempt can carry. They are stored as these strings
 * in the database and sent as-is over the API, so renaming one is a breaking change.
 */
export const ERROR_CODES = [
  'no_results',
  'timeout',
  'source_offline',
  'network_error',
  'rate_limited',
  'slskd_unavailable',
  'provider_unavailable',
  'transfer_rejected',
  'transfer_failed',
  'queue_timeout',
  'file_not_found',
  'track_not_in_release',
  'user_blocked',
  'invalid_file',
  'disk_full',
  'permission_denied',
  'tagging_failed',
  'cover_failed',
  'cancelled',
  'unknown',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export function isErrorCode(value: string): value is ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(value);
}

/** What SoulSpot does about one failure. */
export interface ErrorPolicy {
  /** The daemon itself is unreachable: wait for it (no retry used up, no source blamed). */
  waitForDaemon: boolean;

  /** The fault is this source's: try the next ranked candidate at once. */
  nextSource: boolean;
  /** The same source may work later (a new search round may pick it again). */
  sourceRetryable: boolean;
  /**
   * Blocklist effect: `count` adds to the peer's failure tally (blocked after N in a window),
   * `file` blocks this user's file at once, `user` blocks the user at once, `none` nothing.
   */
  block: 'none' | 'count' | 'file' | 'user';
  /**
   * A local fault (disk, permissions, post-processing): the downloaded file is kept, and the
   * download resumes filing from it (the disk watcher, or POST /api/downloads/{id}/retry) instead
   * of downloading again.
   */
  local: boolean;
}

const policy = (p: Partial<ErrorPolicy>): ErrorPolicy => ({
  waitForDaemon: false,
  nextSource: true,
  sourceRetryable: true,
  block: 'count',
  local: false,
  ...p,
});

/** One row per code; `error-codes.test.ts` checks every code has a row and the rows agree. */
export const ERROR_POLICIES: Record<ErrorCode, ErrorPolicy> = {
  no_results: policy({ nextSource: false, block: 'none' }),
  timeout: policy({}),
  source_offline: policy({}),
  network_error: policy({ waitForDaemon: true, nextSource: false, block: 'none' }),
  rate_limited: policy({ waitForDaemon: true, nextSource: false, block: 'none' }),
  // "The provider is unavailable", under its wire name for slskd (PROVIDER_UNAVAILABLE below).
  slskd_unavailable: policy({ waitForDaemon: true, nextSource: false, block: 'none' }),
  provider_unavailable: policy({ waitForDaemon: true, nextSource: false, block: 'none' }),
  // Quota rejections ("Too many files", "Overwhelmed…") pass; they count towards a block.
  transfer_rejected: policy({}),
  transfer_failed: policy({}),
  queue_timeout: policy({}),
  // The peer does not share it (any more): asking again is pointless.
  file_not_found: policy({ sourceRetryable: false, block: 'file' }),
  // An indexer's release (a single, a partial album) holds no file that is this track. Nothing is
  // wrong with the release: it may hold the album's other tracks, so it is ruled out for this
  // download only (album-release.ts drops it from this download's later rankings), never blocked
  // and never counted against the indexer. A release that is bad itself (gone from the indexer,
  // missing articles, corrupt) fails with file_not_found or invalid_file and is blocked.
  track_not_in_release: policy({ sourceRetryable: false, block: 'none' }),
  // The peer banned us.
  user_blocked: policy({ sourceRetryable: false, block: 'user' }),
  // A corrupt, truncated or wrong file: the same file would fail again.
  invalid_file: policy({ sourceRetryable: false, block: 'file' }),
  disk_full: policy({ nextSource: false, block: 'none', local: true }),
  permission_denied: policy({ nextSource: false, block: 'none', local: true }),
  // Post-processing of a good file failed (tags did not read back, cover unusable): not the
  // source's fault, and the file is kept; a retry resumes from the step that failed.
  tagging_failed: policy({ nextSource: false, block: 'none', local: true }),
  cover_failed: policy({ nextSource: false, block: 'none', local: true }),
  cancelled: policy({ nextSource: false, sourceRetryable: false, block: 'none' }),
  unknown: policy({}),
};

export function errorPolicy(code: ErrorCode): ErrorPolicy {
  return ERROR_POLICIES[code];
}

/**
 * "The provider is unavailable" is one concept in generic code; on the wire each provider keeps the
 * code its clients know: slskd's has always been `slskd_unavailable`. A provider without a row here
 * says `provider_unavailable`. Generic code never names a provider's code: it asks
 * `unavailableCode(provider)`, and recognises any of them with `isUnavailableCode`.
 */
export const PROVIDER_UNAVAILABLE: Readonly<Record<ProviderId, ErrorCode>> = {
  slskd: 'slskd_unavailable',
};

export function unavailableCode(provider: ProviderId): ErrorCode {
  return Object.hasOwn(PROVIDER_UNAVAILABLE, provider)
    ? PROVIDER_UNAVAILABLE[provider]!
    : 'provider_unavailable';
}

/** Every code that means "the provider is unavailable", whichever provider's. */
export const UNAVAILABLE_CODES: readonly ErrorCode[] = [
  ...new Set([...Object.values(PROVIDER_UNAVAILABLE), 'provider_unavailable' as const]),
];

export function isUnavailableCode(code: string): boolean {
  return (UNAVAILABLE_CODES as readonly string[]).includes(code);
}

/**
 * Failures that mean the provider itself is down (not merely busy): they count towards opening its
 * circuit (circuit-breaker.ts). A rate limit waits without counting: the daemon is there.
 */
export function isProviderDown(code: ErrorCode): boolean {
  return code === 'network_error' || isUnavailableCode(code);
}
