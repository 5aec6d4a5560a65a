/**
 * The API's JSON shapes as the UI reads them, copied by hand from the server's TypeBox schemas
 * (src/downloads/download.dto.ts, candidates.dto.ts, src/http/routes/queue.routes.ts, bulk.routes.ts,
 * src/albums/albums.dto.ts, src/events/event-bus.ts, src/blocklist/blocklist.dto.ts,
 * src/quality-profiles/quality-profiles.dto.ts, src/settings/settings.definitions.ts,
 * src/naming/naming-preview.ts, src/notifications/notifications.dto.ts, src/stats/stats.dto.ts,
 * src/http/schemas.ts HealthBody, src/sources/sources.dto.ts). The UI is its own build and never
 * imports server code; when a schema changes, change it here too, and in dto-keys.ts (every field
 * with the kind of its value), which test/web-dto-drift.test.ts holds against the server's schemas.
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
  preferredProvider: string | null;
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

/** What an indexer said of a release (a torrent, an NZB); never its link. */
export interface ReleaseInfo {
  protocol: 'torrent' | 'usenet';
  indexer: string;
  title: string;
  size: number;
  seeders: number | null;
  peers: number | null;
  grabs: number | null;
  publishedAt: string | null;
}

export interface RankedCandidate extends FileDto {
  rank: number;
  candidateId: string;
  picked: boolean;
  hasFreeUploadSlot: boolean;
  queueLength: number;
  uploadSpeed: number;
  release: ReleaseInfo | null;
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
  release: ReleaseInfo | null;
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
  /** The indexer these come from; null: the first, slskd. */
  provider: string | null;
  /** The indexers searched before it in this round, and why SoulSpot went on. */
  earlier: {
    provider: string;
    reason: string;
    query: string | null;
    rankedTotal: number;
    rejectedTotal: number;
    rejected: RejectedCandidate[];
  }[];
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
  preferredProvider: string | null;
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

export interface BlocklistEntry {
  id: string;
  /** The provider whose source it blocks (`slskd` for a Soulseek peer). */
  provider: string;
  username: string;
  filename: string | null;
  reason: string | null;
  source: 'auto' | 'manual';
  failureCount: number;
  createdAt: string;
  expiresAt: string | null;
}

export interface QualityRules {
  preferredFormats: string[];
  minBitrate: number | null;
  maxBitrate: number | null;
  minSampleRate: number | null;
  maxSampleRate: number | null;
  minBitDepth: number | null;
  maxBitDepth: number | null;
  minFileSizeMb: number | null;
  maxFileSizeMb: number | null;
  durationToleranceSeconds: number;
  excludeKeywords: string[];
  excludeUsers: string[];
  preferLossless: boolean;
  allowLossy: boolean;
  required: string[];
  /** Indexer ids searched in order; empty = all, configured order. */
  providers: string[];
}

export interface QualityProfile extends QualityRules {
  id: string;
  name: string;
  description: string;
  isDefault: boolean;
  builtIn: boolean;
}

export type SettingValue = number | string | boolean | number[] | string[] | TimeWindow[];
export interface TimeWindow {
  days: string;
  from: string;
  to: string;
}
export type SettingsDto = Record<string, SettingValue>;

export interface NamingPreview {
  path: string;
  segments: string[];
  multiDisc: boolean;
  pattern: string;
  examples: { standard: string; multiDisc: string };
}

export const TARGET_TYPES = ['webhook', 'discord', 'slack', 'ntfy', 'gotify'] as const;
export type TargetType = (typeof TARGET_TYPES)[number];

export const NOTIFICATION_EVENTS = [
  'download.completed',
  'download.failed',
  'album.completed',
  'batch.completed',
  'provider.offline',
  'provider.online',
  'disk.low',
  'queue.idle',
] as const;

export interface Target {
  id: string;
  name: string;
  type: TargetType;
  url: string;
  topic: string | null;
  clickUrl: string | null;
  events: string[];
  enabled: boolean;
  hasSecret: boolean;
  hasToken: boolean;
  /** Why SoulSpot switched it off (410 Gone); enabling it clears this. */
  disabledReason: string | null;
  /** No delivery before this (its Retry-After). */
  retryAfterUntil: string | null;
  /** Only in the answer that generated it. */
  secret?: string;
}

export interface Delivery {
  id: string;
  at: string;
  event: string;
  messageId: string;
  count: number;
  attempt: number;
  outcome: 'delivered' | 'failed' | 'dead' | 'test';
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

export interface TestResult {
  ok: boolean;
  statusCode: number | null;
  error: string | null;
  durationMs: number;
}

/** Indexer and download client types (src/sources; the adapters' settings in src/providers). */
export const INDEXER_TYPES = ['torznab', 'newznab'] as const;
export type IndexerType = (typeof INDEXER_TYPES)[number];
export const CLIENT_TYPES = ['qbittorrent', 'sabnzbd', 'nzbget'] as const;
export type ClientType = (typeof CLIENT_TYPES)[number];

export interface SourceHealth {
  state: 'ok' | 'failing' | 'disabled' | 'unknown';
  circuit: 'closed' | 'open' | 'half-open';
  /** A remote's words (the indexer's or client's error): shown only as text. */
  lastError?: string;
  lastCheckedAt?: string;
}

/**
 * One indexer or download client as `GET /api/indexers` and `/api/download-clients` list them.
 * `settings` holds the non-secret fields only; each secret is `{ set }`, never its value.
 * An `environment` entry comes from SOULSPOT_INDEXERS / SOULSPOT_DOWNLOAD_CLIENTS: read-only.
 */
interface SourceBase<T extends string> {
  id: string;
  type: T;
  enabled: boolean;
  position: number;
  source: 'api' | 'environment';
  settings: Record<string, unknown>;
  secrets: Record<string, { set: boolean }>;
  health: SourceHealth;
  /** null for an environment entry. */
  updatedAt: string | null;
}
export type IndexerDto = SourceBase<IndexerType>;
export type DownloadClientDto = SourceBase<ClientType>;
export type SourceDto = IndexerDto | DownloadClientDto;

/** `POST /api/indexers/test` and `/api/download-clients/test`. */
export interface SourceTestResult {
  ok: boolean;
  message: string;
  details?: Record<string, unknown>;
}

export const STATS_PERIODS = ['day', 'week', 'month', 'all'] as const;
export type StatsPeriod = (typeof STATS_PERIODS)[number];

export interface StatsGroup {
  name: string;
  downloads: number;
  completed: number;
  failed: number;
  cancelled: number;
  bytes: number;
  successRate: number | null;
  meanSpeed: number | null;
}

export interface StatsDay {
  date: string;
  downloads: number;
  completed: number;
  failed: number;
  cancelled: number;
  bytes: number;
}

export interface Stats {
  period: { from: string | null; to: string | null; timeZone: 'UTC' };
  totals: {
    downloads: number;
    completed: number;
    failed: number;
    cancelled: number;
    bytes: number;
    successRate: number | null;
    meanDownloadSeconds: number | null;
    meanSizeBytes: number | null;
    meanSpeed: number | null;
  };
  byStatus: { completed: number; failed: number; cancelled: number };
  queue: Record<string, number>;
  byFormat: StatsGroup[];
  byProvider: StatsGroup[];
  bySource: StatsGroup[];
  failureReasons: { code: string; count: number }[];
  topArtists: StatsGroup[];
  history: StatsDay[];
  speedHistory: { at: string; bytesPerSecond: number }[];
}

export type CheckStatus = 'ok' | 'warning' | 'error';
export interface Health {
  status: 'ok' | 'degraded';
  providers: Record<
    string,
    {
      state: 'up' | 'down' | 'unknown';
      circuit?: 'closed' | 'open' | 'half-open';
      version?: string;
      message?: string;
      checkedAt: string | null;
    }
  >;
  queue: Record<string, number>;
  transcode: { available: boolean; message: string };
  checks: { name: string; status: CheckStatus; message: string }[];
}
