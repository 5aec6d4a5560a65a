import { unavailableCode, type ErrorCode } from '../downloads/error-codes.js';
import type { ReleaseEntry } from '../matching/release-files.js';
import type { TrackTarget } from '../matching/track-match.js';
import type { Candidate, IndexerRelease, ProviderId } from './release.js';

export type {
  Candidate,
  CandidateTags,
  IndexerRelease,
  ProviderId,
  Release,
  ReleaseFile,
  SourceAvailability,
  SourceRef,
} from './release.js';

/**
 * The contract every daemon adapter implements, in two roles (docs/architecture.md, "Providers:
 * indexers and download clients"): an **indexer** finds releases (search, browse a folder), a
 * **download client** fetches them (enqueue, follow the transfer, cancel, the finished file's local
 * path). slskd plays both; a Torznab indexer only the first, qBittorrent only the second. A
 * candidate (release.ts) is one fetchable file at a source, a transfer the client's record of
 * fetching it. Only the adapter speaks the daemon's dialect; generic code sees these shapes alone,
 * and reaches a provider by id through `provider-set.ts`.
 */

export type SearchState = 'missing' | 'running' | 'complete';

export interface SearchSnapshot {
  state: SearchState;
  /** Filled only when `state` is `complete`. */
  candidates: Candidate[];
}

/** Normalized transfer state; `raw` keeps the daemon's own string for display and diagnosis. */
export type TransferState =
  | 'queued_locally'
  | 'requested'
  | 'queued_remotely'
  | 'initializing'
  | 'in_progress'
  | 'succeeded'
  | 'cancelled'
  | 'timed_out'
  | 'errored'
  | 'rejected'
  | 'aborted';

export interface TransferStatus {
  id: string;
  /**
   * The client that holds it: set by the provider set when it merges several clients' lists; an
   * adapter may leave it out (it only knows its own).
   */
  provider?: ProviderId;
  /** The source it comes from (slskd: the peer). */
  username: string;
  filename: string;
  size: number;
  state: TransferState;
  /** The daemon's state text, e.g. "Completed, Succeeded". */
  raw: string;
  bytesTransferred: number;
  /** Bytes per second. */
  averageSpeed: number;
  /** 0–100. */
  percentComplete: number;
  placeInQueue?: number;
  exception?: string;
  /** slskd ≥ 0.26 retries by itself; this is its attempt count (1 on the first try). */
  attempts?: number;
  batchId?: string;
  removed?: boolean;
  /** Epoch ms when the daemon recorded the transfer (its own clock). */
  requestedAt?: number;
  /**
   * Epoch ms when bytes began to flow (slskd's `startedAt`, the daemon's clock). With the average
   * speed it dates the bytes count, which the daemon saves only every ~250 ms (transfer-monitor.ts).
   */
  startedAt?: number;
}

export interface ProviderHealth {
  state: 'up' | 'down';
  version?: string;
  message?: string;
  /**
   * The daemon answered but cannot work (slskd not logged in to Soulseek). Nothing sent to it can
   * succeed until it is back on its network.
   */
  offline?: boolean;
}

/** What an adapter throws: always carries one of the fixed error codes and a message for the user. */
export class ProviderError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly status?: number,
    /** The provider it is about, when the thrower knows (the circuit breaker, the provider set). */
    readonly provider?: ProviderId,
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

/** "This provider is unavailable", under the provider's own wire code (error-codes.ts). */
export function providerUnavailable(provider: ProviderId, message: string): ProviderError {
  return new ProviderError(unavailableCode(provider), message, undefined, provider);
}

export interface EnqueueRequest {
  /** The client to fetch it (the provider set routes by it); absent: the first, slskd. */
  provider?: ProviderId;
  /** Client-chosen id, stored before the call so a restart can ask whether the enqueue happened. */
  batchId: string;
  username: string;
  filename: string;
  size: number;
  /**
   * Epoch ms when the attempt began. A finished transfer the daemon recorded before this is an
   * earlier attempt's, never this one's (matters where transfers cannot be found by batch id).
   */
  notBefore?: number;
  /** Set for an indexer-found release: what the client adds (a torrent, an NZB). */
  release?: IndexerRelease;
  /**
   * The track wanted from a multi-file release: the client fetches (and reports as this transfer)
   * only the file `pickReleaseFile` chooses for it. Absent: the release is fetched whole.
   */
  want?: TrackTarget;
}

/** What both roles have: an id and a health probe. */
export interface ProviderBase {
  /** The provider's id (release.ts): what candidates, attempts and blocklist rows carry. */
  readonly name: ProviderId;
  /** Whether the daemon is reachable and connected to its network. Never throws. */
  health(): Promise<ProviderHealth>;
}

/** Finds releases: searches, and (optionally) lists a release folder whole. */
export interface Indexer extends ProviderBase {
  /** Starts a search under a client-chosen id. */
  startSearch(id: string, text: string, timeoutMs: number): Promise<void>;
  /**
   * Optional: this indexer's own query fallbacks for a track, in order, each a string its
   * `startSearch` understands. Absent: the text queries of src/matching/query.ts, made for
   * Soulseek's file search. An indexer of whole releases searches by artist and album instead (a
   * track's title is seldom in a release's title).
   */
  queriesFor?(track: { artist: string; title: string; album: string | null }): string[];
  /** Reads a search; `missing` when the daemon does not know the id (e.g. after its restart). */
  getSearch(id: string): Promise<SearchSnapshot>;
  /** Stops a search if it still runs and removes it from the daemon (it keeps them all otherwise). */
  deleteSearch(id: string): Promise<void>;
  /**
   * Every file of one release folder at its source (slskd: a peer's directory, browsed), not only
   * the ones a search returned. Availability (slots, queue, speed) is unknown here and left at
   * false/0. Optional: a provider that cannot list folders leaves albums to per-track searches.
   */
  listFolder?(source: string, directory: string): Promise<Candidate[]>;
}

/**
 * How a download client's sources bear load, which decides whether SoulSpot's per-source limit
 * (the `maxConcurrentPerUser` setting) applies: `per-source` holds every source to it (a Soulseek
 * peer has a few upload slots and queues the rest, so a second file from a busy peer only waits);
 * `none` does not (a torrent swarm or a Usenet server has no such limit).
 */
export type SourceLimit = 'per-source' | 'none';

/** Fetches releases: enqueues, follows and cancels transfers, and finds the finished files. */
export interface DownloadClient extends ProviderBase {
  /** Absent: `per-source`, the rule SoulSpot has always applied. */
  readonly sourceLimit?: SourceLimit;
  /**
   * The client keeps owning its finished files (a torrent client seeds them): filing copies the file
   * into the library and never removes the client's copy. Absent/false: once the library copy is
   * recorded, the client's copy is removed (slskd's files are SoulSpot's to clean up).
   */
  readonly keepsFiles?: boolean;
  /**
   * Optional: the files of an indexer's release, read from its document (the .torrent, the .nzb)
   * without adding it to the client: an album asked for without a track list takes its tracks from
   * them. null when they cannot be known before adding (a magnet link). Throws ProviderError.
   */
  releaseFiles?(release: IndexerRelease): Promise<ReleaseEntry[] | null>;
  /** Enqueues one file and returns the daemon's transfer. Throws ProviderError. */
  enqueue(request: EnqueueRequest): Promise<TransferStatus>;
  /**
   * After a crash: the transfer an earlier `enqueue` with this batch id created, or null when that
   * enqueue never reached the daemon.
   */
  findEnqueued(request: EnqueueRequest): Promise<TransferStatus | null>;
  /** All transfers the daemon knows, in one request. */
  listTransfers(): Promise<TransferStatus[]>;
  /** Cancels a transfer, waits until the daemon reports it completed, then removes the record. */
  cancel(source: string, transferId: string): Promise<void>;
  /**
   * Drops a finished transfer from the daemon's list (the file stays). slskd otherwise keeps every
   * transfer for ever, and its one list grows with each download.
   */
  forget(source: string, transferId: string): Promise<void>;
  /** Place in the source's queue, or null when the daemon cannot tell. */
  queuePosition(source: string, transferId: string): Promise<number | null>;
  /**
   * Classifies a transfer that ended without success. `daemonRestart` marks transfers the daemon
   * itself dropped (slskd's "Application shut down"), which deserve the same source again.
   */
  describeFailure(transfer: TransferStatus): {
    code: ErrorCode;
    message: string;
    daemonRestart: boolean;
    /** False while the daemon may still retry this transfer by itself (slskd ≥ 0.26). */
    final: boolean;
  };
  /**
   * Absolute local path of a finished file, always inside `downloadsRoot()`, or null while it is
   * not there (yet). `waitedMs`: how long the caller has been looking, so the adapter can wait for
   * the daemon's own word before guessing. Throws ProviderError `file_not_found` when the daemon
   * names a file outside the downloads folder.
   */
  localPath(transfer: TransferStatus, options?: { waitedMs?: number }): Promise<string | null>;
  /** The folder every finished file must lie in (confinement root), or null when unknown. */
  downloadsRoot(): Promise<string | null>;
}

/** A provider playing both roles (slskd), or the provider set that routes to several (provider-set.ts). */
export interface DownloadProvider extends Indexer, DownloadClient {}
