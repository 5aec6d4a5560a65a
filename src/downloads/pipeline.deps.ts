import type { Config } from '../config/config.js';
import type { DatabaseHandle } from '../db/database.js';
import type { EventBus } from '../events/event-bus.js';
import type { EventLog } from '../events/event-log.js';
import type { DownloadProvider } from '../providers/provider.js';
import type { QueueRepository } from '../queue/queue.repository.js';
import type { SourceWaitRepository } from '../queue/source-wait.repository.js';
import type { SettingKey, Settings } from '../settings/settings.definitions.js';
import type { DownloadRepository } from './download.repository.js';
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
}

export interface SourcePolicy {
  sourceFilter(usernames: string[]): Promise<{
    isBlocked(c: { username: string; filename: string }): boolean;
    peerRecord(username: string): { successes: number; failures: number } | undefined;
  }>;
}
