import { EventEmitter } from 'node:events';
import type { DownloadDto, DownloadProgress, DownloadUpdate } from '../downloads/download.dto.js';
import type { ErrorCode } from '../downloads/error-codes.js';
import type { AlbumDto } from '../albums/albums.dto.js';
import type { QualityProfileDto } from '../quality-profiles/quality-profiles.dto.js';

/** One source tried for a download ended (the blocklist and peer statistics listen to this). */
export interface AttemptFinished {
  downloadId: string;
  provider: string;
  username: string;
  filename: string;
  /**
   * The attempt fetched an indexer's release (a torrent, an NZB): `username` is the indexer that
   * listed it and `filename` the release title, so what failed is that release, not the indexer.
   */
  release?: boolean;
  /**
   * The release is a torrent: one client job that every album track taking it joins, so one
   * stall fails them all together (an NZB is fetched as its own job per track).
   */
  sharedJob?: boolean;
  outcome: 'succeeded' | 'failed';
  errorCode: ErrorCode | null;
  errorMessage: string | null;
  /** Bytes received from the peer. */
  bytes: number;
  /** Bytes/s as the daemon measured it, when known. */
  averageSpeed: number | null;
  /** Epoch ms. */
  at: number;
}

/**
 * A quality profile was created, edited or deleted (`profile` is the profile after the change;
 * none once deleted). Making a profile the default also updates the one that was the default.
 */
export interface QualityProfileChanged {
  id: string;
  change: 'created' | 'updated' | 'deleted';
  profile?: QualityProfileDto;
}

/**
 * Every event a module may publish, with its payload. Subscribers get exactly these types. The
 * ones in LOGGED_EVENTS (event-log.ts) also go to the durable event log and out over SSE.
 */
/** A batch command (`POST /api/downloads/batch`) went through all its ids. */
export interface BatchCompleted {
  action: string;
  total: number;
  successCount: number;
  failedCount: number;
}

/** An in-app toast: one grouped notification message (src/notifications), sent over SSE. */
export interface NotificationToast {
  /** The notification event it reports (download.completed, provider.offline…). */
  event: string;
  title: string;
  message: string;
  /** How many events the message groups. */
  count: number;
  /** The message id, the same a webhook carries as `webhook-id`. */
  messageId: string;
}

export interface EventMap {
  /**
   * A download changed: the whole Download as it is now, with the fields that changed when a
   * worker wrote it (download-events.ts says when a change is this and when a progress delta).
   */
  'download.updated': DownloadUpdate;
  /** Only a transfer's numbers moved: a delta (log and SSE only; the bus carries the update). */
  'download.progress': DownloadProgress;
  /** A download reached `completed` (filed into the library): the Download at that moment. */
  'download.completed': DownloadDto;
  /** A download reached `failed`: the Download at that moment, with its error code. */
  'download.failed': DownloadDto;
  /** An album changed (created, a track's status changed, cancelled, retried): the album without its tracks. */
  'album.updated': AlbumDto;
  /**
   * Every track of an album is in the library: once per album, in the transaction of the write
   * that completed the last track.
   */
  'album.completed': AlbumDto;
  /**
   * A command changed many downloads at once (batch, reorder, global pause): which, and how.
   * Clients reload those rows rather than receive 10,000 snapshots.
   */
  'downloads.changed': { action: string; ids: string[] };
  'attempt.finished': AttemptFinished;
  'quality-profile.changed': QualityProfileChanged;
  'provider.health': { provider: string; state: 'up' | 'down' | 'unknown'; message?: string };
  'provider.circuit': { provider: string; circuit: 'closed' | 'open' | 'half-open' };
  /** The provider went down (from up, or at start): its fixed public wording, never its own text. */
  'provider.offline': { provider: string; message: string };
  /** The provider is up again after being down. */
  'provider.online': { provider: string };
  /** Free space in the library fell below the `diskLowMb` setting (once per crossing). */
  'disk.low': { path: string; freeBytes: number; thresholdBytes: number };
  /** The last unfinished download ended: nothing is waiting or running any more. */
  'queue.idle': { at: string };
  'batch.completed': BatchCompleted;
  /** An in-app toast (the notification target built in; the toastEvents setting). */
  notification: NotificationToast;
}

export type EventName = keyof EventMap;

export interface EventBus {
  emit<K extends EventName>(name: K, payload: EventMap[K]): void;
  on<K extends EventName>(name: K, listener: (payload: EventMap[K]) => void): () => void;
}

export function createEventBus(): EventBus {
  const emitter = new EventEmitter();
  // SSE clients each subscribe; the default cap of 10 would only produce noise warnings.
  emitter.setMaxListeners(0);
  return {
    emit(name, payload) {
      emitter.emit(name, payload);
    },
    on(name, listener) {
      emitter.on(name, listener as (p: unknown) => void);
      return () => emitter.off(name, listener as (p: unknown) => void);
    },
  };
}
