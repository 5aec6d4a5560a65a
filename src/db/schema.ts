import type { Generated } from 'kysely';

/**
 * Table types for Kysely. Times are epoch milliseconds in both dialects (PostgreSQL BIGINT is parsed
 * back to a JS number in database.ts), ids are UUID strings made by the application.
 */
export interface DownloadsTable {
  id: string;
  status: string;
  artist: string;
  title: string;
  album: string | null;
  album_artist: string | null;
  track_number: number | null;
  disc_number: number | null;
  year: number | null;
  genre: string | null;
  /** Seconds as requested, fractions kept (double precision since migration 003). */
  duration_seconds: number | null;
  /** Normalized artist|title|album: at most one active download per key (partial unique index). */
  dedupe_key: string;
  priority: number;
  progress: number;
  bytes_transferred: number;
  size: number | null;
  retry_count: number;
  max_retries: number;
  next_retry_at: number | null;
  /** The queue picks a download only once this time has come (retries, deferrals). */
  run_after: number;
  error_code: string | null;
  error_message: string | null;
  /** Client-chosen slskd search id, written before the search starts so a restart can re-read it. */
  search_id: string | null;
  /** Index into the query fallbacks being tried. */
  query_index: number;
  /**
   * The indexer being searched, in the profile's provider order (migration 028); null: the first.
   * Each indexer runs the query fallbacks from the first; a retry round starts from the first again.
   */
  search_provider?: string | null;
  /**
   * The indexer searched first, before the profile's order (migration 032: a watch rule's or the
   * request's `provider`); null: none. Ignored while not configured.
   */
  preferred_provider?: string | null;
  /** JSON: the ranked candidates and rejections of the last search. */
  candidates: string | null;
  /** An album track's folder file: what a fresh start (retry) begins with again (migration 022). */
  pinned_candidates?: string | null;
  current_attempt_id: string | null;
  queue_position: number | null;
  library_path: string | null;
  lease_owner: string | null;
  lease_expires_at: number | null;
  /** Fencing token: bumped at every claim; every state write must quote it. */
  lease_token: number;
  created_at: number;
  updated_at: number;
  completed_at: number | null;
  /** Fractional key: order within a priority (downloads/queue-order.ts). */
  position: string;
  /** none | paused | scheduled: holds the download without losing its status (the resume point). */
  hold: string;
  /** When a `scheduled` hold ends (epoch ms). */
  scheduled_at: number | null;
  /**
   * null | waiting | ready: parked while its transfer waits in a peer's queue, without lease or
   * runner slot (migration 007); `ready` once the monitor saw it move, end or stall.
   */
  source_wait: string | null;
  /** When a parked download's transfer last changed: the base of its stall deadline. */
  source_wait_since: number | null;
  /** The quality profile asked for; null = the default profile at search time (migration 012). */
  quality_profile_id: string | null;
  /**
   * The fake-lossless check of the file (migration 014): clean | suspect | inconclusive | skipped
   * (no ffmpeg, or it could not decode); null = not checked (not lossless, or not filed yet).
   */
  transcode_check: string | null;
  /** 1 = suspected transcode, 0 = checked and not suspected, null = not checked. */
  suspect_transcode: number | null;
  /** Where the spectrum stops, for a suspect file with a cliff. */
  transcode_cutoff_hz: number | null;
  /** The cover image to embed (http/https; fetched through net/safe-fetch.ts). Migration 015. */
  cover_url: string | null;
  isrc: string | null;
  musicbrainz_recording_id: string | null;
  musicbrainz_release_id: string | null;
  musicbrainz_artist_id: string | null;
  musicbrainz_release_group_id: string | null;
  track_total: number | null;
  disc_total: number | null;
  /** The album this track belongs to (migration 016); null for a single track. */
  album_id: string | null;
}

/** An album (migration 016): its tracks are the downloads naming it; its status is derived. */
export interface AlbumsTable {
  id: string;
  artist: string;
  album: string;
  year: number | null;
  /** The quality profile its tracks search with; null = the default at search time. */
  quality_profile_id: string | null;
  /** The folder chosen by browsing, or null (each track searches on its own). */
  folder_provider: string | null;
  folder_username: string | null;
  folder_directory: string | null;
  /** How many files the chosen folder has (as browsed). */
  folder_files: number | null;
  track_count: number;
  created_at: number;
  updated_at: number;
  /** Set once, by the write that completed the last track (album.completed's guard). */
  completed_at: number | null;
  /** The folder search: pending (background, maybe running), done, failed (migration 022). */
  folder_search: Generated<string>;
  /** The process searching it, and until when its claim holds (then anyone may take it over). */
  folder_search_owner?: string | null;
  folder_search_until?: number | null;
  /** Why a failed folder search failed (no folder, the provider could not search). */
  folder_search_error?: string | null;
  /** The folder the request named (migration 030); null: none, the best is taken. */
  named_provider?: string | null;
  named_username?: string | null;
  named_directory?: string | null;
  /** The indexer its tracks search first (migration 032), set on each track it makes; null: none. */
  preferred_provider?: string | null;
}

export interface AttemptsTable {
  id: string;
  download_id: string;
  /** The retry round (download.retry_count) this attempt belongs to. */
  round: number;
  provider: string;
  username: string;
  filename: string;
  size: number;
  extension: string;
  bit_rate: number | null;
  sample_rate: number | null;
  bit_depth: number | null;
  length_seconds: number | null;
  /** Client-chosen batch id, written BEFORE the enqueue call (see queue/README.md). */
  batch_id: string;
  /** JSON of the indexer release fetched (a torrent, an NZB); null for a peer's file (migration 028). */
  release: string | null;
  transfer_id: string | null;
  /** pending (enqueue may or may not have happened) | enqueued | succeeded | failed | cancelled */
  state: string;
  error_code: string | null;
  error_message: string | null;
  /** Where the daemon put the finished file. */
  local_path: string | null;
  /** Where the importer is placing it in the library (set before the move, for crash recovery). */
  target_path: string | null;
  /** How many times this source was enqueued again after slskd dropped it (restart). */
  requeues: number;
  /** The last post-processing step finished on this file: null | tagged | covered (migration 015). */
  post_step: string | null;
  /** SHA-256 of the finished working copy, recorded before it is placed (crash adoption). */
  post_digest: string | null;
  created_at: number;
  updated_at: number;
  finished_at: number | null;
  /**
   * The fake-lossless check of this source's file (migration 014): clean | suspect | inconclusive | skipped
   * (no ffmpeg, or it could not decode); null = not checked (not lossless, or not filed yet).
   */
  transcode_check: string | null;
  /** 1 = suspected transcode, 0 = checked and not suspected, null = not checked. */
  suspect_transcode: number | null;
  /** Where the spectrum stops, for a suspect file with a cliff. */
  transcode_cutoff_hz: number | null;
  /** Bytes/s of the transfer, recorded when it ended (migration 017); null = not measured. */
  transfer_speed: number | null;
}

/**
 * A finished download as statistics count it (migration 017, kept by triggers): one row per
 * download in a terminal status, fields copied when it got there.
 */
export interface StatsFactsTable {
  download_id: string;
  /** completed_at when completed, else the time of the write that failed or cancelled it. */
  finished_at: number;
  /** The UTC day of finished_at (epoch ms of its midnight). */
  day: number;
  /** completed | failed | cancelled */
  status: string;
  artist: string;
  /** The current attempt's file extension, lower case; null = no source was ever tried. */
  format: string | null;
  provider: string | null;
  /** The current attempt's peer. */
  peer: string | null;
  /** The filed file's size (completed), else 0. */
  bytes: number;
  /** Accept to filed (completed), else 0. */
  duration_ms: number;
  /** The error code of a failed download ('unknown' without one); null otherwise. */
  error_code: string | null;
  /** The completed transfer's bytes/s, if measured. */
  speed: number | null;
}

/** A fact appearing (+1) or going (−1), not yet folded into stats_daily (migration 017). */
export interface StatsDeltasTable extends Omit<StatsFactsTable, 'download_id' | 'finished_at'> {
  id: Generated<number>;
  sign: number;
}

/** Sums of facts per dimension, UTC day and key (migration 017). */
export interface StatsDailyTable {
  /** all (key '') | format | provider | peer | artist | error */
  dim: string;
  day: number;
  key: string;
  completed: number;
  failed: number;
  cancelled: number;
  bytes: number;
  duration_ms: number;
  speed_sum: number;
  speed_n: number;
}

/** One blocked source: a whole user (filename '') or one file of a user. */
export interface BlocklistTable {
  id: string;
  /** The provider the source belongs to (migration 019; older rows: slskd). */
  provider: Generated<string>;
  username: string;
  /** '' = every file of the user (see migration 002 for why not NULL). */
  filename: string;
  /** Hex SHA-256 of `filename`: the unique index's column (migration 010). */
  file_key: string;
  reason: string | null;
  /** auto (failures) | manual (API) */
  source: string;
  /** Failures that led to (or happened during) the block; 0 for a manual entry. */
  failure_count: number;
  created_at: number;
  /** null = permanent. An entry at or past its expiry is ignored and later deleted. */
  expires_at: number | null;
}

/** A peer's track record with us, across runs. */
export interface PeerStatsTable {
  /** With `username`, the primary key (migration 019; older rows: slskd). */
  provider: Generated<string>;
  username: string;
  successes: number;
  /** Every failed attempt, whoever was at fault (ranking only counts the peer's faults). */
  failures: number;
  /** JSON object: error code → count. */
  failures_by_code: string;
  /** Bytes received from the peer, all attempts. */
  bytes: number;
  /** How many speeds went into average_speed. */
  speed_samples: number;
  /** Bytes/s, running mean over successful transfers with a measured speed. */
  average_speed: number;
  last_failure_at: number | null;
  updated_at: number;
}

/** Failures that count towards an automatic block, kept for the length of the window. */
export interface PeerFailuresTable {
  id: string;
  provider: Generated<string>;
  username: string;
  filename: string;
  error_code: string;
  at: number;
  /** The download whose attempt failed (migration 033); null for rows from before. */
  download_id?: string | null;
}

/** A setting changed at run time (settings/); no row = the environment's default. */
export interface SettingsTable {
  key: string;
  /** JSON. */
  value: string;
  updated_at: number;
}

/** The event log (migration 005): one row per change, `id` is the SSE id. */
export interface EventsTable {
  /** Never reused; on PostgreSQL visible in id order (see src/events/event-log.repository.ts). */
  id: Generated<number>;
  /** An event name of src/events (download.updated, download.completed, …). */
  type: string;
  /** JSON text, sent to SSE clients as it is. */
  payload: string;
  /** Epoch ms, when it was appended (trimming by age uses it). */
  created_at: number;
}

/** A quality profile (migration 011); the rules are JSON, see src/matching/quality-profile.ts. */
export interface QualityProfilesTable {
  id: string;
  name: string;
  /** The name folded for uniqueness (NFKC, lower case). */
  name_key: string;
  description: string;
  /** JSON: ProfileRules (formats, bounds, lists, required), read over the current defaults. */
  rules: string;
  /** 1 for exactly one row (a partial unique index allows no second). */
  is_default: number;
  /** 1 for the four seeded profiles: editable, copyable, not deletable. */
  built_in: number;
  created_at: number;
  updated_at: number;
}

/**
 * A runner slot (migration 009): the lease that holds it, if any. Free when empty, expired, or its
 * download no longer carries that lease (released, cancelled, taken over).
 */
export interface QueueSlotsTable {
  slot_no: number;
  download_id: string | null;
  lease_token: number | null;
  expires_at: number | null;
}

/**
 * A search ahead taken by one process (migration 013): `searching` 1 while it runs, 0 once it found
 * nothing usable (then it keeps others from repeating it until `until`).
 */
export interface PrefetchMarksTable {
  download_id: string;
  owner: string;
  searching: number;
  until: number;
}

/** A generic job (migration 018; src/jobs). */
export interface JobsTable {
  id: string;
  task: string;
  /** JSON text. */
  payload: string;
  /** Names a job not started yet; cleared by the claim. */
  unique_key: string | null;
  state: 'queued' | 'dead';
  attempts: number;
  max_attempts: number;
  run_after: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  lease_token: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

/** A notification target (migration 018): secret and token are never sent back by the API. */
export interface NotificationTargetsTable {
  id: string;
  name: string;
  type: string;
  url: string;
  secret: string | null;
  token: string | null;
  topic: string | null;
  /** JSON array of notification event names. */
  events: string;
  /** 1 or 0. */
  enabled: number;
  created_at: number;
  updated_at: number;
}

/** One event waiting in a delivery job (deleted with the job). */
export interface NotificationItemsTable {
  id: string;
  job_id: string;
  event: string;
  /** JSON text: the item's line and data (notifications/message.ts). */
  data: string;
  created_at: number;
}

/** One delivery attempt to a target, as GET /api/notifications/{id}/deliveries shows it. */
export interface NotificationDeliveriesTable {
  id: string;
  target_id: string;
  message_id: string;
  event: string;
  item_count: number;
  attempt: number;
  outcome: 'delivered' | 'failed' | 'dead' | 'test';
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  at: number;
}

/**
 * One row per process (migration 023): its clock and the database's, written by the same statement,
 * for the clock-skew health check.
 */
export interface ProcessClocksTable {
  /** The process's instance id (the one its leases carry). */
  owner: string;
  /** Epoch ms by the process's clock when it wrote the row. */
  process_at: number;
  /** Epoch ms by the database's clock in that statement. */
  db_at: number;
}

/** A browser session of the web UI (migration 024); the token itself is never stored. */
export interface SessionsTable {
  /** Hex HMAC-SHA256 of the cookie's token under the API key (session.service.ts). */
  token_hash: string;
  created_at: number;
  /** When `expires_at` was last moved forward (at most once an hour). */
  refreshed_at: number;
  expires_at: number;
}

export interface Database {
  downloads: DownloadsTable;
  queue_slots: QueueSlotsTable;
  /** Filing's slots (migration 020): the same shape and rule as `queue_slots`. */
  filing_slots: QueueSlotsTable;
  prefetch_marks: PrefetchMarksTable;
  attempts: AttemptsTable;
  blocklist: BlocklistTable;
  peer_stats: PeerStatsTable;
  peer_failures: PeerFailuresTable;
  settings: SettingsTable;
  events: EventsTable;
  quality_profiles: QualityProfilesTable;
  albums: AlbumsTable;
  jobs: JobsTable;
  notification_targets: NotificationTargetsTable;
  notification_items: NotificationItemsTable;
  notification_deliveries: NotificationDeliveriesTable;
  process_clocks: ProcessClocksTable;
  stats_facts: StatsFactsTable;
  stats_deltas: StatsDeltasTable;
  stats_daily: StatsDailyTable;
  sessions: SessionsTable;
}

export type Generatedless<T> = { [K in keyof T]: T[K] extends Generated<infer U> ? U : T[K] };
