import type { Config } from '../config/config.js';
import type { DatabaseHandle, Db } from '../db/database.js';
import type { EventBus } from '../events/event-bus.js';
import type { EventLog, LoggedEventInput } from '../events/event-log.js';
import type { Tagger } from '../library/tagging/tagger.js';
import type { TranscodeChecker } from '../library/transcode-check.js';
import type { DownloadProvider } from '../providers/provider.js';
import type { ProviderId, SourceRef } from '../providers/release.js';
import type { QueueRepository } from '../queue/queue.repository.js';
import type { SourceWaitRepository } from '../queue/source-wait.repository.js';
import type { SettingKey, Settings } from '../settings/settings.definitions.js';
import type { DownloadRepository, DownloadRow } from './download.repository.js';
import type { ProfileSource } from './search.step.js';
import type { TransferMonitor } from './transfer-monitor.js';

/* What every pipeline step is given (download.job.ts re-exports it for the steps). */

export interface Logger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/**
 * The start-time configuration the pipeline may read: everything that can change while SoulSpot
 * runs is left out, so nobody reads a stale copy; those come from `settings` at the moment of use.
 */
export type PipelineConfig = Omit<
  Config,
  | 'maxConcurrent'
  | 'maxQueuedAtSource'
  | 'maxConcurrentPerUser'
  | 'maxRetries'
  | 'retryBackoffSeconds'
  | 'stallTimeoutSeconds'
  | 'searchTimeoutSeconds'
  | 'blocklistFailures'
  | 'blocklistWindowMs'
  | 'blocklistMs'
  | 'namingPattern'
  | 'multiDiscNamingPattern'
  | 'tagFiles'
  | 'embedCover'
  | 'writeFolderCover'
  | 'transcodeAction'
>;

/** The settings service as the pipeline uses it: one value, read when it is needed. */
export interface LiveSettings {
  get<K extends SettingKey>(key: K): Settings[K];
}

/** Strips the live settings out of a Config (main.ts), so the pipeline cannot read them there. */
export function pipelineConfig(config: Config): PipelineConfig {
  const {
    maxConcurrent: _a,
    maxQueuedAtSource: _b,
    maxConcurrentPerUser: _c,
    maxRetries: _d,
    retryBackoffSeconds: _e,
    stallTimeoutSeconds: _f,
    searchTimeoutSeconds: _g,
    blocklistFailures: _h,
    blocklistWindowMs: _i,
    blocklistMs: _j,
    namingPattern: _k,
    multiDiscNamingPattern: _l,
    tagFiles: _m,
    embedCover: _n,
    writeFolderCover: _o,
    transcodeAction: _p,
    ...rest
  } = config;
  return rest;
}

/** What every pipeline step needs; built once in main.ts. */
export interface PipelineDeps {
  config: PipelineConfig;
  settings: LiveSettings;
  handle: DatabaseHandle;
  repo: DownloadRepository;
  queue: QueueRepository;
  sourceWait: SourceWaitRepository;
  provider: DownloadProvider;
  monitor: TransferMonitor;
  /** The durable event log: every write below appends what it changed in its own transaction. */
  events: Pick<EventLog, 'appendMany'>;
  /** In-process listeners get each committed change as the whole Download (tests, the demo). */
  bus: EventBus;
  log: Logger;
  now: () => number;
  /** How long a download waits before asking a daemon that was unreachable again. */
  deferMs: number;
  /** Blocked sources and peers' track records (the blocklist module); optional in isolation. */
  sources?: SourcePolicy;
  /** Each download's quality profile (the quality-profiles service); in isolation, the defaults. */
  profiles?: ProfileSource;
  /** The fake-lossless check (library/transcode-check.ts); in isolation, files are not checked. */
  transcode?: Pick<TranscodeChecker, 'check'>;
  /** The tag worker (library/tagging); without it, filing copies files as they came. */
  tagger?: Tagger;
  /** Albums (src/albums): what a status change of an album's track announces; absent in isolation. */
  albums?: AlbumTrackHook;
}

/**
 * A worker write changed the status of a download that belongs to an album: the album's events
 * (album.updated, and album.completed when this write completed its last track), appended with
 * the download's own in the same transaction. Called after the fenced write and before the
 * append, so any row lock it takes comes before the event log's lock (event-log.ts).
 */
export interface AlbumTrackHook {
  trackChanged(tx: Db, row: DownloadRow): Promise<LoggedEventInput[]>;
  /**
   * Commands over many downloads (batch cancel, retry, remove): `albumsOf` reads which of them are
   * album tracks before the change (a remove deletes the rows), `albumsChanged` announces those
   * albums after it, album.completed included when the change completed one (the last unfinished
   * track removed). Same place in the transaction as trackChanged: before the event append.
   */
  albumsOf(tx: Db, downloadIds: readonly string[]): Promise<Map<string, string>>;
  albumsChanged(tx: Db, albumIds: readonly string[]): Promise<LoggedEventInput[]>;
}

export interface SourcePolicy {
  sourceFilter(sources: readonly SourceRef[]): Promise<{
    isBlocked(c: SourceRef & { filename: string }): boolean;
    peerRecord(
      username: string,
      provider: ProviderId,
    ): { successes: number; failures: number } | undefined;
  }>;
}
