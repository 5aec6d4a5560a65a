/**
 * The download lifecycle as a pure state machine. The database stores these exact strings, and the
 * API sends them unchanged. Every status change in SoulSpot goes through `transition`, so an illegal
 * move (e.g. completed → downloading) is a bug that throws instead of a silent corruption.
 */

export const DOWNLOAD_STATUSES = [
  'waiting',
  'searching',
  'queued',
  'downloading',
  'processing',
  'completed',
  'failed',
  'cancelled',
] as const;

export type DownloadStatus = (typeof DOWNLOAD_STATUSES)[number];

/** Statuses the queue still works on; at most one download per track may be in one of these. */
export const ACTIVE_STATUSES = [
  'waiting',
  'searching',
  'queued',
  'downloading',
  'processing',
] as const satisfies readonly DownloadStatus[];

/**
 * The two slot pools (docs/architecture.md, "Slots"): a download in one of these statuses is
 * claimed into a transfer slot (`maxConcurrent`: searching, enqueueing, following a transfer)…
 */
export const TRANSFER_STATUSES = [
  'waiting',
  'searching',
  'queued',
  'downloading',
] as const satisfies readonly DownloadStatus[];

/** …and one that is `processing` (its bytes are in) into a filing slot (`maxConcurrentFiling`). */
export const FILING_STATUSES = ['processing'] as const satisfies readonly DownloadStatus[];

export const TERMINAL_STATUSES = [
  'completed',
  'failed',
  'cancelled',
] as const satisfies readonly DownloadStatus[];

export type DownloadEvent =
  /** The worker begins (or resumes) searching. */
  | 'search'
  /** A source was enqueued at the daemon (also a next source after a failed one). */
  | 'enqueue'
  /** Bytes started flowing. */
  | 'start_transfer'
  /** The daemon reports the file complete; verification and filing begin. */
  | 'transfer_done'
  /** The file is in the library. */
  | 'file'
  /** Back to waiting: a retry after backoff, or the daemon is down and the download waits for it. */
  | 'wait'
  | 'fail'
  | 'cancel'
  /** Manual retry of a finished download. */
  | 'retry'
  /** A download failed by a local fault (disk full, permissions) goes back to filing its file. */
  | 'resume'
  /**
   * A cancel arrived while the file was being placed in the library: the placed file wins, so the
   * download ends with it recorded instead of a fresh download and a " (2)" copy later.
   */
  | 'filed_after_cancel';

const TRANSITIONS: Record<DownloadStatus, Partial<Record<DownloadEvent, DownloadStatus>>> = {
  waiting: {
    search: 'searching',
    enqueue: 'queued',
    wait: 'waiting',
    fail: 'failed',
    cancel: 'cancelled',
  },
  searching: {
    search: 'searching',
    enqueue: 'queued',
    wait: 'waiting',
    fail: 'failed',
    cancel: 'cancelled',
  },
  queued: {
    enqueue: 'queued',
    start_transfer: 'downloading',
    transfer_done: 'processing',
    search: 'searching',
    wait: 'waiting',
    fail: 'failed',
    cancel: 'cancelled',
  },
  downloading: {
    enqueue: 'queued',
    start_transfer: 'downloading',
    transfer_done: 'processing',
    search: 'searching',
    wait: 'waiting',
    fail: 'failed',
    cancel: 'cancelled',
  },
  processing: {
    // A file that fails verification sends the download on to the next source.
    enqueue: 'queued',
    search: 'searching',
    file: 'completed',
    wait: 'waiting',
    fail: 'failed',
    cancel: 'cancelled',
  },
  completed: {},
  failed: { retry: 'waiting', resume: 'processing' },
  cancelled: { retry: 'waiting', filed_after_cancel: 'completed' },
};

export class IllegalTransitionError extends Error {
  constructor(
    readonly from: DownloadStatus,
    readonly event: DownloadEvent,
  ) {
    super(`A ${from} download cannot take "${event}"`);
    this.name = 'IllegalTransitionError';
  }
}

export function transition(from: DownloadStatus, event: DownloadEvent): DownloadStatus {
  const to = TRANSITIONS[from][event];
  if (!to) throw new IllegalTransitionError(from, event);
  return to;
}

export function canTransition(from: DownloadStatus, event: DownloadEvent): boolean {
  return TRANSITIONS[from][event] !== undefined;
}

export function isActive(status: DownloadStatus): boolean {
  return (ACTIVE_STATUSES as readonly string[]).includes(status);
}

export function isDownloadStatus(value: string): value is DownloadStatus {
  return (DOWNLOAD_STATUSES as readonly string[]).includes(value);
}

/** What a user asks for. */
export interface TrackRequest {
  artist: string;
  title: string;
  album?: string | null;
  albumArtist?: string | null;
  trackNumber?: number | null;
  discNumber?: number | null;
  year?: number | null;
  genre?: string | null;
  durationSeconds?: number | null;
  /** Higher runs first; default 0; negative values run after everything else. */
  priority?: number;
  /**
   * Epoch ms: held (`scheduled`) until then. A time gone by, or null, means due at once: a client
   * whose clock runs late, or that queued the request a while ago, still gets its download.
   */
  scheduledAt?: number | null;
  /** The quality profile to search with; absent or null = the default profile at search time. */
  qualityProfileId?: string | null;
  /**
   * The indexer to search first, then the profile's order (`downloads.preferred_provider`);
   * absent or null: the profile's order alone.
   */
  provider?: string | null;
  /** Front cover to embed (http/https JPEG or PNG). */
  coverUrl?: string | null;
  isrc?: string | null;
  musicbrainzRecordingId?: string | null;
  musicbrainzReleaseId?: string | null;
  musicbrainzArtistId?: string | null;
  musicbrainzReleaseGroupId?: string | null;
  trackTotal?: number | null;
  discTotal?: number | null;
}

/**
 * Code points kept of each part of a dedupe key. The key is the entry of a unique index, and
 * PostgreSQL refuses a btree entry over 2704 bytes: 3 parts of 200 code points are at most 2.4 KB
 * of UTF-8, whatever NFKD made of the input (one U+FDFA becomes 18 letters). Names that agree on
 * their first 200 letters are the same track as far as deduplication goes.
 */
const KEY_PART_LENGTH = 200;

/**
 * Two requests for the same track share a key: case, accents, punctuation and spacing are ignored.
 * The album takes part so that the same song from two different albums can both be wanted.
 */
export function dedupeKey(t: Pick<TrackRequest, 'artist' | 'title' | 'album'>): string {
  const norm = (s: string | null | undefined): string =>
    [
      ...(s ?? '')
        .normalize('NFKD')
        .replace(/[\u0300-\u036f]/g, '')
        .toLowerCase()
        .replace(/[^\p{L}\p{N}]+/gu, ' ')
        .trim(),
    ]
      .slice(0, KEY_PART_LENGTH)
      .join('')
      .trim();
  return `${norm(t.artist)}|${norm(t.title)}|${norm(t.album)}`;
}

/**
 * The statuses from which `event` is legal and leads to `to`: what a set-wide command (batch
 * cancel of 10,000 downloads) writes in its WHERE clause, so it applies the state machine to every
 * row without reading them one by one.
 */
export function statusesFor(event: DownloadEvent, to?: DownloadStatus): DownloadStatus[] {
  return DOWNLOAD_STATUSES.filter((s) => {
    const next = TRANSITIONS[s][event];
    return next !== undefined && (to === undefined || next === to);
  });
}
