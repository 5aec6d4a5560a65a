/**
 * The API's JSON shapes as the UI reads them, copied by hand from the server's TypeBox schemas
 * (src/downloads/download.dto.ts, candidates.dto.ts, src/http/routes/queue.routes.ts, bulk.routes.ts,
 * src/albums/albums.dto.ts, src/events/event-bus.ts). The UI is its own build and never imports
 * server code; when a schema changes, change it here too.
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
/** Stored statuses plus the two holds the API shows instead for an unfinished download. */
export const WIRE_STATUSES = [...DOWNLOAD_STATUSES, 'paused', 'scheduled'] as const;
export type WireStatus = (typeof WIRE_STATUSES)[number];

export interface FileDto {
  provider: string;
  username: string;
  /** The remote path exactly as the peer reported it: a peer's text, shown only as text. */
  filename: string;
  size: number;
  extension: string;
  bitRate: number | null;
  sampleRate: number | null;
  bitDepth: number | null;
  lengthSeconds: number | null;
}

export type TranscodeCheck = 'clean' | 'suspect' | 'inconclusive' | 'skipped';

export interface AttemptDto {
  id: string;
  provider: string;
  username: string;
  filename: string;
  size: number;
  transferId: string | null;
  /** pending | enqueued | succeeded | failed | cancelled */
  outcome: string;
  errorCode: string | null;
  errorMessage: string | null;
  startedAt: string;
  finishedAt: string | null;
  transcodeCheck: TranscodeCheck | null;
  suspectTranscode: boolean | null;
  transcodeCutoffHz: number | null;
}

export interface Download {
  id: string;
  status: WireStatus;
  scheduledAt: string | null;
  artist: string;
  title: string;
  album: string | null;
  albumArtist: string | null;
  trackNumber: number | null;
  discNumber: number | null;
  year: number | null;
  genre: string | null;
  durationSeconds: number | null;
  qualityProfileId: string | null;
  coverUrl: string | null;
  isrc: string | null;
  musicbrainzRecordingId: string | null;
  musicbrainzReleaseId: string | null;
  musicbrainzArtistId: string | null;
  musicbrainzReleaseGroupId: string | null;
  trackTotal: number | null;
  discTotal: number | null;
  priority: number;
  /** 0–100, one decimal. */
  progress: number;
  bytesTransferred: number;
  size: number | null;
  /** Place in the peer's upload queue while queued there. */
  queuePosition: number | null;
  retryCount: number;
  maxRetries: number;
  nextRetryAt: string | null;
  errorCode: string | null;
  errorMessage: string | null;
  source: FileDto | null;
  attempts: AttemptDto[];
  libraryPath: string | null;
  transcodeCheck: TranscodeCheck | null;
  suspectTranscode: boolean | null;
  transcodeCutoffHz: number | null;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
}

export interface DownloadPage {
  items: Download[];
  nextCursor: string | null;
}

/** `download.updated`: the whole Download, with the fields a worker changed (absent: a snapshot). */
export type DownloadUpdate = Download & { changed?: string[] };

/** `download.progress`: only the transfer's numbers moved. */
export interface DownloadProgress {
  id: string;
  progress: number;
  bytesTransferred: number;
  queuePosition: number | null;
  updatedAt: string;
  /** Bytes/s as the daemon measures it, when it says. */
  speed?: number;
}

export interface RankedCandidate extends FileDto {
  rank: number;
  candidateId: string;
  picked: boolean;
  hasFreeUploadSlot: boolean;
  queueLength: number;
  uploadSpeed: number;
  score: number;
  notes: string[];
  profileParts: { condition: string; points: number; reason: string }[];
  transcodeCheck: TranscodeCheck | null;
  suspectTranscode: boolean | null;
  transcodeCutoffHz: number | null;
}

export interface RejectedCandidate extends FileDto {
  candidateId: string;
  picked: boolean;
  hasFreeUploadSlot: boolean;
  queueLength: number;
  uploadSpeed: number;
  reason: string;
  conditions: string[];
}

export interface Candidates {
  downloadId: string;
  query: string | null;
  profile: { id: string; name: string } | null;
  searchedAheadAt: string | null;
  rankedTotal: number;
  rejectedTotal: number;
  ranked: RankedCandidate[];
  rejected: RejectedCandidate[];
  pick: {
    candidateId: string;
    provider: string;
    username: string;
    filename: string;
    from: 'ranked' | 'rejected' | 'search';
    rejectedFor: string | null;
    pickedAt: string;
    state: 'pending' | 'started';
  } | null;
}

export interface QueueOverview {
  byStatus: Record<string, number>;
  byHold: Record<string, number>;
  paused: boolean;
  slots: {
    working: number;
    maxConcurrent: number;
    filing: number;
    maxConcurrentFiling: number;
    queuedAtSource: number;
    maxQueuedAtSource: number;
    maxConcurrentPerUser: number;
  };
  timeWindows: {
    windows: { days: string; from: string; to: string }[];
    timeZone: string;
    open: boolean;
    changesAt: string | null;
  };
  nextRetryAt: string | null;
  nextScheduledAt: string | null;
}

export type BatchAction = 'cancel' | 'retry' | 'set_priority' | 'pause' | 'resume' | 'remove';

export interface BatchFilter {
  status?: WireStatus[];
  text?: string;
  createdBefore?: string;
  createdAfter?: string;
}

export interface BatchResult {
  successCount: number;
  failedCount: number;
  errors: { id: string; code: 'not_found' | 'conflict' | 'duplicate_active'; message: string }[];
}

export interface TrackInput {
  artist: string;
  title: string;
  album?: string | null;
}

export interface BulkResult {
  created: number;
  existing: number;
  duplicate: number;
  rejected: number;
  items: {
    index: number;
    result: 'created' | 'existing' | 'duplicate' | 'rejected';
    id: string | null;
    status: string | null;
    duplicateOf?: number;
  }[];
}

export interface AlbumCounts {
  waiting: number;
  working: number;
  completed: number;
  failed: number;
  cancelled: number;
}

export interface AlbumTrack {
  downloadId: string;
  title: string;
  trackNumber: number | null;
  discNumber: number | null;
  status: WireStatus;
  errorCode: string | null;
  errorMessage: string | null;
  source: FileDto | null;
  fromFolder: boolean;
  libraryPath: string | null;
}

export interface Album {
  id: string;
  artist: string;
  album: string;
  year: number | null;
  qualityProfileId: string | null;
  status: string;
  folderSearch: { state: 'pending' | 'done' | 'failed'; error: string | null };
  trackCount: number;
  counts: AlbumCounts;
  folder: {
    provider: string;
    username: string;
    directory: string;
    fileCount: number | null;
  } | null;
  createdAt: string;
  updatedAt: string;
  completedAt: string | null;
  tracks?: AlbumTrack[];
}

/** An in-app toast (the `notification` SSE event). */
export interface NotificationToast {
  event: string;
  title: string;
  message: string;
  count: number;
  messageId: string;
}

/** Every event `/api/events` sends, by its SSE event name. */
export interface EventMap {
  'download.updated': DownloadUpdate;
  'download.progress': DownloadProgress;
  'download.completed': Download;
  'download.failed': Download;
  'album.updated': Album;
  'album.completed': Album;
  'downloads.changed': { action: string; ids: string[] };
  'provider.health': { provider: string; state: 'up' | 'down' | 'unknown'; message?: string };
  'provider.circuit': { provider: string; circuit: 'closed' | 'open' | 'half-open' };
  'quality-profile.changed': { id: string; change: 'created' | 'updated' | 'deleted' };
  'provider.offline': { provider: string; message: string };
  'provider.online': { provider: string };
  'disk.low': { path: string; freeBytes: number; thresholdBytes: number };
  'queue.idle': { at: string };
  'batch.completed': { action: string; total: number; successCount: number; failedCount: number };
  notification: NotificationToast;
  /** The log no longer holds the client's last id: reload state, then follow. */
  reset: unknown;
}
export type EventName = keyof EventMap;

/** The API's error body (Fastify's shape; `message` names the bad field on a 400). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}
