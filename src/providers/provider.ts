import type { ErrorCode } from '../downloads/error-codes.js';

/**
 * The contract every download daemon adapter implements. It is protocol-neutral: a "candidate" is one
 * fetchable file, a "transfer" is the daemon's record of fetching it. Only the adapter speaks the
 * daemon's dialect; the pipeline sees these shapes alone.
 */

/** One file found by a search, normalized from the daemon's response. */
export interface Candidate {
  provider: string;
  /** Remote peer that shares the file. */
  username: string;
  /** Remote path exactly as the daemon reported it (Soulseek paths use backslashes). */
  filename: string;
  /** Bytes, as reported by the peer. */
  size: number;
  /** Lower-case extension without the dot, derived from `filename` (the daemon's field is unreliable). */
  extension: string;
  bitRate?: number;
  sampleRate?: number;
  bitDepth?: number;
  lengthSeconds?: number;
  isVariableBitRate?: boolean;
  /** Whether the peer had a free upload slot when it answered. */
  hasFreeUploadSlot: boolean;
  /** The peer's upload queue length when it answered. */
  queueLength: number;
  /** The peer's advertised upload speed in bytes/s. */
  uploadSpeed: number;
  /**
   * The file's own tags, when the provider knows them (slskd search answers carry none; a browsed
   * or indexed release may). Matching reads them as it reads the path.
   */
  tags?: CandidateTags;
}

export interface CandidateTags {
  artist?: string;
  albumArtist?: string;
  title?: string;
  album?: string;
}

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
  ) {
    super(message);
    this.name = 'ProviderError';
  }
}

export interface EnqueueRequest {
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
}

export interface DownloadProvider {
  readonly name: string;
  /** Whether the daemon is reachable and connected to its network. Never throws. */
  health(): Promise<ProviderHealth>;
  /** Starts a search under a client-chosen id. */
  startSearch(id: string, text: string, timeoutMs: number): Promise<void>;
  /** Reads a search; `missing` when the daemon does not know the id (e.g. after its restart). */
  getSearch(id: string): Promise<SearchSnapshot>;
  /** Stops a search if it still runs and removes it from the daemon (it keeps them all otherwise). */
  deleteSearch(id: string): Promise<void>;
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
  cancel(username: string, transferId: string): Promise<void>;
  /**
   * Drops a finished transfer from the daemon's list (the file stays). slskd otherwise keeps every
   * transfer for ever, and its one list grows with each download.
   */
  forget(username: string, transferId: string): Promise<void>;
  /** Place in the remote peer's queue, or null when the daemon cannot tell. */
  queuePosition(username: string, transferId: string): Promise<number | null>;
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
  /**
   * Every file of one release folder at its source (slskd: a peer's directory, browsed), not only
   * the ones a search returned. Peer facts (slots, queue, speed) are unknown here and left at
   * false/0. Optional: a provider that cannot list folders leaves albums to per-track searches.
   */
  listFolder?(username: string, directory: string): Promise<Candidate[]>;
}
